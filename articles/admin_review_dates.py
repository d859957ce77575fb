"""The article admin's side of review dates (articles/review_dates.py, articles/review_due.py).

The list shows each article's next review, overdue ones marked, and filters what is due; a live
article's change form says when its review is due, and gives a medical reviewer who is not its
author a button to confirm that it still stands. Anyone else posting that button gets a 403, a
refused confirmation a message.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from articles import review, review_due
from articles.models import Article
from articles.review_dates import is_overdue


class ReviewDueListFilter(admin.SimpleListFilter):
    """Live articles by when their next medical review falls."""

    title = "next review"
    parameter_name = "review_due"

    def lookups(self, request, model_admin):
        soon = settings.ARTICLE_REVIEW_DUE_SOON_DAYS
        return [("due", f"Due within {soon} days, or overdue"), ("overdue", "Overdue")]

    def queryset(self, request, queryset):
        value = self.value()
        if value not in ("due", "overdue"):
            return queryset
        due = queryset.filter(pk__in=review_due.reviews_due().values("pk"))
        if value == "overdue":
            return due.filter(next_review__lt=timezone.localdate())
        return due


class ArticleReviewDatesAdminMixin:
    """For the article's ModelAdmin: the list's column and filter, the change form's context
    (through ArticleReviewAdminMixin.review_context) and the confirmation's view."""

    def review_date_urls(self) -> list:
        confirm = self.admin_site.admin_view(self.review_confirm_view)
        return [
            path(
                "<path:object_id>/review/confirm/",
                confirm,
                name="articles_article_review_confirm",
            )
        ]

    @admin.display(description="Next review", ordering="next_review")
    def next_review_shown(self, obj: Article) -> str:
        if obj.next_review is None:
            return "—"
        shown = obj.next_review.strftime("%-d %b %Y")
        if obj.is_public and is_overdue(obj):
            return format_html('<strong class="review-overdue">{} (overdue)</strong>', shown)
        return shown

    def review_due_context(self, request: HttpRequest, article: Article) -> dict:
        """When a live article's next review falls, and whether the viewer may confirm it."""
        if not article.is_public:
            return {}
        user = request.user
        return {
            "next_review": article.next_review,
            "review_overdue": is_overdue(article),
            "review_confirm_url": reverse(
                "admin:articles_article_review_confirm", args=[article.pk]
            ),
            "may_confirm_review": review.may_decide(user)
            and not review_due.is_author(article, user),
        }

    def review_confirm_view(self, request: HttpRequest, object_id: str):
        """POST: a medical reviewer confirms that the live article still stands (`note`)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not (self.has_view_permission(request) and review.may_decide(request.user)):
            raise PermissionDenied
        article = self.get_object(request, unquote(object_id))
        if article is None:
            raise Http404("No such article.")
        try:
            review_due.article_review_confirm(
                article=article, by=request.user, note=request.POST.get("note", "")
            )
        except review.ReviewError as refusal:
            self.message_user(request, str(refusal), messages.ERROR)
        else:
            self.message_user(
                request,
                f"Review of “{article}” confirmed; its next review is due "
                f"{article.next_review:%-d %B %Y}.",
                messages.SUCCESS,
            )
        return redirect("admin:articles_article_change", article.pk)
