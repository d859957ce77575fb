"""What the comment pages share: what every fragment (the form, a comment, its reply and
moderation buttons) needs to know about who is looking, and the message a moderator's
decision leaves, with its undo link. Used by the views, the admin and the template tags."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode

from comments import services
from comments.forms import CommentReportForm, ModerationForm
from comments.models import is_moderator


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
        "is_moderator": is_moderator(user),
        "flag_reasons": CommentReportForm.base_fields["reason"].choices,
        "moderation_reasons": ModerationForm.base_fields["reason"].choices,
        "csrf_token": get_token(request),
    }


UNDO_SALT = "comments.undo"
DONE = {
    "approve": "published",
    "reject": "rejected",
    "spam": "marked as spam",
    "ban": "marked as spam and its author banned",
}


def undo_url(decisions) -> str:
    """A link that takes these decisions back, signed, for COMMENTS_UNDO_MINUTES."""
    token = signing.dumps([d.pk for d in decisions], salt=UNDO_SALT)
    return reverse("comment_undo", kwargs={"token": token})


def decision_message(
    request, decisions, action: str, count: int | None = None, back_to: str = ""
) -> None:
    """The decision's message, with its undo link (which comes back to `back_to`)."""
    count = len({d.comment_id for d in decisions}) if count is None else count
    undo = undo_url(decisions) + (f"?{urlencode({'next': back_to})}" if back_to else "")
    what = "Comment" if count == 1 else f"{count} comments"
    messages.success(
        request,
        format_html(
            '{} {}. <a href="{}">Undo</a> (for {} minutes)',
            what,
            DONE[action],
            undo,
            settings.COMMENTS_UNDO_MINUTES,
        ),
    )
