"""Notification emails about comments: rendered from templates, plain text and HTML."""

from __future__ import annotations

from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from core.links import absolute_url
from core.mail import render_mail


def build_mail(template: str, *, to: str, context: dict) -> EmailMultiAlternatives:
    context = {"settings_url": absolute_url(reverse("account_settings")), **context}
    return render_mail(f"comments/email/{template}", to=to, context=context)


def comment_context(comment) -> dict:
    return {
        "comment": comment,
        "article": comment.article,
        "comment_url": absolute_url(comment.get_absolute_url()),
        "author_name": comment.author.public_name if comment.author else "A reader",
    }
