"""The article admin's revision pages: history, compare and restore.

Thin views: they find the article and its revisions (only for staff who may change articles;
anything else is a 403, a revision that is not this article's a 404), then call
articles.revisions and articles.revision_compare and render.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from articles import review, revision_compare, revisions
from articles.models import Article, ArticleRevision
from articles.services import article_restore


class ArticleRevisionsAdminMixin:
    """For the article's ModelAdmin: its history page, and the compare and restore pages."""

    history_per_page = 100  # revisions per page of the history

    def revision_urls(self) -> list:
        compare = self.admin_site.admin_view(self.compare_view)
        restore = self.admin_site.admin_view(self.restore_view)
        return [
            path("<path:object_id>/history/compare/", compare, name="articles_article_compare"),
            path(
                "<path:object_id>/history/<int:revision_id>/restore/",
                restore,
                name="articles_article_restore",
            ),
        ]

    def _article_for_revisions(
        self, request: HttpRequest, object_id: str, *, reading: bool = False
    ) -> Article:
        """The article whose revisions are asked for, to those who may change articles only;
        `reading` (the history, a comparison) is for medical reviewers too."""

        def allowed(obj=None) -> bool:
            if reading and review.may_decide(request.user):
                return self.has_view_permission(request, obj)
            return self.has_change_permission(request, obj)

        if not allowed():
            raise PermissionDenied
        article = self.get_object(request, unquote(object_id))
        if article is None or not allowed(article):
            raise Http404("No such article.")
        return article

    @staticmethod
    def _revision_id(value) -> int:
        """A revision id as typed into an address: nonsense, or out of range, is a 404."""
        try:
            pk = int(value)
        except (TypeError, ValueError):
            raise Http404("No such revision.") from None
        if not 0 < pk < 2**63:
            raise Http404("No such revision.")
        return pk

    def _revision(self, article: Article, revision_id) -> ArticleRevision:
        """One of this article's revisions; another article's, or none, is a 404."""
        pk = self._revision_id(revision_id)
        found = revisions.article_revision_list(article).filter(pk=pk).first()
        if found is None:
            raise Http404("No such revision.")
        return found

    def _revisions_context(self, request: HttpRequest, article: Article, title: str) -> dict:
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": article,
            "title": title,
            "history_url": reverse("admin:articles_article_history", args=[article.pk]),
            "when_format": revisions.WHEN_FORMAT,
        }

    def history_view(self, request: HttpRequest, object_id: str, extra_context=None):
        """Its revisions, newest first: when, who, the note; compare and restore links."""
        article = self._article_for_revisions(request, object_id, reading=True)
        page = Paginator(revisions.article_revision_list(article), self.history_per_page).get_page(
            request.GET.get("page")
        )
        return TemplateResponse(
            request,
            "admin/articles/article/history.html",
            {
                **self._revisions_context(request, article, f"History of “{article}”"),
                "page": page,
                "current_digest": revisions.article_content(article).digest(),
                "oldest_shown": not page.has_next(),
            },
        )

    def compare_view(self, request: HttpRequest, object_id: str) -> TemplateResponse:
        """Two revisions side by side (`a`, `b`; `b` alone: against the one before it)."""
        article = self._article_for_revisions(request, object_id, reading=True)
        everything = list(revisions.article_revision_list(article))  # newest first
        if not everything:
            raise Http404("This article has no revisions yet.")
        places = {revision.pk: place for place, revision in enumerate(everything)}

        def place_of(name: str) -> int:
            place = places.get(self._revision_id(request.GET[name]))
            if place is None:
                raise Http404("No such revision of this article.")
            return place

        # Without "b", the newest; without "a", the one before "b" (a first revision: itself).
        later = place_of("b") if "b" in request.GET else 0
        earlier = place_of("a") if "a" in request.GET else min(later + 1, len(everything) - 1)
        newer, older = everything[min(later, earlier)], everything[max(later, earlier)]
        return TemplateResponse(
            request,
            "admin/articles/article/compare.html",
            {
                **self._revisions_context(request, article, f"Compare revisions of “{article}”"),
                "older": older,
                "newer": newer,
                "changes": revision_compare.revisions_compare(older=older, newer=newer),
                "choices": everything,
            },
        )

    def restore_view(self, request: HttpRequest, object_id: str, revision_id: int):
        """A page that says what restoring does; its POST restores and makes a new revision."""
        article = self._article_for_revisions(request, object_id)
        revision = self._revision(article, revision_id)
        if request.method == "POST":
            scheduled = article.status == Article.Status.SCHEDULED
            article_restore(article=article, revision=revision, by=request.user)
            if scheduled and article.status != Article.Status.SCHEDULED:
                self.message_user(
                    request,
                    f"Restored the revision of {revisions.when(revision.created_at)} as a new "
                    "revision. The article is no longer scheduled: its content is not the one a "
                    "medical reviewer approved. Submit it for review again.",
                    messages.WARNING,
                )
                return redirect("admin:articles_article_change", article.pk)
            live = (
                " It is the article’s unpublished changes: readers see the published version "
                "until they are published."
                if article.is_public
                else ""
            )
            self.message_user(
                request,
                f"Restored the revision of {revisions.when(revision.created_at)} by "
                f"{revision.by}, as a new revision. The publication state is unchanged.{live}",
                messages.SUCCESS,
            )
            return redirect("admin:articles_article_change", article.pk)
        (content,) = revisions.revision_contents(revision)
        current = revisions.article_content(article)
        changes = revision_compare.content_changes(
            current, content, fields=revisions.RESTORED_FIELDS
        )
        return TemplateResponse(
            request,
            "admin/articles/article/restore_confirm.html",
            {
                **self._revisions_context(request, article, "Restore this revision?"),
                "revision": revision,
                "changes": changes,
                "slug_differs": content.fields.get("slug") != article.slug,
            },
        )
