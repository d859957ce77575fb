"""Rules of readers' reactions and of an account that goes, each through the service: what
helpful and report return, that an automatic hide touches only the reported comment, what
withdrawing a leaving reader's reactions takes back, and the ban that outlives the account."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.test import Client

from comments.models import Comment, CommentBan, HelpfulMark, address_digest
from comments.moderation import comment_moderate
from comments.services import (
    CommentError,
    comment_ban_keep,
    comment_edit,
    comment_flag,
    comment_mark_helpful,
    reactions_withdraw,
)
from tests.factories import CommentFactory, ModeratorFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_helpful_says_whether_the_comment_is_now_marked():
    comment, reader = CommentFactory(), UserFactory()
    assert comment_mark_helpful(comment=comment, user=reader) is True
    assert comment_mark_helpful(comment=comment, user=reader) is False
    assert comment_mark_helpful(comment=comment, user=reader) is True
    assert Comment.objects.get(pk=comment.pk).helpful_count == 1


def test_helpful_and_reports_refuse_with_a_reason_the_reader_can_read():
    waiting = CommentFactory(status=Comment.Status.PENDING)
    with pytest.raises(CommentError, match=r"^Only published comments can be marked as helpful\."):
        comment_mark_helpful(comment=waiting, user=UserFactory())
    own = CommentFactory()
    with pytest.raises(CommentError, match=r"^You can't report your own comment\.$"):
        comment_flag(comment=own, user=own.author, reason="spam")


def test_a_second_report_by_the_same_reader_changes_nothing_and_says_so():
    comment, reader = CommentFactory(), UserFactory()
    assert comment_flag(comment=comment, user=reader, reason="spam") is True
    assert comment_flag(comment=comment, user=reader, reason="spam") is False
    assert Comment.objects.get(pk=comment.pk).flag_count == 1


def test_an_automatic_hide_touches_only_the_reported_comment(settings):
    settings.COMMENTS_HIDE_AFTER_FLAGS = 1
    reported = CommentFactory()
    neighbour = CommentFactory(article=reported.article)
    comment_flag(comment=reported, user=UserFactory(), reason="spam")
    assert Comment.objects.get(pk=reported.pk).status == Comment.Status.PENDING
    assert Comment.objects.get(pk=neighbour.pk).status == Comment.Status.APPROVED


def test_a_held_edit_keeps_the_new_text_and_names_every_reason(settings):
    settings.COMMENTS_TRUSTED_AFTER = 0
    comment = CommentFactory()
    body = "Should I take crypto for this? https://a.example https://b.example https://c.example"

    comment_edit(comment=comment, user=comment.author, body=body)

    comment.refresh_from_db()
    assert comment.body == body
    assert comment.status == Comment.Status.PENDING
    assert comment.held_reason == (
        "edited: contains 3 links; contains a blocked word; may ask for personal treatment advice"
    )
    with pytest.raises(CommentError, match=r"^Only the author can edit this comment\.$"):
        comment_edit(comment=comment, user=UserFactory(), body="Not mine")


@pytest.mark.django_db(transaction=True)
def test_a_leaving_readers_marks_go_and_only_theirs_and_the_page_shows_it():
    leaving, staying = UserFactory(), UserFactory()
    comment = CommentFactory(body="A comment two readers found helpful")
    comment_mark_helpful(comment=comment, user=leaving)
    comment_mark_helpful(comment=comment, user=staying)
    page = comment.article.get_absolute_url()
    assert "2 found this helpful" in Client().get(page).content.decode()  # cached now

    reactions_withdraw(user=leaving)

    assert Comment.objects.get(pk=comment.pk).helpful_count == 1
    assert list(HelpfulMark.objects.values_list("user", flat=True)) == [staying.pk]
    assert "1 found this helpful" in Client().get(page).content.decode()


def test_a_ban_outlives_the_account_by_every_address_it_had():
    moderator = ModeratorFactory()
    comment = CommentFactory()
    reader = comment.author
    EmailAddress.objects.create(user=reader, email="Second@Example.org", verified=True)
    comment_moderate(comments=[comment], moderator=moderator, action="ban", reason="spam links")

    comment_ban_keep(user=reader)
    reader.delete()

    kept = CommentBan.objects.filter(user=None)
    assert set(kept.values_list("email_digest", flat=True)) >= {
        address_digest(reader.email),
        address_digest("second@example.org"),
    }
    assert set(kept.values_list("reason", "banned_by")) == {("spam links", moderator.pk)}


def test_keeping_the_ban_of_a_reader_never_banned_bans_nobody():
    comment_ban_keep(user=UserFactory())
    assert not CommentBan.objects.exists()


def test_marking_ones_own_comment_is_refused_in_words():
    own = CommentFactory()
    with pytest.raises(CommentError, match=r"^You can't mark your own comment as helpful\.$"):
        comment_mark_helpful(comment=own, user=own.author)
    assert Comment.objects.get(pk=own.pk).helpful_count == 0


def test_marking_a_second_comment_helpful_keeps_the_mark_on_the_first():
    first = CommentFactory()
    second = CommentFactory(article=first.article)
    reader = UserFactory()
    assert comment_mark_helpful(comment=first, user=reader) is True
    assert comment_mark_helpful(comment=second, user=reader) is True
    counts = dict(Comment.objects.values_list("pk", "helpful_count"))
    assert counts == {first.pk: 1, second.pk: 1}


def test_an_automatic_hide_is_recorded_with_its_reason_for_the_moderators(settings):
    from comments.models import ModerationDecision

    settings.COMMENTS_HIDE_AFTER_FLAGS = 2
    reported = CommentFactory()
    comment_flag(comment=reported, user=UserFactory(), reason="spam")
    assert not ModerationDecision.objects.filter(comment=reported).exists()  # one is not enough
    comment_flag(comment=reported, user=UserFactory(), reason="abuse")
    decision = ModerationDecision.objects.get(comment=reported)
    assert (decision.action, decision.reason) == ("hold", "reported by 2 readers")
    assert Comment.objects.get(pk=reported.pk).held_reason == "reported by 2 readers"
