"""Review dates that come due: when each live article is next to be reviewed, and the ledger of
the weekly mail that says which are due.

An article's next review (Article.next_review) is 12 months (settings.ARTICLE_REVIEW_MONTHS)
after its last review: the approval of its live content (Article.approval), or the date an
editor last checked its facts (Article.last_reviewed), whichever is later. The publish services
set it again whenever a new approval reaches the site (a change published, a review confirmed);
an editor may set another date in the change form, which holds until the next approval. The
date is the schedule's, not the content's: it is not kept in revisions, and changing it on a
live article changes no text, so it needs no review and applies at once.

A model of the articles app (imported by articles/models.py), in a module of its own so that
models.py stays a size one can read; what needs the other models is in articles/review_due.py.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.models import MailReceipt


def months_after(day: date, months: int) -> date:
    """The same day `months` later; the month's last day when it has no such day (29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def due_after(reviewed_on: date) -> date:
    """The next review of content reviewed on `reviewed_on`."""
    return months_after(reviewed_on, settings.ARTICLE_REVIEW_MONTHS)


def last_review_on(article) -> date | None:
    """The article's last review: the later of its approval and its editor's fact check.
    Select approval (or set it) to read it without a query."""
    approved = timezone.localdate(article.approval.at) if article.approval_id else None
    return max(filter(None, (approved, article.last_reviewed)), default=None)


def review_due_default(article) -> date | None:
    """The next review when nobody chose one: 12 months after the last, or None if it had none."""
    reviewed = last_review_on(article)
    return due_after(reviewed) if reviewed else None


def due_on_approval(article, approval) -> date:
    """The next review once `approval` holds for the article's live content. The approval it
    already has keeps its date (or the editor's); a new one starts the 12 months again."""
    if approval.pk == article.approval_id and article.next_review:
        return article.next_review
    reviewed = timezone.localdate(approval.at)
    return due_after(max(filter(None, (reviewed, article.last_reviewed))))


def due_limit(today: date | None = None) -> date:
    """The last next-review date counted as due: those within the coming weeks, and earlier."""
    return (today or timezone.localdate()) + timedelta(days=settings.ARTICLE_REVIEW_DUE_SOON_DAYS)


def is_overdue(article, today: date | None = None) -> bool:
    """Live, with its next review passed: its page says so."""
    return bool(article.next_review and article.next_review < (today or timezone.localdate()))


def week_of(day: date) -> date:
    """The Monday of `day`'s week: the period of the weekly mail."""
    return day - timedelta(days=day.weekday())


class ReviewDueReceipt(MailReceipt):
    """One person's copy of one week's mail of reviews due (core.mail_once): the unique
    constraint lets one copy a week through, however often the task runs."""

    week = models.DateField(help_text="The Monday of the week it was sent in.")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    due = models.PositiveIntegerField(help_text="How many articles it listed.")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["week", "recipient"], name="review_due_once_a_week")
        ]

    def __str__(self) -> str:
        return f"Reviews due, week of {self.week}, to {self.recipient_id}: {self.outcome}"
