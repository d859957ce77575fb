"""Reviews that come due (articles/review_dates.py holds the dates' rules): the list of live
articles due or overdue, the weekly mail that tells editors and medical reviewers of them, and a
reviewer's confirmation that a live article still stands as it is.
"""

from __future__ import annotations

import logging
from datetime import date

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from articles import drafts, review
from articles.models import Article, Contributor, ReviewStep
from articles.review_dates import ReviewDueReceipt, due_limit, due_on_approval, week_of
from articles.revisions import article_content
from core.links import absolute_url
from core.mail import render_mail
from core.mail_once import mail_each_once
from core.people import permission_holders

log = logging.getLogger(__name__)

CONFIRMED_NOTE = "Reviewed again: still accurate, no changes needed."
# The weekly mail lists this many articles, the most overdue first, and says how many more.
DUE_LIST_SIZE = 30


def reviews_due(today: date | None = None) -> QuerySet[Article]:
    """Live articles whose next review is past or within the coming weeks, soonest first."""
    return (
        Article.objects.published()
        .filter(next_review__lte=due_limit(today))
        .order_by("next_review", "pk")
    )


def due_recipients() -> QuerySet:
    """Who hears of reviews due: active editors and medical reviewers with an address (by a
    group or given to themselves; superusers only when given one of the two)."""
    return permission_holders("articles.change_article", review.REVIEW_PERMISSION)


def review_due_mail_send(*, today: date | None = None) -> int:
    """The week's mail of reviews due, to each editor and reviewer once a week, only when
    something is due; returns how many copies left now.

    Each copy is its own send with its own receipt, written in the transaction that sends it: a
    refused address is recorded and never tried again that week, a deferred one raises
    MailDeferred after the others have gone, and a retry reaches only those still missing.
    """
    today = today or timezone.localdate()
    due = reviews_due(today)
    count = due.count()
    if not count:
        return 0
    week = week_of(today)
    # A deferred field is loaded when read: which fields `only` names is not a rule.
    listed = due.only("pk", "title", "next_review")  # pragma: no mutate
    context = {
        "articles": [
            {
                "title": article.title,
                "next_review": article.next_review,
                "overdue": article.next_review < today,
                "admin_url": absolute_url(
                    reverse("admin:articles_article_change", args=[article.pk])
                ),
            }
            for article in listed[:DUE_LIST_SIZE]
        ],
        "count": count,
        "more": max(0, count - DUE_LIST_SIZE),
        "list_url": absolute_url(reverse("admin:articles_article_changelist")) + "?review_due=due",
    }
    # Only saves the attempt: the receipt's unique constraint refuses a second copy anyway.
    sent_before = ReviewDueReceipt.objects.filter(week=week)  # pragma: no mutate
    missing = due_recipients().exclude(pk__in=sent_before.values("recipient"))
    return mail_each_once(
        missing.order_by("pk"),
        mail_for=lambda person: render_mail(
            "articles/email/review_due",
            to=person.email,
            context={**context, "name": person.public_name},
        ),
        record=lambda person, **fields: ReviewDueReceipt.objects.create(
            week=week, recipient=person, due=count, **fields
        ),
        what="reviews-due mail",
    )


def is_author(article: Article, user: AbstractBaseUser) -> bool:
    """Whether `user` answers for the live article: its author account, or a contributor it
    names whose profile is theirs."""
    return article.author_id == user.pk or (
        Contributor.objects.filter(articles=article, user_id=user.pk).exists()
    )


def article_review_confirm(
    *, article: Article, by: AbstractBaseUser | None, note: str = ""
) -> ReviewStep:
    """A medical reviewer who is not its author confirms that a live article's content still
    stands: an approval of that same content, which becomes the article's review ("Medically
    reviewed by … on …") and starts the 12 months to its next review again. Its text is
    untouched; unpublished changes, if any, keep their own review."""
    if by is None or not review.may_decide(by):
        raise review.ReviewForbidden("Only medical reviewers can confirm an article's review.")
    note = note.strip()[:5000] or CONFIRMED_NOTE
    with transaction.atomic():
        current = Article.objects.select_for_update().get(pk=article.pk)
        if not current.is_public:
            raise review.ReviewError(
                f"“{current}” is not live: its content is reviewed before it is published. "
                "Submit it for review instead."
            )
        if is_author(current, by):
            raise review.ReviewError(
                f"You are an author of “{current}”: another medical reviewer must confirm it."
            )
        live = article_content(current)
        step = ReviewStep.objects.create(
            article=current,
            revision=drafts.live_revision(current, live=live),
            content_digest=live.digest(),
            action=ReviewStep.Action.APPROVED,
            by=by,
            note=note,
        )
        due = due_on_approval(current, step)
        Article.objects.filter(pk=current.pk).update(approval=step, next_review=due)
        log.info("article %s: review confirmed by user %s, next %s", current.pk, by.pk, due)
    article.refresh_from_db(fields=["approval", "next_review"])  # pragma: no mutate
    return step
