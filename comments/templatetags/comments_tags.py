from __future__ import annotations

from django import template
from django.template.loader import render_to_string

from comments import fragments, selectors
from comments.forms import CommentForm
from comments.fragments import Viewer
from comments.models import Comment
from comments.presentation import viewer_context

register = template.Library()


def _int(value, default: int | None = None) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


@register.simple_tag(takes_context=True)
def discussion(context, article) -> str:
    """The discussion under an article: prompt, threads, and the form or why there is none.

    Each comment's markup comes from comments.fragments, rendered once for everyone who
    sees it the same way; what is the viewer's own (their waiting comments, marks, edit and
    remove, moderation) is read per request in a few small queries.
    """
    request = context["request"]
    sort = request.GET.get("sort", selectors.DEFAULT_SORT)
    sort = sort if sort in selectors.SORTS else selectors.DEFAULT_SORT
    page = _int(request.GET.get("page"), 1)
    return render_to_string(
        "comments/_discussion.html", _discussion_context(context, article, sort, page)
    )


def _discussion_context(context, article, sort: str, page: int) -> dict:
    request = context["request"]
    user = request.user
    viewer = viewer_context(request, article)
    result = selectors.discussion_for(
        article=article, user=user, sort=sort, page=page, reactions=viewer["can_post"]
    )
    reply_to = None
    if user.is_authenticated and (reply_id := _int(request.GET.get("reply"))):
        reply_to = (
            Comment.objects.published()
            .filter(pk=reply_id, article=article)
            .select_related("author")
            .first()
        )
    form = context.get("comment_form") or CommentForm(
        user=user, initial={"parent": reply_to.pk if reply_to else None}
    )
    return {
        **viewer,
        "discussion": result,
        "threads_html": fragments.threads_html(result.threads, Viewer.of(viewer, result)),
        "sorts": [(key, label) for key, (label, _) in selectors.SORTS.items()],
        "form": form,
        "form_id": "comment-form",
        "reply_to": reply_to,
        "error": context.get("comment_error", ""),
        "preview": context.get("comment_preview", ""),
    }


@register.simple_tag(takes_context=True)
def comment_thread(context, node) -> str:
    """One comment and its replies, as the discussion shows them (a reply just posted)."""
    return fragments.threads_html([node], Viewer.of(context.flatten()))


@register.simple_tag
def comments_of(user) -> list[Comment]:
    """The reader's own comments, for their settings page."""
    return selectors.comments_of(user=user)
