from __future__ import annotations

import reversion
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from articles.contributors import Contributor, contributor_of
from articles.corrections import ArticleChange  # noqa: F401 (a model of this app)
from articles.review_dates import ReviewDueReceipt, review_due_default  # noqa: F401
from core.markup import identifier_url, render_article_markdown, render_snippet_markdown


class Topic(models.Model):
    class Kind(models.TextChoices):
        CANCER_TYPE = "cancer_type", "Cancer type"
        BIOMARKER = "biomarker", "Biomarker"
        THERAPY = "therapy", "Therapy"
        REGULATION = "regulation", "Regulation"

    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("topic_detail", kwargs={"slug": self.slug})


# Figures other apps add to article lists unknown to this app (comments: comment_count).
LISTING_ANNOTATIONS: list = []


def register_listing_annotation(annotate):
    if annotate not in LISTING_ANNOTATIONS:
        LISTING_ANNOTATIONS.append(annotate)
    return annotate


class ArticleQuerySet(models.QuerySet):
    def published(self) -> ArticleQuerySet:
        """The one definition of public: published or scheduled, with its time come.

        A scheduled article goes public at its time even while beat is down; the periodic
        task then records the transition and runs what follows publication.
        """
        return self.filter(status__in=Article.PUBLIC_STATUSES, published_at__lte=timezone.now())

    def due(self) -> ArticleQuerySet:
        """Scheduled articles whose time has come but whose publication is not yet recorded."""
        return self.filter(status=Article.Status.SCHEDULED, published_at__lte=timezone.now())

    def for_listing(self) -> ArticleQuerySet:
        articles = (
            self.select_related("author")
            .prefetch_related("topics")
            .defer("body", "body_html", "toc")
            .order_by("-published_at", "-pk")
        )
        for annotate in LISTING_ANNOTATIONS:
            articles = annotate(articles)
        return articles


class Article(models.Model):
    class Kind(models.TextChoices):
        NEWS = "news", "News"
        EXPLAINER = "explainer", "Explainer"
        GUIDE = "guide", "Guide"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "review", "In review"
        SCHEDULED = "scheduled", "Scheduled"
        PUBLISHED = "published", "Published"

    # Statuses that make an article public once its time has come: published() and is_public.
    PUBLIC_STATUSES = (Status.PUBLISHED, Status.SCHEDULED)

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    standfirst = models.TextField(
        max_length=400, help_text="One or two sentences under the headline, plain text."
    )
    body = models.TextField(help_text="Markdown. Use ## and ### for section headings.")
    body_html = models.TextField(editable=False, default="")
    toc = models.JSONField(editable=False, default=list)
    reading_minutes = models.PositiveSmallIntegerField(editable=False, default=1)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.NEWS)
    topics = models.ManyToManyField(Topic, related_name="articles", blank=True)
    authors = models.ManyToManyField(
        Contributor,
        related_name="articles",
        blank=True,
        verbose_name="written by",
        help_text="The contributors named in the byline, in name order. Left empty, the byline "
        "is the author account's profile (or its display name).",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="articles",
        verbose_name="author account",
        help_text="Who answers for the article: told of its comments, never its medical "
        "reviewer; the byline when no contributor is named. Defaults to you.",
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    published_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When it goes public. Empty means now; a future time schedules it.",
    )
    last_reviewed = models.DateField(
        null=True, blank=True, help_text="When an editor last checked the facts."
    )
    next_review = models.DateField(
        null=True,
        blank=True,
        db_index=True,
        help_text="When it is due for its next medical review. Left empty: 12 months after its "
        "last review; each new approval starts the 12 months again.",
    )
    # The approval of the content readers are given: set by the publish services
    # (articles/services.py) when approved content reaches the site, cleared when it leaves.
    approval = models.ForeignKey(
        "ReviewStep", models.SET_NULL, null=True, blank=True, editable=False, related_name="+"
    )
    discussion_prompt = models.CharField(
        max_length=300, blank=True, help_text="A question for readers, shown above the comments."
    )
    comments_open = models.BooleanField(default=True)
    seo_description = models.CharField(
        "search description",
        max_length=160,
        blank=True,
        help_text="For search engines and link previews; the standfirst is used if empty.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ("-published_at", "-pk")
        indexes = [models.Index(fields=["status", "-published_at"], name="article_public_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=("draft", "review")) | Q(published_at__isnull=False),
                name="article_public_has_time",
            )
        ]
        permissions = [
            ("publish_article", "Can publish, schedule and unpublish articles"),
            ("review_article", "Can approve articles or request changes (clinical review)"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        # Rendered once here, so no request ever parses Markdown.
        self.render()
        if self.next_review is None:
            self.next_review = review_due_default(self)
        update_fields = kwargs.get("update_fields")
        if update_fields and "body" in update_fields:
            kwargs["update_fields"] = {*update_fields, "body_html", "toc", "reading_minutes"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("article_detail", kwargs={"slug": self.slug})

    def render(self) -> None:
        """Render the body into its HTML, contents and reading time (on save, or for a preview)."""
        rendered = render_article_markdown(self.body)
        self.body_html, self.toc = rendered.html, rendered.toc
        self.reading_minutes = rendered.reading_minutes

    @property
    def description(self) -> str:
        return self.seo_description or self.standfirst

    @property
    def is_public(self) -> bool:
        """Live on the site: the condition of published(), for one article in hand."""
        return (
            self.status in self.PUBLIC_STATUSES
            and self.published_at is not None
            and self.published_at <= timezone.now()
        )

    @property
    def contributors(self) -> list[Contributor]:
        """Who the byline names: the contributors chosen, else the author account's profile.
        Prefetch authors and select author__contributor to read it without a query."""
        named = list(self.authors.all()) if self.pk else []
        return named or ([profile] if (profile := contributor_of(self.author)) else [])

    @property
    def byline(self) -> str:
        """The contributors, else the author's display name, else the editors: never an address."""
        if people := [person.name for person in self.contributors]:
            return people[0] if len(people) == 1 else ", ".join(people[:-1]) + " and " + people[-1]
        if self.author and self.author.display_name:
            return self.author.display_name
        return f"{settings.SITE_NAME} editors"

    @property
    def byline_is_group(self) -> bool:
        """The byline names the editors as a body: an organisation, not a person."""
        return self.byline == f"{settings.SITE_NAME} editors"


class FAQEntry(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="faqs")
    question = models.CharField(max_length=300)
    answer = models.TextField(help_text="Markdown: emphasis, links and lists.")
    answer_html = models.TextField(editable=False, default="")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ("order", "pk")
        verbose_name = "FAQ entry"
        verbose_name_plural = "FAQ entries"

    def __str__(self) -> str:
        return self.question

    def save(self, *args, **kwargs):
        self.render()
        super().save(*args, **kwargs)

    def render(self) -> None:
        self.answer_html = render_snippet_markdown(self.answer)


class Reference(models.Model):
    class Kind(models.TextChoices):
        FDA_LABEL = "fda_label", "FDA label or approval"
        TRIAL_REGISTRY = "trial_registry", "Trial registry"
        DOI = "doi", "DOI"
        PUBMED = "pubmed", "PubMed"
        WEB = "web", "Web page"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="references")
    label = models.CharField(max_length=300)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.WEB)
    identifier = models.CharField(
        max_length=100, blank=True, help_text="NCT number, DOI or PubMed ID; links itself."
    )
    url = models.URLField(max_length=500, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ("order", "pk")

    def __str__(self) -> str:
        return self.label

    def clean(self) -> None:
        if not self.link:
            raise ValidationError(
                "Give a URL, or an NCT number, DOI or PubMed ID from which the link can be made."
            )

    @property
    def link(self) -> str:
        if self.url:
            return self.url
        if self.kind == self.Kind.PUBMED and self.identifier.strip().isdigit():
            return f"https://pubmed.ncbi.nlm.nih.gov/{self.identifier.strip()}/"
        return identifier_url(self.identifier) or ""


class ArticleRevision(models.Model):
    """One revision of an article, as the editors' history lists it.

    django-reversion keeps the revision itself (who, when, the note: its Revision) and the
    content (a Version each of the article, its FAQ entries and its references). This row ties
    that revision to its article, so the history is one indexed query, and says what kind of
    step it was. `content_digest` fingerprints the content (publication state left out), so two
    revisions with the same text are known to be the same without reading their versions.
    """

    class Kind(models.TextChoices):
        EDIT = "edit", "Edit"
        PUBLICATION = "publication", "Publication"
        RESTORE = "restore", "Restore"
        # Of a live article: saved, not yet on the site (articles/drafts.py).
        DRAFT = "draft", "Unpublished changes"
        DISCARD = "discard", "Changes discarded"

    revision = models.OneToOneField(
        "reversion.Revision", on_delete=models.CASCADE, related_name="article_revision"
    )
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.EDIT)
    content_digest = models.CharField(max_length=64)
    restored_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ("-pk",)
        indexes = [models.Index(fields=["article", "-id"], name="article_revision_history_idx")]

    def __str__(self) -> str:
        return f"{self.article_id}: {self.revision.comment}"

    @property
    def note(self) -> str:
        return self.revision.comment

    @property
    def created_at(self):
        return self.revision.date_created

    @property
    def by(self) -> str:
        """Who made it: a person's public name, or the site itself (the schedule, the seed)."""
        user = self.revision.user
        return user.public_name if user else "the site"


class ReviewStep(models.Model):
    """One step of an article's clinical review (articles/review.py), only ever added.

    A step acts on a revision and keeps its content digest: the state of a content is its
    latest step, so an approval holds for exactly that content and for nothing edited since.
    """

    class Action(models.TextChoices):
        SUBMITTED = "submitted", "Submitted for review"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        APPROVED = "approved", "Approved"
        WITHDRAWN = "withdrawn", "Withdrawn from review"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="review_steps")
    # The newest revision holding the content then; None for content never recorded as one
    # (an article from before revisions were kept): the digest is what the step binds to.
    revision = models.ForeignKey(
        ArticleRevision,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="review_steps",
    )
    content_digest = models.CharField(max_length=64)
    action = models.CharField(max_length=20, choices=Action.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ("-pk",)
        indexes = [
            models.Index(fields=["article", "content_digest", "-id"], name="review_step_state_idx")
        ]

    def __str__(self) -> str:
        return f"{self.article_id}: {self.get_action_display()}"

    @property
    def by_name(self) -> str:
        return self.by.public_name if self.by else "the site"


# Revisions: one holds the article with its FAQ entries and references (they follow it). Only
# what editors write is kept; rendered HTML, contents and reading time are made again on restore.
# The next review date is the schedule's, not the content's (articles/review_dates.py).
ARTICLE_REVISION_FIELDS = tuple(
    field.name
    for field in [*Article._meta.concrete_fields, *Article._meta.many_to_many]
    if field.editable and not field.primary_key and field.name != "next_review"
)
reversion.register(Article, fields=ARTICLE_REVISION_FIELDS, follow=("faqs", "references"))
reversion.register(FAQEntry, exclude=("answer_html",))
reversion.register(Reference)
