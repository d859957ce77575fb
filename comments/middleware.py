"""Tells a reader, on their next page, that a moderator published a comment of theirs."""

from __future__ import annotations

from django.contrib import messages
from django.utils.html import format_html

from comments.services import comment_approvals_take


class ApprovalNoticeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            request.method == "GET"
            and user is not None
            and user.is_authenticated
            and not getattr(request, "htmx", False)
        ):
            for comment in comment_approvals_take(user=user):
                messages.success(
                    request,
                    format_html(
                        'A moderator published <a href="{}">your comment on “{}”</a>.',
                        comment.get_absolute_url(),
                        comment.article.title,
                    ),
                )
        return self.get_response(request)
