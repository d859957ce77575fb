from __future__ import annotations

from django import template
from django.middleware.csrf import get_token

from comments import selectors, services
from comments.forms import CommentForm
from comments.models import Comment, CommentFlag

register = template.Library()


def _int(value, default: int | None = None) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def viewer_context(request, article) -> dict:
    """What every comment fragment needs to know about the viewer."""
    user = request.user
    allowed, why = services.can_post(user)
    return {
        "request": request,
        "user": user,
        "article": article,
        "can_post": allowed and article.comments_open,
        "why_not": why,
        "is_moderator": user.has_perm("comments.change_comment"),
        "flag_reasons": CommentFlag.Reason.choices,
        "csrf_token": get_token(request),
    }


@register.inclusion_tag("comments/_discussion.html", takes_context=True)
def discussion(context, article):
    """The discussion under an article: prompt, threads, and the form or why there is none."""
    request = context["request"]
    user = request.user
    result = selectors.discussion_for(
        article=article,
        user=user,
        sort=request.GET.get("sort", selectors.DEFAULT_SORT),
        page=_int(request.GET.get("page"), 1),
    )
    reply_to = None
    if reply_id := _int(request.GET.get("reply")):
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
        **viewer_context(request, article),
        "discussion": result,
        "sorts": [(key, label) for key, (label, _) in selectors.SORTS.items()],
        "form": form,
        "reply_to": reply_to,
        "error": context.get("comment_error", ""),
        "preview": context.get("comment_preview", ""),
    }
