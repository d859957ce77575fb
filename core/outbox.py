"""A superuser-only view of var/mail/, for development without an SMTP server.

It answers only while mail is written to files (core.mail.EmlFileBackend), never in
production, and never shows account-security mail, so no one can read another's reset link.
"""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from functools import wraps
from itertools import islice
from pathlib import Path

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.template.response import TemplateResponse

from core.mail import ACCOUNT_SECURITY_HEADER, FILE_BACKEND

_NAME = re.compile(r"^[\w.-]+\.eml$")
PAGE_SIZE = 100


def superuser_outbox(view):
    """404 unless mail goes to files; anonymous visitors sign in; other accounts get a 403."""

    @wraps(view)
    def guarded(request, *args, **kwargs):
        if settings.EMAIL_BACKEND != FILE_BACKEND:
            raise Http404("Mail is not written to files here.")
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_superuser:
            raise PermissionDenied("The outbox is for superusers.")
        return view(request, *args, **kwargs)

    return guarded


def _folder() -> Path:
    return Path(settings.EMAIL_FILE_PATH)


def _summary(path: Path) -> dict:
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    return {
        "name": path.name,
        "to": message["To"],
        "subject": message["Subject"],
        "date": message["Date"],
        "message": message,
        "account_security": message[ACCOUNT_SECURITY_HEADER] is not None,
    }


def _shown(paths):
    for path in paths:
        summary = _summary(path)
        if not summary["account_security"]:
            yield summary


@superuser_outbox
def outbox(request):
    files = sorted(_folder().glob("*.eml"), reverse=True)
    return TemplateResponse(
        request,
        "outbox/list.html",
        {"messages_sent": list(islice(_shown(files), PAGE_SIZE)), "folder": _folder()},
    )


@superuser_outbox
def outbox_message(request, name: str):
    path = _folder() / name
    if not _NAME.match(name) or not path.is_file():
        raise Http404("No such message.")
    summary = _summary(path)
    if summary["account_security"]:
        raise Http404("No such message.")
    body = summary["message"].get_body(preferencelist=("plain", "html"))
    return TemplateResponse(
        request,
        "outbox/message.html",
        {
            "mail": summary,
            "headers": list(summary["message"].items()),
            "text": body.get_content() if body else "",
        },
    )
