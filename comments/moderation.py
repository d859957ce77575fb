"""Moderators' decisions on comments: approve, reject, spam and ban, each with who, when and
why in the audit (ModerationDecision), and undo for a short while."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from comments.cache import discussion_changed
from comments.models import Comment, CommentBan, CommentFlag, ModerationDecision
from comments.services import CommentError, flag_counts_refresh, notify_on_commit

_ACTION_STATUS = {
    ModerationDecision.Action.APPROVE: Comment.Status.APPROVED,
    ModerationDecision.Action.REJECT: Comment.Status.REJECTED,
    ModerationDecision.Action.SPAM: Comment.Status.SPAM,
    ModerationDecision.Action.BAN: Comment.Status.SPAM,
}
# Hiding a comment says why, to the audit and to the comment's author.
REASON_REQUIRED = frozenset(
    {
        ModerationDecision.Action.REJECT,
        ModerationDecision.Action.SPAM,
        ModerationDecision.Action.BAN,
    }
)


class ModerationForbidden(CommentError):
    pass


def _check_moderator(moderator) -> None:
    if moderator is None or not moderator.has_perm("comments.change_comment"):
        raise ModerationForbidden("Only moderators can decide about comments.")


def moderation_reason(*, choice: str, note: str) -> str:
    """One line for the audit from the pick-list and the moderator's own words."""
    choice, note = choice.strip(), " ".join(note.split())
    if choice and choice not in ModerationDecision.Reason.values:
        raise CommentError("Choose one of the reasons offered.")
    if choice == ModerationDecision.Reason.OTHER and not note:
        raise CommentError("Say in a few words why, when the reason is “Other”.")
    if choice == ModerationDecision.Reason.OTHER:
        choice = ""
    return ": ".join(part for part in (choice, note) if part)[:300]


def comment_moderate(
    *, comments: Iterable[Comment], moderator, action: str, reason: str = ""
) -> list[ModerationDecision]:
    """Apply a moderator's decision to comments, recording who, what, when, why, and the
    status each had before (so that the decision can be undone for a while).

    Rejecting, marking as spam and banning need a reason. Banning also stops the authors
    from posting and takes their waiting comments out of the queue. Comments removed by
    their authors keep that status. Each comment changes only from the status read under
    its row lock, so two moderators deciding at once never undo each other unseen.
    """
    action = ModerationDecision.Action(action)
    if action not in _ACTION_STATUS:
        raise CommentError("Choose approve, reject, spam or ban.")
    _check_moderator(moderator)
    reason = reason.strip()[:300]
    if action in REASON_REQUIRED and not reason:
        raise CommentError("Give a reason for this decision: pick one, or describe it.")
    status = _ACTION_STATUS[action]
    ids = [c.pk for c in comments]
    with transaction.atomic():
        rows = list(
            Comment.objects.select_for_update()
            .filter(pk__in=ids)
            .exclude(status=Comment.Status.REMOVED)
            .order_by("pk")
            .values_list("pk", "status", "article_id", "author_id")
        )
        decisions = [
            ModerationDecision(
                comment_id=pk,
                moderator=moderator,
                action=action,
                reason=reason,
                previous_status=previous,
            )
            for pk, previous, _, _ in rows
        ]
        for previous in {row[1] for row in rows}:
            Comment.objects.filter(
                pk__in=[row[0] for row in rows if row[1] == previous], status=previous
            ).update(
                status=status,
                # A waiting comment's author is told on their next visit (and by mail, see
                # comments.notifications) that it is now public.
                approval_unseen=(
                    action == ModerationDecision.Action.APPROVE
                    and previous == Comment.Status.PENDING
                ),
            )
        for article_id in {row[2] for row in rows}:
            discussion_changed(article_id)
        decided = [row[0] for row in rows]
        if action == ModerationDecision.Action.APPROVE:
            # The approval answers every report made so far; only later ones can hide it again.
            CommentFlag.objects.filter(comment__in=decided, answered_at__isnull=True).update(
                answered_at=timezone.now()
            )
            flag_counts_refresh(comment_ids=decided)
            for pk in decided:
                notify_on_commit(pk)
        if action == ModerationDecision.Action.BAN:
            authors = {row[3] for row in rows if row[3]}
            for author_id in authors:
                CommentBan.objects.get_or_create(
                    user_id=author_id, defaults={"banned_by": moderator, "reason": reason}
                )
            waiting = list(
                Comment.objects.select_for_update()
                .filter(author_id__in=authors, status=Comment.Status.PENDING)
                .values_list("pk", "article_id")
            )
            Comment.objects.filter(
                pk__in=[pk for pk, _ in waiting], status=Comment.Status.PENDING
            ).update(status=Comment.Status.REJECTED)
            for article_id in {article_id for _, article_id in waiting}:
                discussion_changed(article_id)
            decisions += [
                ModerationDecision(
                    comment_id=pk,
                    moderator=moderator,
                    action=ModerationDecision.Action.REJECT,
                    reason=f"author banned: {reason}"[:300],
                    previous_status=Comment.Status.PENDING,
                )
                for pk, _ in waiting
            ]
        return ModerationDecision.objects.bulk_create(decisions)


def comment_decisions_undo(*, decision_ids: Iterable[int], moderator) -> int:
    """Take back a moderator's own recent decisions; returns how many comments went back.

    Only within COMMENTS_UNDO_MINUTES, only the latest decision on each comment, and only
    while the comment still has the status that decision gave it. A ban is lifted too.
    """
    _check_moderator(moderator)
    since = timezone.now() - timedelta(minutes=settings.COMMENTS_UNDO_MINUTES)
    undone = 0
    with transaction.atomic():
        decisions = list(
            ModerationDecision.objects.filter(
                pk__in=list(decision_ids),
                moderator=moderator,
                created_at__gte=since,
                action__in=list(_ACTION_STATUS),
            )
            .exclude(previous_status="")
            .select_related("comment")  # pragma: no mutate (a query less, not a rule)
        )
        banned: set[int] = set()
        for decision in decisions:
            latest = (
                ModerationDecision.objects.filter(comment_id=decision.comment_id)
                .values_list("pk", flat=True)
                .first()
            )
            if latest != decision.pk:
                continue  # someone decided again since: theirs stands
            status = _ACTION_STATUS[decision.action]
            changed = Comment.objects.filter(pk=decision.comment_id, status=status).update(
                status=decision.previous_status, approval_unseen=False
            )
            if not changed:
                continue
            ModerationDecision.objects.create(
                comment_id=decision.comment_id,
                moderator=moderator,
                action=ModerationDecision.Action.UNDO,
                reason=f"undid “{decision.get_action_display()}”",
                previous_status=status,
            )
            discussion_changed(decision.comment.article_id)
            if decision.action == ModerationDecision.Action.BAN and decision.comment.author_id:
                banned.add(decision.comment.author_id)
            undone += 1
        if banned:
            CommentBan.objects.filter(
                user_id__in=banned, banned_by=moderator, created_at__gte=since
            ).delete()
    return undone
