"""The article admin's side of clinical review (articles/review.py).

The change form shows where the working content stands and the buttons its viewer may use;
each button POSTs to one view, which calls articles.review.article_review_step. Editors submit
and withdraw, medical reviewers approve or request changes; anyone else asking gets a 403, a
revision that is not this article's a 404, a stale or refused step a message.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Q, Subquery
from django.http import Http404, HttpRequest, HttpResponseBadRequest, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import path, reverse

from articles import review, revisions
from articles.models import Article, ArticleRevision, ReviewStep

Action = ReviewStep.Action
# What the buttons post, and who may press them.
ACTIONS = {
    "submit": (Action.SUBMITTED, review.may_submit),
    "withdraw": (Action.WITHDRAWN, review.may_submit),
    "approve": (Action.APPROVED, review.may_decide),
    "request_changes": (Action.CHANGES_REQUESTED, review.may_decide),
}
DONE = {
    Action.SUBMITTED: "submitted for review; the medical reviewers are told",
    Action.WITHDRAWN: "withdrawn from review",
    Action.APPROVED: "approved: it may be published now",
    Action.CHANGES_REQUESTED: "sent back with your request for changes",
}
STEPS_SHOWN = 20  # the newest review steps on the change form


class ReviewListFilter(admin.SimpleListFilter):
    """The review state of each article's newest content (see ArticleReviewAdminMixin)."""

    title = "review"
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [*((a.value, a.label) for a in Action if a != Action.WITHDRAWN), ("none", "None")]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "none":
            return queryset.filter(
                Q(review_action__isnull=True) | Q(review_action=Action.WITHDRAWN)
            )
        if value in Action.values:
            return queryset.filter(review_action=value)
        return queryset


class ArticleReviewAdminMixin:
    """For the article's ModelAdmin, before the drafts and revisions mixins (it uses both)."""

    def review_urls(self) -> list:
        step = self.admin_site.admin_view(self.review_step_view)
        return [path("<path:object_id>/review/", step, name="articles_article_review")]

    def get_queryset(self, request):
        # The newest content revision's digest, and the latest review step on that content:
        # its review state, in two subqueries for the whole list.
        newest = ArticleRevision.objects.filter(article=OuterRef("pk")).exclude(
            kind=ArticleRevision.Kind.PUBLICATION
        )
        steps = ReviewStep.objects.filter(
            article=OuterRef("pk"), content_digest=OuterRef("newest_digest")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(newest_digest=Subquery(newest.order_by("-pk").values("content_digest")[:1]))
            .annotate(review_action=Subquery(steps.order_by("-pk").values("action")[:1]))
        )

    @admin.display(description="Review", ordering="review_action")
    def review_state(self, obj: Article) -> str:
        action = getattr(obj, "review_action", None)
        return "—" if action in (None, Action.WITHDRAWN) else review.STATE_OF_ACTION[action].label

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # A live article's panel comes with its draft (ArticleDraftsAdminMixin), read once there.
        if object_id is not None and self.has_view_permission(request):
            article = self.get_object(request, unquote(object_id))
            if article is not None and not article.is_public:
                extra_context = {**(extra_context or {}), **self.review_context(request, article)}
        return super().changeform_view(request, object_id, form_url, extra_context)

    def review_context(self, request: HttpRequest, article: Article, **draft) -> dict:
        """The change form's review panel; `draft=` a live article's draft, already read."""
        working = review.article_review(article, **draft)
        user = request.user
        state = working.state if working else None
        may_edit = review.may_submit(user) and self.has_change_permission(request, article)
        deciding = state == review.State.IN_REVIEW and review.may_decide(user)
        took_part = deciding and review.took_part(article, working, user)
        return {
            "review": working,
            "review_url": reverse("admin:articles_article_review", args=[article.pk]),
            "review_steps": list(review.article_review_steps(article)[:STEPS_SHOWN]),
            "may_submit_review": may_edit
            and state in (review.State.DRAFT, review.State.CHANGES_REQUESTED),
            "may_withdraw_review": may_edit and state == review.State.IN_REVIEW,
            "may_decide_review": deciding and not took_part,
            "review_took_part": took_part,
            "review_reader": review.may_decide(user),
            "when_format": revisions.WHEN_FORMAT,
            **self.review_due_context(request, article),
        }

    def review_step_view(self, request: HttpRequest, object_id: str):
        """POST: take one review step (`action`, `revision`, `note`) on the article."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_view_permission(request):
            raise PermissionDenied
        article = self.get_object(request, unquote(object_id))
        if article is None:
            raise Http404("No such article.")
        chosen = ACTIONS.get(request.POST.get("action", ""))
        if chosen is None:
            return HttpResponseBadRequest("Unknown review action.")
        action, may = chosen
        if not may(request.user) or (
            may is review.may_submit and not self.has_change_permission(request, article)
        ):
            raise PermissionDenied
        # No revision: the content as it stands, which only a submission may name (an article
        # from before revisions were kept); a decision always names what was reviewed.
        raw = request.POST.get("revision") or None
        if raw is None and action != Action.SUBMITTED:
            raise Http404("No such revision.")
        revision = self._revision(article, raw) if raw else None
        try:
            review.article_review_step(
                article=article,
                revision=revision,
                by=request.user,
                action=action,
                note=request.POST.get("note", "")[:5000],
            )
        except review.ReviewForbidden as refusal:
            raise PermissionDenied(str(refusal)) from refusal
        except review.ReviewError as refusal:
            self.message_user(request, str(refusal), messages.ERROR)
        else:
            self.message_user(request, f"“{article}” is {DONE[action]}.", messages.SUCCESS)
        return redirect("admin:articles_article_change", article.pk)
