"""Every write with rules on articles. The admin, the schedule and the seed all come here."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from articles.models import Article

log = logging.getLogger(__name__)

PUBLIC = (Article.Status.PUBLISHED, Article.Status.SCHEDULED)


class PublishError(ValueError):
    """A publishing request that cannot be carried out, with a message for the editor."""


def article_publish(*, article: Article, at: datetime | None = None) -> Article:
    """Publish now, or schedule for `at` when that lies in the future.

    Idempotent: publishing an article that is already published changes nothing and keeps
    its original publication time. The transition is a conditional UPDATE, so two callers
    (say the admin and the periodic task) cannot both record it.
    """
    now = timezone.now()
    if at is not None and timezone.is_naive(at):
        raise PublishError("The publication time needs a time zone.")
    if not article.title or not article.body.strip():
        raise PublishError(f"“{article}” needs a title and a body before it can be published.")
    with transaction.atomic():
        current = Article.objects.select_for_update().get(pk=article.pk)
        if current.status == Article.Status.PUBLISHED:
            pass  # already public: publishing again is harmless and changes nothing
        elif at is not None and at > now:
            current.status, current.published_at = Article.Status.SCHEDULED, at
        else:
            due = current.status == Article.Status.SCHEDULED and current.published_at <= now
            current.published_at = at or (current.published_at if due else now)
            current.status = Article.Status.PUBLISHED
            log.info("article %s published at %s", current.pk, current.published_at)
        Article.objects.filter(pk=current.pk).exclude(status=Article.Status.PUBLISHED).update(
            status=current.status, published_at=current.published_at, updated_at=now
        )
    article.refresh_from_db(fields=["status", "published_at", "updated_at"])
    return article


def article_unpublish(*, article: Article) -> Article:
    """Take an article off the site (back to draft); its URL answers 404 again."""
    Article.objects.filter(pk=article.pk).update(
        status=Article.Status.DRAFT, published_at=None, updated_at=timezone.now()
    )
    article.refresh_from_db(fields=["status", "published_at", "updated_at"])
    return article


def publish_due_articles() -> list[int]:
    """Record the publication of every scheduled article whose time has come."""
    published = []
    for article in Article.objects.due().only("pk", "title", "body", "status", "published_at"):
        article_publish(article=article)
        published.append(article.pk)
    return published
