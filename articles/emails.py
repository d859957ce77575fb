"""Mail about clinical review (articles/review.py): one message per person concerned, rendered
now and sent by Celery once the step's transaction commits."""

from __future__ import annotations

from django.urls import reverse

from core.links import absolute_url
from core.mail import email_queue, render_mail


def review_mail_queue(step, *, recipients) -> None:
    """Tell each of `recipients` what `step` was: what, who, the note, and where to act."""
    article = step.article
    context = {
        "article": article,
        "step": step,
        "action": step.action,
        "by_name": step.by_name,
        "note": step.note,
        "live": article.is_public,
        "admin_url": absolute_url(reverse("admin:articles_article_change", args=[article.pk])),
    }
    for person in recipients:
        email_queue(
            render_mail(
                "articles/email/review",
                to=person.email,
                context={**context, "name": person.public_name},
            )
        )
