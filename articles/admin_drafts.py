"""The article admin's side of drafts of live articles (articles/drafts.py).

The change form of a live article works on its unpublished changes: inside one transaction the
draft is written into the rows, the admin shows or saves the form as it always does, and then
either the save is recorded as the draft and the live content put back
(articles.services.article_edit_finish), or, when nothing was saved, the transaction is rolled
back. Readers never see the rows in between. Publishing and discarding the changes are POSTs
to the services; publishing asks what kind of change it is, with a public note for an update
or a correction (articles/corrections.py), and a refused answer shows the form again, as typed.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.db import transaction
from django.http import HttpRequest, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from articles import corrections, drafts, review, revisions
from articles.models import Article, ArticleChange, ArticleRevision
from articles.services import PublishError, article_draft_discard, article_revision_publish


class PublishChangesForm(forms.Form):
    """What kind of change is being published: no kind is chosen until the editor chooses."""

    kind = forms.ChoiceField(
        label="What kind of change is this?",
        choices=ArticleChange.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": corrections.change_refusal(kind="", note="")},
    )
    note = forms.CharField(
        label="Note for readers",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60, "class": "vLargeTextField"}),
        max_length=corrections.NOTE_MAX_LENGTH,
        help_text="Required for an update or a correction, and shown with the date on the "
        "article, on the corrections page and in the feeds; a correction is also mailed to "
        "the readers who got the article's alert. Markdown: emphasis and links.",
    )

    def clean(self):
        data = super().clean()
        if "kind" in data and (
            refusal := corrections.change_refusal(kind=data["kind"], note=data.get("note", ""))
        ):
            self.add_error("note", refusal)
        return data


class ArticleDraftsAdminMixin:
    """For the article's ModelAdmin, beside ArticleRevisionsAdminMixin (whose lookups it uses)
    and ArticleReviewAdminMixin (whose panel it fills in for a live article)."""

    def draft_urls(self) -> list:
        publish = self.admin_site.admin_view(self.draft_publish_view)
        discard = self.admin_site.admin_view(self.draft_discard_view)
        return [
            path(
                "<path:object_id>/changes/<int:revision_id>/publish/",
                publish,
                name="articles_article_changes_publish",
            ),
            path(
                "<path:object_id>/changes/<int:revision_id>/discard/",
                discard,
                name="articles_article_changes_discard",
            ),
        ]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        article = self._live_article(request, object_id)
        if article is None:
            return super().changeform_view(request, object_id, form_url, extra_context)
        with transaction.atomic():
            # Locked first, so no publication of changes comes between reading the live content
            # and putting it back.
            Article.objects.select_for_update().only("pk").get(pk=article.pk)
            live = revisions.live_capture(article)
            draft = drafts.article_draft(article, live=live.content)
            context = {
                **(extra_context or {}),
                **self._draft_context(request, article, draft, live),
                **self.review_context(request, article, draft=draft),
            }
            if draft is not None:
                drafts.draft_open(article, draft)
            request.article_live = live  # for save_related: what to put back
            response = super().changeform_view(request, object_id, form_url, context)
            if not getattr(request, "article_saved", False):
                # Shown, not saved (a GET, or a form with errors): the draft leaves the rows.
                if hasattr(response, "render"):
                    response.render()
                transaction.set_rollback(True)
        return response

    def _live_article(self, request: HttpRequest, object_id) -> Article | None:
        """The live article of this change form, when the user may change it or review it (a
        medical reviewer reads its unpublished changes: view only, so all is rolled back)."""

        def may_read(obj=None) -> bool:
            if review.may_decide(request.user):
                return self.has_view_permission(request, obj)
            return self.has_change_permission(request, obj)

        if object_id is None or not may_read():
            return None
        article = self.get_object(request, unquote(object_id))
        if article is None or not article.is_public:
            return None
        return article if may_read(article) else None

    def _draft_context(
        self,
        request: HttpRequest,
        article: Article,
        draft: ArticleRevision | None,
        live: revisions.LiveContent,
    ) -> dict:
        if draft is None:
            return {}
        live = drafts.live_revision(article, live=live.content)
        compare = reverse("admin:articles_article_compare", args=[article.pk])
        return {
            "article_draft": draft,
            "draft_when": revisions.when(draft.created_at),
            "draft_preview_url": reverse("article_preview", kwargs={"slug": article.slug}),
            "draft_compare_url": f"{compare}?a={live.pk}&b={draft.pk}" if live else "",
            "draft_publish_url": reverse(
                "admin:articles_article_changes_publish", args=[article.pk, draft.pk]
            ),
            "draft_discard_url": reverse(
                "admin:articles_article_changes_discard", args=[article.pk, draft.pk]
            ),
            "may_publish_changes": self.has_publish_permission(request),
            "publish_form": PublishChangesForm(auto_id="publish_%s"),
        }

    def draft_publish_view(self, request: HttpRequest, object_id: str, revision_id: int):
        """GET: the form that asks what kind of change this is; POST: put the article's
        unpublished changes on the site with it, or show the form again with what was wrong."""
        article = self._article_for_revisions(request, object_id)
        revision = self._revision(article, revision_id)
        posted = request.POST if request.method == "POST" else None
        form = PublishChangesForm(posted, auto_id="publish_%s")
        may_publish = self.has_publish_permission(request)
        refusal = ""
        # Someone who may not publish hears so from the service, whatever the form says.
        if posted is not None and (not may_publish or form.is_valid()):
            answer = form.cleaned_data if may_publish else {}
            try:
                article_revision_publish(
                    article=article,
                    revision=revision,
                    by=request.user,
                    kind=answer.get("kind", ""),
                    note=answer.get("note", ""),
                )
            except PublishError as error:
                if may_publish:
                    refusal = str(error)  # shown over the form, with what was typed kept
                else:
                    self.message_user(request, str(error), messages.ERROR)
                    return redirect("admin:articles_article_change", article.pk)
            else:
                done = f"The changes to “{article}” are live."
                self.message_user(request, done, messages.SUCCESS)
                return redirect("admin:articles_article_change", article.pk)
        return TemplateResponse(
            request,
            "admin/articles/article/publish_changes.html",
            {
                **self._revisions_context(request, article, "Publish these changes?"),
                "revision": revision,
                "publish_form": form,
                "refusal": refusal,
                "draft_publish_url": request.path,
            },
        )

    def draft_discard_view(self, request: HttpRequest, object_id: str, revision_id: int):
        """POST: set the unpublished changes aside; the form shows the live article again."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        article = self._article_for_revisions(request, object_id)
        revision = self._revision(article, revision_id)
        try:
            article_draft_discard(article=article, revision=revision, by=request.user)
        except PublishError as refusal:
            self.message_user(request, str(refusal), messages.ERROR)
        else:
            self.message_user(
                request,
                f"The unpublished changes to “{article}” were discarded; they stay in its "
                "history. The form shows the live article.",
                messages.SUCCESS,
            )
        return redirect("admin:articles_article_change", article.pk)
