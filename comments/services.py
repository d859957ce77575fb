"""Every write with rules on what readers do with comments: posting (and the moderation
policy that publishes or holds), editing, removing, marking helpful, reporting. Moderators'
decisions are in comments.moderation."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from accounts.services import profile_update
from articles.models import Article
from comments.cache import discussion_changed
from comments.models import (
    Comment,
    CommentBan,
    CommentFlag,
    HelpfulMark,
    ModerationDecision,
    address_digest,
)
from core.markup import render_user_markdown
from core.ratelimit import allow, window_seconds

LINK_RE = re.compile(r"https?://|\bwww\.", re.IGNORECASE)


class CommentError(Exception):
    """A comment that cannot be accepted, with a message for its author."""


class CommentsClosed(CommentError):
    pass


class PostingForbidden(CommentError):
    pass


class RateLimited(CommentError):
    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class PolicyDecision:
    status: str
    reasons: tuple[str, ...] = ()
    asks_for_advice: bool = False


def _banned(user, addresses: list[str]) -> bool:
    """Banned as this account, or at any of its addresses (a ban outlives a deleted account)."""
    digests = {address_digest(address) for address in [user.email, *addresses]}
    return CommentBan.objects.filter(Q(user=user) | Q(email_digest__in=digests)).exists()


REFUSALS = {
    "sign_in": "Sign in to join the discussion.",
    "banned": "Your account can no longer post comments.",
    "verify": "Verify your email address to join the discussion.",
}


def can_post(user) -> tuple[bool, str]:
    """Whether `user` may post, and if not, the reason to show them."""
    if not user.is_authenticated:
        return False, "sign_in"
    # One query for the usual reader: their addresses, and a ban on the account or on its
    # main address; other addresses (rare) are checked against bans after.
    ban = CommentBan.objects.filter(Q(user=user) | Q(email_digest=address_digest(user.email)))
    rows = list(
        EmailAddress.objects.filter(user=user)
        .annotate(banned=Exists(ban))
        .values_list("email", "verified", "banned")
    )
    addresses = {email: verified for email, verified, _ in rows}
    others = [email for email in addresses if email.strip().lower() != user.email]
    banned = rows[0][2] if rows else ban.exists()
    if banned or (others and _banned(user, others)):
        return False, "banned"
    if not any(addresses.values()):
        return False, "verify"
    return True, ""


def moderation_decide(*, author, body: str) -> PolicyDecision:
    """The one moderation policy: publish at once, or hold for a moderator, and why. Whether
    the author may post at all is asked first, by `_may_post`."""
    reasons: list[str] = []
    text = body.lower()
    links = len(LINK_RE.findall(body))
    if links > settings.COMMENTS_MAX_LINKS:
        reasons.append(f"contains {links} links")
    blocked = [
        w for w in settings.COMMENTS_BLOCKED_WORDS if re.search(rf"\b{re.escape(w)}\b", text)
    ]
    if blocked:
        reasons.append("contains a blocked word")
    advice = any(phrase in text for phrase in settings.COMMENTS_ADVICE_PHRASES)
    if advice:
        reasons.append("may ask for personal treatment advice")
    trusted = author.has_perm("comments.change_comment") or (
        Comment.objects.filter(author=author, status=Comment.Status.APPROVED).count()
        >= settings.COMMENTS_TRUSTED_AFTER
    )
    if not trusted:
        reasons.append("a new reader's first comments wait for approval")
    status = Comment.Status.PENDING if reasons else Comment.Status.APPROVED
    return PolicyDecision(status=status, reasons=tuple(reasons), asks_for_advice=advice)


def _may_post(user) -> None:
    allowed, why = can_post(user)
    if not allowed:
        raise PostingForbidden(REFUSALS[why])


def notify_on_commit(comment_id: int) -> None:
    from comments.tasks import notify_comment_published

    transaction.on_commit(lambda: notify_comment_published.delay(comment_id))


def _rate_check(*, user_id: int, ip_digest: str) -> None:
    if not allow(f"comments:user:{user_id}", settings.COMMENTS_RATE_PER_USER):
        raise RateLimited(
            "You are posting very quickly. Please wait a few minutes and try again.",
            retry_after=window_seconds(settings.COMMENTS_RATE_PER_USER),
        )
    if ip_digest and not allow(f"comments:ip:{ip_digest}", settings.COMMENTS_RATE_PER_IP):
        raise RateLimited(
            "Many comments have come from your network. Please try again later.",
            retry_after=window_seconds(settings.COMMENTS_RATE_PER_IP),
        )


def _attach_point(parent: Comment | None) -> Comment | None:
    """A reply to a comment at the depth cap attaches beside it, under its nearest published
    ancestor (a thread of its own when none is), never under a hidden comment."""
    if parent is None or parent.depth < settings.COMMENTS_MAX_DEPTH - 1:
        return parent
    # A path holds digits and slashes only, so rstrip's argument is the slash whatever it says.
    path = parent.path.rstrip("/")  # pragma: no mutate
    ancestors = [int(segment) for segment in path.split("/")[:-1]]
    return Comment.objects.published().filter(pk__in=ancestors).order_by("-depth").first()


def comment_submit(
    *,
    article: Article,
    author,
    body: str,
    parent: Comment | None = None,
    ip_digest: str = "",
    profile: dict[str, str] | None = None,
) -> Comment:
    """A reader posts a comment: the one way a comment is made.

    Checked once each, in this order: the reader may post (signed in, verified, not
    banned), the discussion is open, the comment replied to can take a reply, the rate
    limits (per account; per network when `ip_digest` is given). Then, in one transaction,
    the profile the reader filled in on the way (`profile`) and the comment, which the
    moderation policy publishes at once or holds for a moderator.
    """
    _may_post(author)
    if not article.comments_open or not article.is_public:
        raise CommentsClosed("The discussion on this article is closed.")
    if parent is not None and (
        parent.article_id != article.pk or parent.status != Comment.Status.APPROVED
    ):
        raise CommentError("That comment can no longer be replied to.")
    _rate_check(user_id=author.pk, ip_digest=ip_digest)
    decision = moderation_decide(author=author, body=body)
    with transaction.atomic():
        if profile:
            profile_update(user=author, **profile)
        attach_to = _attach_point(parent)
        comment = Comment.objects.create(
            article=article,
            author=author,
            parent=attach_to,
            in_reply_to=parent,
            depth=attach_to.depth + 1 if attach_to else 0,
            body=body,
            body_html=render_user_markdown(body),
            status=decision.status,
            held_reason="; ".join(decision.reasons),
            needs_advice_note=decision.asks_for_advice,
            ip_hash=ip_digest,
        )
        comment.place()
        discussion_changed(article.pk)
        if comment.status == Comment.Status.APPROVED:
            notify_on_commit(comment.pk)
        ModerationDecision.objects.create(
            comment=comment,
            moderator=None,  # pragma: no mutate (the field's default)
            action=(
                ModerationDecision.Action.HOLD
                if decision.status == Comment.Status.PENDING
                else ModerationDecision.Action.PUBLISH
            ),
            reason=comment.held_reason,
        )
    return comment


def comment_approvals_take(*, user) -> list[Comment]:
    """The reader's comments approved since they last visited, marked as told."""
    if not user.is_authenticated:
        return []
    approved = list(
        Comment.objects.filter(
            author=user, approval_unseen=True, status=Comment.Status.APPROVED
        ).select_related("article")
    )
    if approved:
        Comment.objects.filter(pk__in=[c.pk for c in approved]).update(approval_unseen=False)
    return approved


def flag_counts_refresh(*, comment_ids: Iterable[int]) -> None:
    """Set each comment's flag_count to its unanswered reports, counted from the rows."""
    unanswered = (
        CommentFlag.objects.filter(comment=OuterRef("pk"), answered_at__isnull=True)
        .values("comment")
        .annotate(n=Count("pk"))
        .values("n")
    )
    Comment.objects.filter(pk__in=list(comment_ids)).update(
        flag_count=Coalesce(Subquery(unanswered), 0)
    )


def comment_mark_helpful(*, comment: Comment, user) -> bool:
    """Toggle the reader's helpful mark; returns whether it is now marked.

    The unique constraint makes a double click or two tabs harmless; the count moves in the
    same transaction as the mark, so it always equals the number of marks.
    """
    if comment.author_id == user.pk:
        raise CommentError("You can't mark your own comment as helpful.")
    if comment.status != Comment.Status.APPROVED:
        raise CommentError("Only published comments can be marked as helpful.")
    with transaction.atomic():
        discussion_changed(comment.article_id)
        removed, _ = HelpfulMark.objects.filter(comment=comment, user=user).delete()
        if removed:
            Comment.objects.filter(pk=comment.pk).update(helpful_count=F("helpful_count") - 1)
            return False
        try:
            with transaction.atomic():
                HelpfulMark.objects.create(comment=comment, user=user)
        except IntegrityError:  # marked at this very moment from another tab
            return True
        Comment.objects.filter(pk=comment.pk).update(helpful_count=F("helpful_count") + 1)
        return True


def comment_flag(*, comment: Comment, user, reason: str) -> bool:
    """Record a reader's report. Enough distinct reports hide the comment pending review.

    Returns False when this reader had already reported this comment (nothing changes).
    """
    if comment.author_id == user.pk:
        raise CommentError("You can't report your own comment.")
    with transaction.atomic():
        # One report at a time per comment, so each recount sees every earlier report.
        Comment.objects.select_for_update().only("pk").get(pk=comment.pk)
        try:
            with transaction.atomic():
                CommentFlag.objects.create(comment=comment, user=user, reason=reason)
        except IntegrityError:
            return False
        flag_counts_refresh(comment_ids=[comment.pk])
        comment.refresh_from_db(fields=["flag_count", "status"])  # pragma: no mutate (all: same)
        if (
            comment.status == Comment.Status.APPROVED
            and comment.flag_count >= settings.COMMENTS_HIDE_AFTER_FLAGS
        ):
            reason_text = f"reported by {comment.flag_count} readers"
            discussion_changed(comment.article_id)
            Comment.objects.filter(pk=comment.pk, status=Comment.Status.APPROVED).update(
                status=Comment.Status.PENDING, held_reason=reason_text
            )
            ModerationDecision.objects.create(
                comment=comment, action=ModerationDecision.Action.HOLD, reason=reason_text
            )
    return True


def comment_ban_keep(*, user) -> None:
    """The account is going: its ban stays, by the digest of every address it had, so the
    reader cannot sign up again with one of them and post."""
    ban = CommentBan.objects.filter(user=user).first()
    if ban is None:
        return
    addresses = {
        user.email,
        *EmailAddress.objects.filter(user=user).values_list("email", flat=True),
    }
    with transaction.atomic():
        for digest in {address_digest(address) for address in addresses} - {ban.email_digest}:
            CommentBan.objects.get_or_create(
                user=None,
                email_digest=digest,
                defaults={"reason": ban.reason, "banned_by": ban.banned_by},
            )


def reactions_withdraw(*, user) -> None:
    """Take back a reader's helpful marks and reports, counts included (their account is
    going), so that signing up again with the same address can never count twice."""
    with transaction.atomic():
        marked = list(HelpfulMark.objects.filter(user=user).values_list("comment_id", flat=True))
        HelpfulMark.objects.filter(user=user).delete()
        Comment.objects.filter(pk__in=marked).update(
            helpful_count=Greatest(F("helpful_count") - 1, 0)
        )
        reported = list(CommentFlag.objects.filter(user=user).values_list("comment_id", flat=True))
        list(Comment.objects.select_for_update().filter(pk__in=reported).values_list("pk"))
        CommentFlag.objects.filter(user=user).delete()
        flag_counts_refresh(comment_ids=reported)
        touched = Comment.objects.filter(pk__in=marked + reported)
        for article_id in set(touched.values_list("article_id", flat=True)):
            discussion_changed(article_id)


def comment_edit(*, comment: Comment, user, body: str) -> Comment:
    """The author corrects their comment within the edit window; shown as edited.

    The policy looks at the new text too: an edit that adds many links or blocked words
    sends a published comment back to the queue.
    """
    if comment.author_id != user.pk:
        raise PostingForbidden("Only the author can edit this comment.")
    if not comment.is_editable:
        raise CommentError(
            f"Comments can be edited for {settings.COMMENTS_EDIT_MINUTES} minutes after posting."
        )
    _may_post(user)
    decision = moderation_decide(author=user, body=body)
    content_reasons = [r for r in decision.reasons if "first comments" not in r]
    with transaction.atomic():
        comment.body, comment.body_html = body, render_user_markdown(body)
        comment.edited_at = timezone.now()
        fields = ["body", "body_html", "edited_at"]
        if content_reasons and comment.status == Comment.Status.APPROVED:
            comment.status = Comment.Status.PENDING
            comment.held_reason = "edited: " + "; ".join(content_reasons)
            comment.needs_advice_note = decision.asks_for_advice
            fields += ["status", "held_reason", "needs_advice_note"]
            ModerationDecision.objects.create(
                comment=comment, action=ModerationDecision.Action.HOLD, reason=comment.held_reason
            )
        comment.save(update_fields=fields)  # pragma: no mutate (every field: the same row)
        discussion_changed(comment.article_id)
    return comment


def comment_remove(*, comment: Comment, user) -> Comment:
    """The author withdraws their comment: its text is gone, its replies keep their place."""
    if comment.author_id != user.pk:
        raise PostingForbidden("Only the author can remove this comment.")
    if comment.status == Comment.Status.REMOVED:
        return comment
    with transaction.atomic():
        comment.status = Comment.Status.REMOVED
        comment.body = comment.body_html = ""
        comment.save(update_fields=["status", "body", "body_html"])  # pragma: no mutate
        discussion_changed(comment.article_id)
    return comment
