"""The rules of undoing a moderator's decision (comments.moderation.comment_decisions_undo),
each named for what it protects: only the decisions asked for, only the moderator's own, only
the latest on each comment, only while the comment has the status the decision gave it, only
within the window; the audit records the undo; a ban is lifted only when a ban is undone."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from comments.models import Comment, CommentBan, ModerationDecision
from comments.moderation import comment_decisions_undo, comment_moderate
from tests.factories import ArticleFactory, CommentFactory, ModeratorFactory

pytestmark = pytest.mark.django_db


def decide(comment, moderator, action, reason="off topic"):
    (decision,) = comment_moderate(
        comments=[comment], moderator=moderator, action=action, reason=reason
    )
    return decision


def status(comment) -> str:
    return Comment.objects.get(pk=comment.pk).status


def test_undo_takes_back_exactly_the_decisions_asked_for_and_counts_them():
    mine, other = ModeratorFactory(), ModeratorFactory()
    first, second, untouched, theirs = (CommentFactory() for _ in range(4))
    d_first, d_second = decide(first, mine, "reject"), decide(second, mine, "reject")
    decide(untouched, mine, "reject")
    d_theirs = decide(theirs, other, "reject")

    undone = comment_decisions_undo(
        decision_ids=[d_first.pk, d_second.pk, d_theirs.pk], moderator=mine
    )

    assert undone == 2
    assert [status(c) for c in (first, second, untouched, theirs)] == [
        "approved",
        "approved",
        "rejected",  # not asked for
        "rejected",  # another moderator's decision
    ]
    record = ModerationDecision.objects.filter(comment=first).first()  # newest first
    assert (record.action, record.moderator, record.reason, record.previous_status) == (
        ModerationDecision.Action.UNDO,
        mine,
        "undid “Rejected”",
        "rejected",
    )


def test_a_decision_overtaken_by_a_later_one_is_skipped_and_the_rest_still_undone():
    mine, other = ModeratorFactory(), ModeratorFactory()
    early, overtaken, late = (CommentFactory() for _ in range(3))
    ids = [decide(early, mine, "reject").pk, decide(overtaken, mine, "reject").pk]
    decide(overtaken, other, "approve")  # theirs stands
    ids.append(decide(late, mine, "reject").pk)

    assert comment_decisions_undo(decision_ids=ids, moderator=mine) == 2
    assert [status(c) for c in (early, overtaken, late)] == ["approved", "approved", "approved"]
    assert ModerationDecision.objects.filter(comment=overtaken).first().action == "approve"


def test_a_comment_whose_status_moved_since_is_left_as_it_is():
    moderator = ModeratorFactory()
    comment = CommentFactory()
    decision = decide(comment, moderator, "reject")
    Comment.objects.filter(pk=comment.pk).update(status=Comment.Status.REMOVED)  # its author

    assert comment_decisions_undo(decision_ids=[decision.pk], moderator=moderator) == 0
    assert status(comment) == "removed"


def test_undoing_an_approval_puts_the_comment_back_and_tells_nobody():
    moderator = ModeratorFactory()
    waiting = CommentFactory(status=Comment.Status.PENDING)
    decision = decide(waiting, moderator, "approve", reason="")
    assert Comment.objects.get(pk=waiting.pk).approval_unseen

    assert comment_decisions_undo(decision_ids=[decision.pk], moderator=moderator) == 1
    waiting.refresh_from_db()
    assert (waiting.status, waiting.approval_unseen) == ("pending", False)


def test_decisions_older_than_the_window_stay(settings):
    settings.COMMENTS_UNDO_MINUTES = 10
    moderator = ModeratorFactory()
    comment = CommentFactory()
    decision = decide(comment, moderator, "spam")
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        assert comment_decisions_undo(decision_ids=[decision.pk], moderator=moderator) == 0
    assert status(comment) == "spam"


def test_undoing_a_rejection_never_lifts_the_authors_ban_and_undoing_a_ban_lifts_only_it():
    moderator = ModeratorFactory()
    article = ArticleFactory()
    banned_comment = CommentFactory(article=article)
    author = banned_comment.author
    other_banned = CommentFactory(article=article)
    rejected = CommentFactory(article=article, author=author)
    d_reject = decide(rejected, moderator, "reject")
    d_ban = decide(banned_comment, moderator, "ban", reason="spam")
    decide(other_banned, moderator, "ban", reason="spam")

    comment_decisions_undo(decision_ids=[d_reject.pk], moderator=moderator)
    assert CommentBan.objects.filter(user=author).exists()

    comment_decisions_undo(decision_ids=[d_ban.pk], moderator=moderator)
    assert not CommentBan.objects.filter(user=author).exists()
    assert CommentBan.objects.filter(user=other_banned.author).exists()


@pytest.mark.django_db(transaction=True)
def test_an_undone_decision_shows_on_the_cached_page_at_once():
    moderator = ModeratorFactory()
    comment = CommentFactory(body="Worth keeping after all")
    page = comment.article.get_absolute_url()
    decision = decide(comment, moderator, "spam", reason="spam")
    assert "Worth keeping" not in Client().get(page).content.decode()  # cached now

    comment_decisions_undo(decision_ids=[decision.pk], moderator=moderator)

    assert "Worth keeping" in Client().get(page).content.decode()


@pytest.mark.parametrize("moved_first", [True, False])
def test_a_moved_comment_is_skipped_and_the_other_decisions_still_undone(moved_first):
    mod = ModeratorFactory()
    moved, kept = CommentFactory(status="pending"), CommentFactory(status="pending")
    if moved_first:
        first, second = decide(moved, mod, "approve"), decide(kept, mod, "approve")
    else:
        second, first = decide(kept, mod, "approve"), decide(moved, mod, "approve")
    Comment.objects.filter(pk=moved.pk).update(status=Comment.Status.REMOVED)  # by its author
    assert comment_decisions_undo(decision_ids=[first.pk, second.pk], moderator=mod) == 1
    assert (status(moved), status(kept)) == ("removed", "pending")


def test_an_undo_is_not_itself_undone():
    mod = ModeratorFactory()
    comment = CommentFactory()
    rejection = decide(comment, mod, "reject")
    comment_decisions_undo(decision_ids=[rejection.pk], moderator=mod)
    undo = ModerationDecision.objects.filter(comment=comment).first()
    assert undo.action == ModerationDecision.Action.UNDO
    assert comment_decisions_undo(decision_ids=[undo.pk], moderator=mod) == 0
    assert status(comment) == "approved"


def test_a_decision_recorded_without_the_status_before_it_is_never_undone():
    mod = ModeratorFactory()
    comment = CommentFactory()
    rejection = decide(comment, mod, "reject")
    ModerationDecision.objects.filter(pk=rejection.pk).update(previous_status="")  # older rows
    assert comment_decisions_undo(decision_ids=[rejection.pk], moderator=mod) == 0
    assert status(comment) == "rejected"


def test_undoing_my_ban_never_lifts_the_ban_another_moderator_made_first():
    first_mod, me = ModeratorFactory(), ModeratorFactory()
    earlier = CommentFactory()
    later = CommentFactory(author=earlier.author)
    decide(earlier, first_mod, "ban", reason="spam links")
    mine = decide(later, me, "ban", reason="spam again")
    assert comment_decisions_undo(decision_ids=[mine.pk], moderator=me) == 1
    ban = CommentBan.objects.get(user=earlier.author)  # still banned, by the first moderator
    assert (ban.banned_by, ban.reason) == (first_mod, "spam links")


def test_undoing_my_ban_leaves_the_ban_i_made_before_the_window(settings):
    mod = ModeratorFactory()
    earlier = CommentFactory()
    decide(earlier, mod, "ban", reason="spam links")
    later = CommentFactory(author=earlier.author)
    with time_machine.travel(
        timezone.now() + timedelta(minutes=settings.COMMENTS_UNDO_MINUTES + 60)
    ):
        again = decide(later, mod, "ban", reason="spam again")
        assert comment_decisions_undo(decision_ids=[again.pk], moderator=mod) == 1
    ban = CommentBan.objects.get(user=earlier.author)  # the first ban, out of the window, stays
    assert ban.reason == "spam links"
