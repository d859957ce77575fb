"""Who hears about a published comment, and the moderators' digest. Each mail at most once."""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from comments import emails
from comments.models import (
    Comment,
    ModerationDecision,
    ModerationDigest,
    ModerationDigestReceipt,
    Notification,
)
from core.links import absolute_url
from core.mail import MailRefused, deliver
from core.mail_once import mail_each_once
from core.people import permission_holders

logger = logging.getLogger(__name__)

DIGEST_LIST_SIZE = 20


def _recipients(comment: Comment) -> list[tuple[str, object]]:
    """(kind, user) pairs for a published comment; nobody twice. Its own author hears only
    that a moderator published it after it waited."""
    pairs: list[tuple[str, object]] = []
    author = comment.author
    if (
        author
        and author.notify_comment_approved
        and comment.decisions.filter(
            action=ModerationDecision.Action.APPROVE, moderator__isnull=False
        ).exists()
    ):
        pairs.append((Notification.Kind.APPROVED, author))
    # The reader replied to the comment they clicked on, wherever the depth cap filed it.
    parent_author = comment.in_reply_to.author if comment.in_reply_to_id else None
    if parent_author and parent_author.pk != comment.author_id and parent_author.notify_replies:
        pairs.append((Notification.Kind.REPLY, parent_author))
    article_author = comment.article.author
    if (
        article_author
        and article_author.pk != comment.author_id
        and article_author.notify_article_comments
        and not any(user.pk == article_author.pk for _, user in pairs)
    ):
        pairs.append((Notification.Kind.ARTICLE_COMMENT, article_author))
    return pairs


def comment_notify(*, comment_id: int) -> int:
    """Email the people a newly published comment concerns; returns how many mails left.

    Safe to run twice or on two workers at once: the ledger row and the mail share a
    transaction, and the ledger's unique constraint lets only one of them through.
    """
    comment = (
        Comment.objects.select_related("article__author", "author", "in_reply_to__author")
        .filter(pk=comment_id, status=Comment.Status.APPROVED)
        .first()
    )
    if comment is None:
        return 0
    sent = 0
    for kind, user in _recipients(comment):
        try:
            with transaction.atomic():
                Notification.objects.create(kind=kind, comment=comment, recipient=user)
                deliver(
                    emails.build_mail(kind, to=user.email, context=emails.comment_context(comment))
                )
        except IntegrityError:
            continue  # already notified
        except MailRefused as error:
            # Permanent (5xx): a retry would be refused too, so it is recorded and never retried.
            logger.warning("Comment notice to user %s refused: %s", user.pk, error)
            Notification.objects.get_or_create(
                kind=kind,
                comment=comment,
                recipient=user,
                defaults={"outcome": Notification.Outcome.FAILED, "detail": str(error)[:300]},
            )
            continue
        sent += 1
    return sent


def moderators():
    """Who hears of comments waiting: active moderators and superusers with an address."""
    return permission_holders("comments.change_comment", superusers=True)


def moderation_digest_send(*, period: str | None = None) -> int:
    """Tell moderators what waits, once per period, and only when something waits; returns
    how many copies left now.

    Each moderator's copy is its own send with its own receipt, written in the transaction
    that sends it: a refused address is recorded and never tried again, a deferred one raises
    MailDeferred after the others have gone, and the retry reaches only those still missing.
    """
    waiting = Comment.objects.filter(status=Comment.Status.PENDING)
    count = waiting.count()
    if not count:
        return 0
    period = period or timezone.now().strftime("%Y-%m-%d")
    digest, _ = ModerationDigest.objects.get_or_create(period=period, defaults={"waiting": count})
    context = {
        "waiting": count,
        "comments": waiting.select_related("author", "article").order_by("created_at")[
            :DIGEST_LIST_SIZE
        ],
        "more": max(0, count - DIGEST_LIST_SIZE),
        "queue_url": (
            absolute_url(reverse("admin:comments_comment_changelist")) + "?status__exact=pending"
        ),
    }
    missing = moderators().exclude(pk__in=digest.receipts.values("recipient")).order_by("pk")
    return mail_each_once(
        missing,
        mail_for=lambda moderator: emails.build_mail(
            "moderation_digest", to=moderator.email, context=context
        ),
        record=lambda moderator, **fields: ModerationDigestReceipt.objects.create(
            digest=digest, recipient=moderator, **fields
        ),
        what="moderation digest",
    )
