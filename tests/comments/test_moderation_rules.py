"""Moderators' decisions (comments.moderation.comment_moderate), from the mutation run's
survivors: the refusals in words, removed comments left alone, reports answered only on the
comments decided, the cached page following a decision, and the record of a ban's sweep."""

from __future__ import annotations

import pytest
from django.test import Client

from comments.models import Comment, CommentFlag, ModerationDecision
from comments.moderation import comment_moderate
from comments.services import CommentError, comment_flag, flag_counts_refresh
from tests.factories import CommentFactory, ModeratorFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_decision_without_a_known_action_or_a_needed_reason_is_refused_in_words():
    moderator, comment = ModeratorFactory(), CommentFactory()
    with pytest.raises(CommentError, match=r"^Choose approve, reject, spam or ban\.$"):
        comment_moderate(comments=[comment], moderator=moderator, action="undo")
    with pytest.raises(
        CommentError, match=r"^Give a reason for this decision: pick one, or describe it\.$"
    ):
        comment_moderate(comments=[comment], moderator=moderator, action="reject", reason="  ")
    assert Comment.objects.get(pk=comment.pk).status == Comment.Status.APPROVED
    assert not ModerationDecision.objects.exists()


def test_a_comment_its_author_removed_stays_removed_whatever_is_decided():
    moderator = ModeratorFactory()
    removed = CommentFactory(status=Comment.Status.REMOVED)
    decided = comment_moderate(
        comments=[removed], moderator=moderator, action="reject", reason="off topic"
    )
    assert decided == []
    assert Comment.objects.get(pk=removed.pk).status == Comment.Status.REMOVED


def test_an_approval_answers_the_reports_of_the_comments_approved_only(settings):
    settings.COMMENTS_HIDE_AFTER_FLAGS = 5
    moderator = ModeratorFactory()
    approved, other = CommentFactory(), CommentFactory()
    for comment in (approved, other):
        comment_flag(comment=comment, user=UserFactory(), reason="spam")
    comment_moderate(comments=[approved], moderator=moderator, action="approve")
    open_reports = CommentFlag.objects.filter(answered_at__isnull=True)
    assert list(open_reports.values_list("comment_id", flat=True)) == [other.pk]
    counts = dict(Comment.objects.values_list("pk", "flag_count"))
    assert counts == {approved.pk: 0, other.pk: 1}


def test_each_comment_counts_only_its_own_open_reports():
    first, second, quiet = CommentFactory(), CommentFactory(), CommentFactory()
    for reader in (UserFactory(), UserFactory()):
        CommentFlag.objects.create(comment=first, user=reader, reason="spam")
    CommentFlag.objects.create(comment=second, user=UserFactory(), reason="abuse")
    flag_counts_refresh(comment_ids=[first.pk, second.pk, quiet.pk])
    counts = dict(Comment.objects.values_list("pk", "flag_count"))
    assert counts == {first.pk: 2, second.pk: 1, quiet.pk: 0}


def test_an_approved_comment_shows_at_once_on_the_cached_page(django_capture_on_commit_callbacks):
    moderator = ModeratorFactory()
    waiting = CommentFactory(status=Comment.Status.PENDING, body="Just approved, now public")
    page = waiting.article.get_absolute_url()
    assert "Just approved, now public" not in Client().get(page).content.decode()  # cached
    with django_capture_on_commit_callbacks(execute=True):
        comment_moderate(comments=[waiting], moderator=moderator, action="approve")
    assert "Just approved, now public" in Client().get(page).content.decode()


def test_a_ban_records_why_each_waiting_comment_of_the_author_left_the_queue():
    moderator = ModeratorFactory()
    posted = CommentFactory()
    waiting = CommentFactory(author=posted.author, status=Comment.Status.PENDING)
    comment_moderate(comments=[posted], moderator=moderator, action="ban", reason="spam links")
    swept = ModerationDecision.objects.get(comment=waiting)
    assert (swept.action, swept.reason, swept.moderator) == (
        "reject",
        "author banned: spam links",
        moderator,
    )
    assert Comment.objects.get(pk=waiting.pk).status == Comment.Status.REJECTED
    assert swept.previous_status == "pending"  # so this one can be undone too


def test_the_sweeps_reason_is_kept_to_its_column():
    posted = CommentFactory()
    waiting = CommentFactory(author=posted.author, status=Comment.Status.PENDING)
    comment_moderate(comments=[posted], moderator=ModeratorFactory(), action="ban",
                     reason="r" * 300)  # fmt: skip
    swept = ModerationDecision.objects.get(comment=waiting)
    assert swept.reason == ("author banned: " + "r" * 300)[:300]


# --- The reason a moderator gives (moderation_reason) -----------------------------------------
@pytest.mark.parametrize(
    ("choice", "note", "reason"),
    [
        ("Off topic", "", "Off topic"),
        ("Off topic", "  about   another  trial ", "Off topic: about another trial"),
        ("Other", "a duplicate of an earlier post", "a duplicate of an earlier post"),
        ("", "in my own words", "in my own words"),
        ("", "", ""),
        ("Advertising or spam", "x" * 400, ("Advertising or spam: " + "x" * 400)[:300]),
    ],
)
def test_the_reason_recorded_joins_the_choice_and_the_moderators_own_words(choice, note, reason):
    from comments.moderation import moderation_reason

    assert moderation_reason(choice=choice, note=note) == reason
    assert len(moderation_reason(choice=choice, note=note)) <= 300


def test_a_reason_not_offered_or_other_without_words_is_refused_in_words():
    from comments.moderation import moderation_reason

    with pytest.raises(CommentError, match=r"^Choose one of the reasons offered\.$"):
        moderation_reason(choice="Because I said so", note="")
    with pytest.raises(
        CommentError, match=r"^Say in a few words why, when the reason is “Other”\.$"
    ):
        moderation_reason(choice="Other", note="   ")


def test_only_moderators_decide_and_everyone_else_is_told_so():
    from comments.moderation import ModerationForbidden

    comment = CommentFactory()
    for nobody in (UserFactory(), None):
        with pytest.raises(
            ModerationForbidden, match=r"^Only moderators can decide about comments\.$"
        ):
            comment_moderate(comments=[comment], moderator=nobody, action="approve")


def test_a_long_reason_is_kept_to_the_columns_size():
    decision = comment_moderate(
        comments=[CommentFactory()], moderator=ModeratorFactory(), action="reject",
        reason="  " + "x" * 400,
    )[0]  # fmt: skip
    assert decision.reason == "x" * 300


def test_a_ban_takes_only_the_banned_authors_waiting_comments_out_of_the_queue():
    moderator = ModeratorFactory()
    posted = CommentFactory()
    theirs = CommentFactory(author=posted.author, status=Comment.Status.PENDING)
    someone_elses = CommentFactory(status=Comment.Status.PENDING)
    comment_moderate(comments=[posted], moderator=moderator, action="ban", reason="spam")
    statuses = dict(Comment.objects.values_list("pk", "status"))
    assert statuses[theirs.pk] == "rejected"
    assert statuses[someone_elses.pk] == "pending"
    assert not ModerationDecision.objects.filter(comment=someone_elses).exists()


def test_the_authors_of_an_approved_waiting_comment_and_its_article_are_mailed(
    smtp_server, tasks_inline
):
    waiting = CommentFactory(status=Comment.Status.PENDING)
    other = CommentFactory(status=Comment.Status.PENDING)
    with tasks_inline():
        comment_moderate(comments=[waiting], moderator=ModeratorFactory(), action="approve")
    mailed = {m["To"]: m["Subject"] for m in smtp_server.messages}
    assert "is published" in mailed[waiting.author.email]  # the author hears of it
    assert "New comment on your article" in mailed[waiting.article.author.email]
    assert other.author.email not in mailed  # nobody else's comment was decided


def test_only_an_approval_of_a_waiting_comment_tells_its_author_it_is_now_public():
    moderator = ModeratorFactory()
    approved_waiting = CommentFactory(status=Comment.Status.PENDING)
    rejected_waiting = CommentFactory(status=Comment.Status.PENDING)
    approved_again = CommentFactory(status=Comment.Status.APPROVED)
    comment_moderate(comments=[approved_waiting, approved_again], moderator=moderator,
                     action="approve")  # fmt: skip
    comment_moderate(comments=[rejected_waiting], moderator=moderator, action="reject",
                     reason="off topic")  # fmt: skip
    unseen = dict(Comment.objects.values_list("pk", "approval_unseen"))
    assert unseen == {approved_waiting.pk: True, rejected_waiting.pk: False,
                      approved_again.pk: False}  # fmt: skip


def test_an_approval_without_a_reason_records_none(settings):
    decision = comment_moderate(
        comments=[CommentFactory(status=Comment.Status.PENDING)],
        moderator=ModeratorFactory(),
        action="approve",
    )[0]
    assert decision.reason == ""


def test_an_approval_leaves_the_time_of_reports_answered_before_as_it_was(settings):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    settings.COMMENTS_HIDE_AFTER_FLAGS = 5
    moderator, comment = ModeratorFactory(), CommentFactory()
    comment_flag(comment=comment, user=UserFactory(), reason="spam")
    yesterday = timezone.now() - timedelta(days=1)
    with time_machine.travel(yesterday, tick=False):
        comment_moderate(comments=[comment], moderator=moderator, action="approve")
    comment_flag(comment=comment, user=UserFactory(), reason="abuse")
    comment_moderate(comments=[comment], moderator=moderator, action="approve")
    answered = sorted(CommentFlag.objects.values_list("answered_at", flat=True))
    assert answered[0] == yesterday  # the first report's answer keeps its day
    assert answered[1] > yesterday
