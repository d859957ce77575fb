"""Public corrections and updates: what an editor said of each change published to a live article.

Every publication of a live article's changes (articles.services.article_revision_publish) is
classed by the editor who publishes it, and recorded here in the same transaction, tied to the
publication revision: a minor change (spelling, layout) with no note, an update (new
information) or a correction (something was wrong) with a dated public note. So a note exists
exactly when its revision is live, and readers see it where they see the article: on its page,
on /corrections/, in the feeds and in the weekly digest (newsletter).

A model of the articles app (imported by articles/models.py), in a module of its own so
models.py stays a size one can read; it names the other models by string for the same reason.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.markup import render_snippet_markdown

NOTE_MAX_LENGTH = 2000
# Each kind as the history says it: "Published the changes of … by …, as a correction".
IN_WORDS = {"minor": "a minor change", "update": "an update", "correction": "a correction"}


class ArticleChangeQuerySet(models.QuerySet):
    def noted(self) -> ArticleChangeQuerySet:
        """Updates and corrections: the changes that carry a public note."""
        return self.filter(kind__in=ArticleChange.NOTED_KINDS)

    def public(self) -> ArticleChangeQuerySet:
        """The notes readers see: of articles public now (Article.objects.published()). A note
        is recorded only when its changes go live, so nothing else needs checking."""
        articles = self.model._meta.get_field("article").related_model.objects.published()
        return self.noted().filter(article__in=articles.values("pk"))


class ArticleChange(models.Model):
    """The kind of one publication of changes to a live article, and its public note."""

    class Kind(models.TextChoices):
        MINOR = "minor", "Minor change (spelling, layout): no public note"
        UPDATE = "update", "Update (new information)"
        CORRECTION = "correction", "Correction (something was wrong)"

    NOTED_KINDS = (Kind.UPDATE, Kind.CORRECTION)
    # As readers see each kind named, beside its note.
    PUBLIC_LABELS = {Kind.UPDATE: "Update", Kind.CORRECTION: "Correction"}
    PUBLIC_VERBS = {Kind.UPDATE: "Updated", Kind.CORRECTION: "Corrected"}

    article = models.ForeignKey("articles.Article", models.CASCADE, related_name="changes")
    # The publication revision: the content readers were given with this note.
    revision = models.OneToOneField(
        "articles.ArticleRevision", models.CASCADE, related_name="change"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    note = models.TextField(
        blank=True, max_length=NOTE_MAX_LENGTH, help_text="Markdown: emphasis and links."
    )
    note_html = models.TextField(editable=False, default="")
    published_at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ArticleChangeQuerySet.as_manager()

    class Meta:
        ordering = ("-published_at", "-pk")
        verbose_name = "published change"
        indexes = [
            models.Index(fields=["article", "-published_at"], name="article_change_page_idx"),
            models.Index(fields=["kind", "-published_at"], name="article_change_list_idx"),
        ]
        constraints = [
            # An update or a correction says what changed; a minor change says nothing.
            models.CheckConstraint(
                condition=(Q(kind="minor") & Q(note=""))
                | (Q(kind__in=("update", "correction")) & ~Q(note="")),
                name="article_change_note_if_noted",
            )
        ]

    def __str__(self) -> str:
        return f"{self.article_id}: {self.get_kind_display()}"

    def save(self, *args, **kwargs):
        self.note_html = render_snippet_markdown(self.note)
        super().save(*args, **kwargs)

    @property
    def public_label(self) -> str:
        return self.PUBLIC_LABELS.get(self.kind, "")

    @property
    def public_verb(self) -> str:
        """“Updated” or “Corrected”, as the byline says it."""
        return self.PUBLIC_VERBS.get(self.kind, "")

    @property
    def anchor(self) -> str:
        """Its place on the article page (and the id of its entry in the corrections feed)."""
        return f"change-{self.pk}"


def change_refusal(*, kind: str, note: str) -> str:
    """Why changes cannot be published with this kind and note, in words ("" when they can):
    the one rule, for the publish service and the admin form alike."""
    if kind not in ArticleChange.Kind.values:
        return "Choose what kind of change this is: minor, an update or a correction."
    if kind in ArticleChange.NOTED_KINDS and not note.strip():
        return (
            f"{'An update' if kind == ArticleChange.Kind.UPDATE else 'A correction'} needs a "
            "note for readers: say what changed. It is shown, dated, with the article."
        )
    if kind == ArticleChange.Kind.MINOR and note.strip():
        return (
            "A minor change has no public note: clear the note, or choose Update or "
            "Correction to show it."
        )
    if len(note.strip()) > NOTE_MAX_LENGTH:
        return f"Keep the note to {NOTE_MAX_LENGTH} characters."
    return ""


def change_record(*, revision, kind: str, note: str, by, at: datetime) -> ArticleChange:
    """Record the kind of a publication of changes (`revision`, its publication revision).
    Only article_revision_publish calls this, inside its transaction, once change_refusal
    found nothing to refuse."""
    return ArticleChange.objects.create(
        article_id=revision.article_id,
        revision=revision,
        kind=kind,
        note=note.strip(),
        published_at=at,
        by=by,
    )


def article_modified(article, changes: list[ArticleChange]) -> datetime | None:
    """When the article last changed in a way readers are told of: its latest update or
    correction (`changes`, its public notes), else its publication. A minor change does not
    count: the page says "Updated" only with a note that says what was updated."""
    moments = [article.published_at, *(change.published_at for change in changes)]
    return max((moment for moment in moments if moment is not None), default=None)


# Reading -------------------------------------------------------------------------------------
def article_notes(article) -> list[ArticleChange]:
    """The article's public notes, newest first: one query, however many there are."""
    return list(ArticleChange.objects.public().filter(article_id=article.pk))


def notes_for_listing() -> models.QuerySet[ArticleChange]:
    """Every public note, newest first, each with its article's title and address."""
    return (
        ArticleChange.objects.public()
        .select_related("article")
        .only("kind", "note_html", "published_at", "article__title", "article__slug")
    )
