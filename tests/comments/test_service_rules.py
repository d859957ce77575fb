"""The comment services' rules, each through the public service, each named for what it
protects (issue #13's list of what no test guarded)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from articles.models import Article
from comments.models import Comment, CommentBan, ModerationDecision
from comments.moderation import comment_moderate
from comments.services import (
    CommentError,
    CommentsClosed,
    PostingForbidden,
    comment_edit,
    comment_flag,
    comment_submit,
)
from tests.factories import ArticleFactory, CommentFactory, ModeratorFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def trusted(settings):
    settings.COMMENTS_TRUSTED_AFTER = 0
    return UserFactory(role="clinician")


def anonymous_page(article) -> str:
    return Client().get(article.get_absolute_url()).content.decode()


def test_only_the_author_can_edit_even_through_the_service(trusted):
    comment = comment_submit(article=ArticleFactory(), author=trusted, body="My words")
    with pytest.raises(PostingForbidden):
        comment_edit(comment=comment, user=UserFactory(), body="Not my words")
    comment.refresh_from_db()
    assert comment.body == "My words"
    assert comment.edited_at is None


@pytest.mark.parametrize("status", [Article.Status.DRAFT, Article.Status.SCHEDULED])
def test_no_comment_lands_on_an_article_that_is_not_public(trusted, status):
    later = timezone.now() + timedelta(days=1) if status == Article.Status.SCHEDULED else None
    article = ArticleFactory(status=status, published_at=later)
    with pytest.raises(CommentsClosed):
        comment_submit(article=article, author=trusted, body="Early words")
    assert not Comment.objects.exists()


@pytest.mark.parametrize("status", [Comment.Status.REJECTED, Comment.Status.SPAM])
def test_a_hidden_comment_cannot_be_edited_back_into_the_queue(trusted, status):
    comment = CommentFactory(author=trusted, status=status, body="Hidden words")
    with pytest.raises(CommentError, match="can be edited for"):
        comment_edit(comment=comment, user=trusted, body="New words for the queue")
    comment.refresh_from_db()
    assert (comment.status, comment.body) == (status, "Hidden words")
    assert not ModerationDecision.objects.filter(comment=comment).exists()


def test_an_untrusted_readers_approved_comment_stays_published_after_a_plain_edit(settings):
    settings.COMMENTS_TRUSTED_AFTER = 5
    reader = UserFactory()
    comment = comment_submit(article=ArticleFactory(), author=reader, body="First words")
    assert comment.status == Comment.Status.PENDING
    comment_moderate(comments=[comment], moderator=ModeratorFactory(), action="approve")
    comment.refresh_from_db()

    comment_edit(comment=comment, user=reader, body="First words, with a typo fixed")

    comment.refresh_from_db()
    assert comment.status == Comment.Status.APPROVED
    assert comment.held_reason == "a new reader's first comments wait for approval"


def test_the_link_limit_is_exact(trusted, settings):
    settings.COMMENTS_MAX_LINKS = 2
    article = ArticleFactory()
    at_limit = comment_submit(
        article=article, author=trusted, body="https://a.example and https://b.example"
    )
    over = comment_submit(
        article=article,
        author=trusted,
        body="https://a.example, https://b.example and www.c.example",
    )
    assert at_limit.status == Comment.Status.APPROVED
    assert over.status == Comment.Status.PENDING
    assert over.held_reason == "contains 3 links"


def test_post_stores_the_hold_reason_the_decision_and_the_advice_note(trusted):
    comment = comment_submit(
        article=ArticleFactory(),
        author=trusted,
        body="Should I take zenocutuzumab? Buy crypto at https://a.example https://b.example "
        "https://c.example",
    )
    comment.refresh_from_db()
    assert comment.status == Comment.Status.PENDING
    assert comment.held_reason == (
        "contains 3 links; contains a blocked word; may ask for personal treatment advice"
    )
    assert comment.needs_advice_note
    decision = ModerationDecision.objects.get(comment=comment)
    assert (decision.action, decision.reason, decision.moderator) == (
        ModerationDecision.Action.HOLD,
        comment.held_reason,
        None,
    )


def test_an_edit_that_is_held_says_why_and_records_the_hold(trusted):
    comment = comment_submit(article=ArticleFactory(), author=trusted, body="Plain words")
    assert comment.status == Comment.Status.APPROVED
    assert not comment.needs_advice_note

    comment_edit(comment=comment, user=trusted, body="Should I take zenocutuzumab myself?")

    comment.refresh_from_db()
    assert comment.status == Comment.Status.PENDING
    assert comment.held_reason == "edited: may ask for personal treatment advice"
    assert comment.needs_advice_note
    hold = ModerationDecision.objects.filter(comment=comment).order_by("-pk").first()
    assert (hold.action, hold.reason) == (ModerationDecision.Action.HOLD, comment.held_reason)


def test_reports_on_a_waiting_comment_never_record_a_second_hold(settings):
    settings.COMMENTS_HIDE_AFTER_FLAGS = 2
    waiting = CommentFactory(status=Comment.Status.PENDING, held_reason="contains 3 links")
    for _ in range(3):
        comment_flag(comment=waiting, user=UserFactory(), reason="spam")
    waiting.refresh_from_db()
    assert waiting.held_reason == "contains 3 links"
    assert not ModerationDecision.objects.filter(comment=waiting).exists()


def test_banning_a_comment_whose_author_was_deleted_bans_nobody():
    comment = CommentFactory()
    comment.author.delete()
    comment.refresh_from_db()
    assert comment.author is None

    comment_moderate(comments=[comment], moderator=ModeratorFactory(), action="ban", reason="spam")

    comment.refresh_from_db()
    assert comment.status == Comment.Status.SPAM
    assert not CommentBan.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_cached_discussion_follows_an_edit_an_automatic_hide_and_a_ban(trusted, settings):
    settings.COMMENTS_HIDE_AFTER_FLAGS = 1
    article = ArticleFactory()
    edited = comment_submit(article=article, author=trusted, body="Before the edit")
    reported = comment_submit(article=article, author=trusted, body="Soon reported")
    banned = CommentFactory(article=article, body="Words of a spammer")
    page = anonymous_page(article)  # cached now
    assert "Before the edit" in page
    assert "Soon reported" in page
    assert "spammer" in page

    comment_edit(comment=edited, user=trusted, body="After the edit")
    assert "After the edit" in anonymous_page(article)

    comment_flag(comment=reported, user=UserFactory(), reason="spam")
    assert "Soon reported" not in anonymous_page(article)

    comment_moderate(comments=[banned], moderator=ModeratorFactory(), action="ban", reason="spam")
    assert "spammer" not in anonymous_page(article)


def test_a_reply_to_a_comment_of_another_article_is_refused(trusted):
    elsewhere = CommentFactory()
    with pytest.raises(CommentError, match="can no longer be replied to"):
        comment_submit(article=ArticleFactory(), author=trusted, body="Hi", parent=elsewhere)
    assert Comment.objects.count() == 1


def test_only_the_author_removes_a_comment_and_anyone_else_is_told_so():
    from comments.services import PostingForbidden, comment_remove

    comment = CommentFactory()
    with pytest.raises(PostingForbidden, match=r"^Only the author can remove this comment\.$"):
        comment_remove(comment=comment, user=UserFactory())
    assert Comment.objects.get(pk=comment.pk).status == Comment.Status.APPROVED


def test_a_reply_one_below_the_depth_cap_still_nests_under_its_comment(trusted, settings):
    settings.COMMENTS_MAX_DEPTH = 3
    root = CommentFactory()
    child = CommentFactory(parent=root)  # depth 1: a reply to it is at depth 2, the cap
    reply = comment_submit(article=root.article, author=trusted, body="To the child", parent=child)
    assert (reply.parent, reply.depth) == (child, 2)


def test_each_reader_has_their_own_posting_limit_and_is_told_in_words(trusted, settings):
    from comments.services import RateLimited

    settings.COMMENTS_RATE_PER_USER = "2/600"
    article, other = ArticleFactory(), UserFactory(role="clinician")
    for n in range(2):
        comment_submit(article=article, author=trusted, body=f"Remark {n}")
    with pytest.raises(
        RateLimited,
        match=r"^You are posting very quickly\. Please wait a few minutes and try again\.$",
    ):
        comment_submit(article=article, author=trusted, body="One more")
    comment_submit(article=article, author=other, body="Someone else may still post")
    assert Comment.objects.filter(author=other).count() == 1


def test_each_network_has_its_own_limit_and_is_told_in_words(settings):
    from comments.services import RateLimited

    settings.COMMENTS_TRUSTED_AFTER = 0
    settings.COMMENTS_RATE_PER_IP = "1/600"
    article = ArticleFactory()
    comment_submit(article=article, author=UserFactory(), body="First", ip_digest="net-a")
    with pytest.raises(
        RateLimited, match=r"^Many comments have come from your network\. Please try again later\.$"
    ):
        comment_submit(article=article, author=UserFactory(), body="Second", ip_digest="net-a")
    comment_submit(article=article, author=UserFactory(), body="Elsewhere", ip_digest="net-b")
    assert sorted(Comment.objects.values_list("body", flat=True)) == ["Elsewhere", "First"]


def test_trust_is_earned_by_a_readers_own_approved_comments_not_the_sites(settings):
    from comments.services import moderation_decide

    settings.COMMENTS_TRUSTED_AFTER = 2
    CommentFactory.create_batch(5)  # other readers' approved comments
    decision = moderation_decide(author=UserFactory(), body="A first remark.")
    assert decision.status == Comment.Status.PENDING


def test_a_published_comment_is_recorded_as_published_by_the_site(trusted):
    comment = comment_submit(article=ArticleFactory(), author=trusted, body="Straight through.")
    decision = ModerationDecision.objects.get(comment=comment)
    assert (decision.action, decision.moderator, decision.reason) == ("publish", None, "")


def test_a_reply_at_the_cap_remembers_the_comment_it_answers(trusted, settings):
    settings.COMMENTS_MAX_DEPTH = 2
    root = CommentFactory()
    child = CommentFactory(parent=root)  # at the cap
    reply = comment_submit(article=root.article, author=trusted, body="To the child", parent=child)
    assert (reply.parent, reply.in_reply_to) == (root, child)
    plain = comment_submit(article=root.article, author=trusted, body="To the root", parent=root)
    assert (plain.parent, plain.in_reply_to) == (root, root)


def test_a_comment_keeps_the_digest_of_its_network_and_none_without_one(trusted, settings):
    settings.COMMENTS_RATE_PER_IP = "1/600"
    article = ArticleFactory()
    from_net = comment_submit(article=article, author=trusted, body="One", ip_digest="net-a")
    assert from_net.ip_hash == "net-a"
    # Posts made without a network (the seed, a script) are never limited as one network.
    for n in range(2):
        comment_submit(article=article, author=UserFactory(role="other"), body=f"Seeded {n}")
    assert Comment.objects.filter(ip_hash="").count() == 2


def test_closed_discussions_and_hidden_parents_are_refused_in_words(trusted):
    closed = ArticleFactory(comments_open=False)
    with pytest.raises(CommentsClosed, match=r"^The discussion on this article is closed\.$"):
        comment_submit(article=closed, author=trusted, body="Too late")
    hidden = CommentFactory(status=Comment.Status.REJECTED)
    with pytest.raises(CommentError, match=r"^That comment can no longer be replied to\.$"):
        comment_submit(article=hidden.article, author=trusted, body="Re", parent=hidden)


def test_only_a_comment_published_at_once_sends_its_notices(trusted, smtp_server, tasks_inline):
    parent = CommentFactory()
    with tasks_inline():
        comment_submit(article=parent.article, author=trusted, body="Published", parent=parent)
    mailed = {m["To"] for m in smtp_server.messages}
    assert parent.author.email in mailed  # a reply to their comment
    smtp_server.messages.clear()
    with tasks_inline():
        held = comment_submit(
            article=parent.article, author=trusted, parent=parent,
            body="See https://a.example https://b.example https://c.example",  # held: 3 links
        )  # fmt: skip
    assert held.status == Comment.Status.PENDING
    assert not smtp_server.messages  # held: nobody hears of it until it is approved
