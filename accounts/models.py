from __future__ import annotations

import zoneinfo
from functools import cache

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields):
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields):
        fields.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **fields)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    """Regions' zones as the system's tz database names them, and UTC; no aliases of the host."""
    names = sorted(
        name
        for name in zoneinfo.available_timezones()
        if "/" in name and not name.startswith(("Etc/", "posix/", "right/", "SystemV/"))
    )
    return [("UTC", "UTC"), *((name, name.replace("_", " ")) for name in names)]


def default_time_zone() -> str:
    return settings.TIME_ZONE


class User(AbstractUser):
    """A reader, editor or moderator. Signs in with an email address; shows a display name."""

    class Role(models.TextChoices):
        PATIENT = "patient", "Patient"
        CARER = "carer", "Carer or family member"
        CLINICIAN = "clinician", "Clinician"
        RESEARCHER = "researcher", "Researcher"
        INDUSTRY = "industry", "Industry"
        OTHER = "other", "Other"

    username = None
    first_name = None
    last_name = None
    email = models.EmailField("email address", unique=True)
    display_name = models.CharField(
        max_length=60, blank=True, help_text="Shown beside your comments and articles."
    )
    # Who is speaking matters in a medical discussion: shown beside every comment.
    role = models.CharField(max_length=20, choices=Role.choices, blank=True)
    expertise = models.CharField(
        max_length=120,
        blank=True,
        help_text="Optional, e.g. “oncology nurse” or “NRG1+ since 2024”.",
    )
    competing_interests = models.CharField(
        max_length=200,
        blank=True,
        help_text="Ties to companies or organisations in this field; shown with your comments.",
    )
    notify_replies = models.BooleanField(
        "email me when someone replies to my comment", default=True
    )
    notify_article_comments = models.BooleanField(
        "email me when readers comment on my articles", default=True
    )
    # Callables, so neither the host's tz database nor the setting ends up in a migration.
    time_zone = models.CharField(
        max_length=64,
        choices=time_zone_choices,
        default=default_time_zone,
        help_text="Times in the admin are entered and shown in this zone.",
    )
    notify_comment_approved = models.BooleanField(
        "email me when a moderator publishes a comment of mine that was waiting", default=True
    )

    # Shown for a reader without a display name: on a site about cancer, never their address.
    FALLBACK_NAME = "Reader"

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.public_name

    @property
    def public_name(self) -> str:
        return self.display_name or self.FALLBACK_NAME

    def get_full_name(self) -> str:
        return self.public_name

    def get_short_name(self) -> str:
        return self.public_name

    def save(self, *args, **kwargs):
        self.email = (self.email or "").strip().lower()
        super().save(*args, **kwargs)
