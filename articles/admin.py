from __future__ import annotations

import copy

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import slugify

from articles import revisions
from articles.admin_drafts import ArticleDraftsAdminMixin
from articles.admin_review import ArticleReviewAdminMixin, ReviewListFilter
from articles.admin_review_dates import ArticleReviewDatesAdminMixin, ReviewDueListFilter
from articles.admin_revisions import ArticleRevisionsAdminMixin
from articles.models import (
    Article,
    ArticleRevision,
    Contributor,
    FAQEntry,
    Reference,
    Topic,
)
from articles.services import (
    PUBLISH_PERMISSION,
    PublishError,
    article_edit_finish,
    article_edit_save,
    article_publish,
    article_status_change,
    article_unpublish,
)
from core.admin import ScheduleForm, in_current_zone, local_datetime_field, schedule_page
from core.markup import render_article_markdown

# Its members write for the site, staff or not (articles/migrations/0002_staff_groups.py).
EDITORS_GROUP = "Editors"
# What an edit that changes submitted or approved content does to it, in words.
FILED_BY_EDITS = {
    Article.Status.SCHEDULED: "“{}” is no longer scheduled: its content changed after a medical "
    "reviewer approved it. Submit it for review again, then schedule it again once approved.",
    Article.Status.IN_REVIEW: "“{}” is back to draft: its content changed after it was "
    "submitted for review. Submit it again when it is ready.",
}


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "slug")
    list_filter = ("kind",)
    search_fields = ("name", "description")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Contributor)
class ContributorAdmin(admin.ModelAdmin):
    list_display = ("name", "credentials", "role", "affiliation", "user")
    list_select_related = ("user",)
    search_fields = ("name", "credentials", "role", "affiliation", "user__email")
    prepopulated_fields = {"slug": ("name",)}
    raw_id_fields = ("user",)
    fields = (
        "name",
        "slug",
        "credentials",
        "role",
        "affiliation",
        "bio",
        "competing_interests",
        "user",
    )
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 4})}}


class FAQEntryInline(admin.StackedInline):
    model = FAQEntry
    extra = 0
    fields = ("question", "answer", "order")


class ReferenceInline(admin.StackedInline):
    model = Reference
    extra = 0
    fields = ("label", "kind", "identifier", "url", "order")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


class ArticleAdminForm(forms.ModelForm):
    published_at = local_datetime_field(
        required=False,
        label="Publish at",
        help_text=in_current_zone("Empty means now; a future time schedules it."),
    )
    # Not in the fieldsets: shown under the FAQ and references, since it describes the whole save
    # (admin/articles/article/change_form.html).
    change_note = forms.CharField(
        required=False,
        max_length=revisions.NOTE_MAX_LENGTH,
        label="Change note",
        help_text="What you changed and why, in a line, for the article’s history. Left empty, "
        "it lists the fields and entries you changed.",
        widget=forms.TextInput(attrs={"class": "vLargeTextField"}),
    )

    class Meta:
        model = Article
        fields = revisions.EDITOR_FIELDS
        widgets = {
            "standfirst": forms.Textarea(attrs={"rows": 3}),
            "body": forms.Textarea(attrs={"rows": 24, "class": "vLargeTextField md-source"}),
            # Checkboxes rather than the admin's filter widget: a short list, and accessible.
            "topics": forms.CheckboxSelectMultiple,
            "authors": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "author" in self.fields:
            author = self.fields["author"]
            # Those who write for the site, never readers; an author who has since left stays.
            author.queryset = (
                author.queryset.filter(
                    Q(is_staff=True) | Q(groups__name=EDITORS_GROUP) | Q(pk=self.instance.author_id)
                )
                .distinct()
                .order_by("display_name", "email")
            )
            # Staff only: tells apart people whose public name is the neutral fallback.
            author.label_from_instance = lambda user: f"{user.public_name} ({user.email})"
        if "slug" in self.fields and self._slug_follows_title():
            self.fields["slug"].widget.attrs["data-follows-title"] = ""
        if self.instance.published_at:
            # The picker shows minutes: compared as shown, so an untouched time is unchanged.
            self.initial["published_at"] = self._stored_time_in_minutes()

    def _stored_time_in_minutes(self):
        return self.instance.published_at.replace(second=0, microsecond=0)

    def clean_published_at(self):
        # Left as shown, the stored time stands, seconds and all (not a "corrected" time).
        at = self.cleaned_data.get("published_at")
        if at and self.instance.published_at and at == self._stored_time_in_minutes():
            return self.instance.published_at
        return at

    def _slug_follows_title(self) -> bool:
        """A saved draft, never given a time, whose slug is still the one made from its title."""
        article = self.instance
        return (
            article.pk is not None
            and article.status in (Article.Status.DRAFT, Article.Status.IN_REVIEW)
            and article.published_at is None
            and article.slug == slugify(article.title)
        )

    def _get_validation_exclusions(self):
        # "Published" with no time means "now": the publish service fills the time in, so the
        # model's public-needs-a-time constraint is checked by the database, not by this form.
        return {*super()._get_validation_exclusions(), "published_at"}

    def clean(self):
        data = super().clean()
        status, at = data.get("status"), data.get("published_at")
        if (
            status in Article.PUBLIC_STATUSES
            and self.instance.is_public
            and at
            and at > timezone.now()
        ):
            self.add_error(
                "published_at",
                "This article is already live. To schedule it for later, unpublish it first.",
            )
        return data


@admin.register(Article)
class ArticleAdmin(
    ArticleReviewAdminMixin,
    ArticleReviewDatesAdminMixin,
    ArticleDraftsAdminMixin,
    ArticleRevisionsAdminMixin,
    admin.ModelAdmin,
):
    form = ArticleAdminForm
    list_display = (
        "title",
        "status",
        "review_state",
        "kind",
        "published_at",
        "next_review_shown",
        "author",
    )
    list_filter = (
        "status",
        ReviewListFilter,
        ReviewDueListFilter,
        "kind",
        "topics",
        "published_at",
    )
    list_select_related = ("author",)
    search_fields = ("title", "standfirst", "body", "slug")
    prepopulated_fields = {"slug": ("title",)}
    date_hierarchy = "published_at"
    inlines = (FAQEntryInline, ReferenceInline)
    actions = ("publish_now", "schedule", "unpublish")
    readonly_fields = ("body_preview", "reading_minutes", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("title", "slug", "kind", "standfirst", "topics")}),
        ("Body", {"fields": ("body", "body_preview", "reading_minutes")}),
        (
            "Publication",
            {
                "fields": (
                    "status",
                    "published_at",
                    "last_reviewed",
                    "next_review",
                    "authors",
                    "author",
                    "comments_open",
                )
            },
        ),
        ("Engagement and search", {"fields": ("discussion_prompt", "seo_description")}),
        ("History", {"classes": ("collapse",), "fields": ("created_at", "updated_at")}),
    )

    class Media:
        js = ("admin/js/markdown_preview.js", "admin/js/slug_follows_title.js")
        css = {"all": ("admin/css/markdown_preview.css",)}

    # Permissions ---------------------------------------------------------------------------
    def has_publish_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(PUBLISH_PERMISSION)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if not self.has_publish_permission(request):
            # Copies: the declared fields are shared by every form class made from the admin form.
            form.base_fields = copy.deepcopy(form.base_fields)
            form.base_fields["published_at"].disabled = True
            if "next_review" in form.base_fields:  # postponing a review is a publisher's call
                form.base_fields["next_review"].disabled = True
            if "status" not in form.base_fields:
                return form  # a view-only page, where every field is shown read-only
            if obj is not None and obj.status in Article.PUBLIC_STATUSES:
                # Shown as it is; saving keeps it, since only a publisher may change it.
                form.base_fields["status"].disabled = True
            else:
                allowed = [(Article.Status.DRAFT, "Draft"), (Article.Status.IN_REVIEW, "In review")]
                form.base_fields["status"].choices = allowed
        return form

    def get_changeform_initial_data(self, request):
        return {"author": request.user.pk, **super().get_changeform_initial_data(request)}

    # Saving: the edits here, the publication state through the services ----------------------
    def save_model(self, request, obj: Article, form, change: bool) -> None:
        article_edit_save(article=obj, by=request.user, created=not change)

    def save_related(self, request, form, formsets, change) -> None:
        """Once the FAQ and references are saved too, a revision (of a live article: its
        unpublished changes), then the status the editor chose (which records a revision of its
        own when it changes the state)."""
        super().save_related(request, form, formsets, change)
        article = form.instance
        status = form.cleaned_data.get("status", article.status)
        filed = article.status
        recorded = article_edit_finish(
            article=article,
            by=request.user,
            note=form.cleaned_data.get("change_note", ""),
            changes=revisions.form_changes(form, formsets),
            created=not change,
            status=status,
            live=getattr(request, "article_live", None),
        )
        request.article_saved = True
        if recorded is not None and recorded.kind == ArticleRevision.Kind.DRAFT:
            self.message_user(
                request,
                f"Your changes to “{article}” are saved as unpublished changes: readers see the "
                "published version until they are published.",
                messages.WARNING,
            )
        if article.status != filed and filed in FILED_BY_EDITS:
            # The edit took it out of review or off the schedule (articles.review): the status
            # the form showed is out of date, so it is not carried out.
            self.message_user(request, FILED_BY_EDITS[filed].format(article), messages.WARNING)
            return
        at = form.cleaned_data.get("published_at")
        was_public = article.is_public
        before = (article.status, article.published_at)
        try:
            article_status_change(article=article, status=status, at=at, by=request.user)
        except PublishError as error:
            self.message_user(request, str(error), messages.ERROR)
            return
        if (article.status, article.published_at) == before:
            return
        if article.status in Article.PUBLIC_STATUSES:
            self._report(request, article)
        elif was_public:
            self.message_user(request, f"“{article}” is no longer public.", messages.WARNING)

    def _report(self, request, article: Article) -> None:
        if article.is_public:
            self.message_user(request, f"“{article}” is live.", messages.SUCCESS)
        else:
            when = timezone.localtime(article.published_at).strftime("%d %b %Y %H:%M %Z")
            self.message_user(request, f"“{article}” is scheduled for {when}.")

    def _publish(self, request, articles, *, at=None) -> None:
        for article in articles:
            try:
                article_publish(article=article, at=at, by=request.user)
            except PublishError as error:
                self.message_user(request, str(error), messages.ERROR)
                continue
            self._report(request, article)

    # Actions -------------------------------------------------------------------------------
    @admin.action(description="Publish now", permissions=["publish"])
    def publish_now(self, request, queryset) -> None:
        self._publish(request, queryset)

    @admin.action(description="Schedule…", permissions=["publish"])
    def schedule(self, request, queryset):
        form = ScheduleForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            self._publish(request, queryset, at=form.cleaned_data["publish_at"])
            return None
        return schedule_page(
            self,
            request,
            items=queryset,
            form=form,
            title="Schedule articles",
            intro="These articles will go live at the time you choose:",
            back_url=reverse("admin:articles_article_changelist"),
            action=True,
        )

    @admin.action(description="Unpublish (back to draft)", permissions=["publish"])
    def unpublish(self, request, queryset) -> None:
        taken_off = 0
        for article in queryset:
            was_public = article.status in Article.PUBLIC_STATUSES
            article_unpublish(article=article, by=request.user)
            taken_off += was_public and article.status == Article.Status.DRAFT
        self.message_user(request, f"{taken_off} article(s) taken off the site.")

    # Markdown preview ------------------------------------------------------------------------
    def get_urls(self):
        preview = self.admin_site.admin_view(self.preview_view)
        return [
            path("preview/", preview, name="articles_article_preview"),
            *self.revision_urls(),
            *self.review_urls(),
            *self.review_date_urls(),
            *self.draft_urls(),
            *super().get_urls(),
        ]

    def preview_view(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not (self.has_add_permission(request) or self.has_change_permission(request)):
            raise PermissionDenied
        source = request.POST.get("body", "")[:200_000]
        return TemplateResponse(
            request,
            "admin/articles/article/body_preview.html",
            {"html": render_article_markdown(source).html},
        )

    @admin.display(description="Preview")
    def body_preview(self, obj: Article | None) -> str:
        return format_html(
            '<div class="md-preview" data-preview-url="{}">'
            '<button type="button" class="button md-preview__button">Preview the body</button>'
            '<p class="md-preview__status" aria-live="polite"></p>'
            '<iframe class="md-preview__frame" title="Preview of the body" '
            'sandbox="allow-same-origin" hidden></iframe></div>',
            reverse("admin:articles_article_preview"),
        )
