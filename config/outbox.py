"""A staff-only view of var/mail/, for development without an SMTP server."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from pathlib import Path

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404
from django.template.response import TemplateResponse

_NAME = re.compile(r"^[\w.-]+\.eml$")
PAGE_SIZE = 100


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
    }


@staff_member_required
def outbox(request):
    files = sorted(_folder().glob("*.eml"), reverse=True)[:PAGE_SIZE]
    return TemplateResponse(
        request,
        "outbox/list.html",
        {"messages_sent": [_summary(path) for path in files], "folder": _folder()},
    )


@staff_member_required
def outbox_message(request, name: str):
    path = _folder() / name
    if not _NAME.match(name) or not path.is_file():
        raise Http404("No such message.")
    summary = _summary(path)
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
