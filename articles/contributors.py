"""Contributors: the people credited on articles, each with a public profile.

A model of the articles app (imported by articles/models.py, where the others are read from),
in a module of its own so models.py stays a size one can read.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Q
from django.urls import reverse

from core.markup import render_snippet_markdown


class Contributor(models.Model):
    """A person credited on articles: an author in a byline, or a medical reviewer (through the
    account linked to the profile, which is who takes review steps). Shown on a public page."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contributor",
        help_text="The account of this person, if they have one: a medical reviewer's approvals "
        "are credited to this profile, and articles by this account without named contributors "
        "too.",
    )
    slug = models.SlugField(max_length=80, unique=True, help_text="Their page's address.")
    name = models.CharField(max_length=120, help_text="As readers should see it, without titles.")
    credentials = models.CharField(
        max_length=80, blank=True, help_text="Degrees and qualifications, such as “MD, PhD”."
    )
    role = models.CharField(
        max_length=120, blank=True, help_text="What they do, such as “Medical reviewer”."
    )
    affiliation = models.CharField(
        max_length=200, blank=True, help_text="Where they work: a hospital, university or us."
    )
    bio = models.TextField(blank=True, help_text="A short biography. Markdown: emphasis, links.")
    bio_html = models.TextField(editable=False, default="")
    competing_interests = models.TextField(
        help_text="Required. Write “None declared” when there are none: it is a statement, "
        "never left blank."
    )

    class Meta:
        ordering = ("name", "pk")
        constraints = [
            models.CheckConstraint(
                condition=~Q(competing_interests=""), name="contributor_declares_interests"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.bio_html = render_snippet_markdown(self.bio)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("contributor_detail", kwargs={"slug": self.slug})

    @property
    def name_with_credentials(self) -> str:
        return f"{self.name}, {self.credentials}" if self.credentials else self.name


def contributor_of(user) -> Contributor | None:
    """The profile of an account, or None (read from select_related without a query)."""
    if user is None:
        return None
    try:
        return user.contributor
    except ObjectDoesNotExist:
        return None
