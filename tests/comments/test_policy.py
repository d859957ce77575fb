import pytest

from comments.models import Comment
from comments.moderation import comment_moderate
from comments.services import PostingForbidden, comment_edit, comment_submit, moderation_decide
from tests.factories import ArticleFactory, CommentFactory, ModeratorFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def trusted():
    reader = UserFactory()
    CommentFactory.create_batch(2, author=reader)
    return reader


def test_a_new_readers_first_comments_wait(settings):
    decision = moderation_decide(author=UserFactory(), body="Hello, a thoughtful remark.")
    assert decision.status == Comment.Status.PENDING
    assert "first comments" in decision.reasons[0]


def test_readers_with_enough_approved_comments_publish_at_once(trusted, settings):
    settings.COMMENTS_TRUSTED_AFTER = 2
    assert moderation_decide(author=trusted, body="Fine remark.").status == "approved"


def test_rejected_comments_do_not_count_towards_trust(settings):
    reader = UserFactory()
    CommentFactory.create_batch(3, author=reader, status=Comment.Status.REJECTED)
    assert moderation_decide(author=reader, body="Fine remark.").status == "pending"


def test_link_heavy_comments_wait_even_from_trusted_readers(trusted, settings):
    settings.COMMENTS_MAX_LINKS = 2
    body = "See https://a.example https://b.example and [c](https://c.example)"
    decision = moderation_decide(author=trusted, body=body)
    assert decision.status == "pending"
    assert decision.reasons == ("contains 3 links",)


def test_blocked_words_wait(trusted, settings):
    settings.COMMENTS_BLOCKED_WORDS = ["casino"]
    assert moderation_decide(author=trusted, body="Visit my CASINO now").status == "pending"
    assert moderation_decide(author=trusted, body="Occasional remark").status == "approved"


def test_requests_for_personal_treatment_advice_wait_and_are_marked(trusted, settings):
    decision = moderation_decide(
        author=trusted, body="My dad has this cancer. Should he take zenocutuzumab?"
    )
    assert decision.status == "pending"
    assert decision.asks_for_advice


def test_banned_readers_cannot_post_or_edit(trusted, staff_groups):
    moderator = ModeratorFactory()
    comment = CommentFactory(author=trusted)
    comment_moderate(comments=[comment], moderator=moderator, action="ban", reason="spam")
    before = Comment.objects.filter(author=trusted).count()
    with pytest.raises(PostingForbidden, match="can no longer post"):
        comment_submit(article=comment.article, author=trusted, body="Let me back in")
    with pytest.raises(PostingForbidden, match="can no longer post"):
        comment_edit(comment=comment, user=trusted, body="Edited back in")
    assert Comment.objects.filter(author=trusted).count() == before
    comment.refresh_from_db()
    assert "Edited back in" not in comment.body


def test_unverified_readers_cannot_post(staff_groups):
    reader = UserFactory(verified=False)
    with pytest.raises(PostingForbidden, match="Verify your email"):
        comment_submit(article=ArticleFactory(), author=reader, body="Hello")
    assert not Comment.objects.exists()


def test_moderators_are_trusted(staff_groups):
    moderator = UserFactory(is_staff=True)
    moderator.groups.add(staff_groups["Moderators"])
    assert moderation_decide(author=moderator, body="A note from the team.").status == "approved"


def test_every_decision_is_recorded_with_who_and_why():
    moderator = ModeratorFactory()
    comment = CommentFactory(status=Comment.Status.PENDING)
    comment_moderate(comments=[comment], moderator=moderator, action="approve", reason="fine")
    comment.refresh_from_db()
    assert comment.status == Comment.Status.APPROVED
    decision = comment.decisions.get()
    assert (decision.moderator, decision.action, decision.reason) == (moderator, "approve", "fine")
    assert decision.created_at


def test_banning_also_clears_the_authors_waiting_comments():
    author = UserFactory()
    shown = CommentFactory(author=author)
    waiting = CommentFactory(author=author, status=Comment.Status.PENDING)
    comment_moderate(comments=[shown], moderator=ModeratorFactory(), action="ban", reason="spam")
    shown.refresh_from_db()
    waiting.refresh_from_db()
    assert shown.status == Comment.Status.SPAM
    assert waiting.status == Comment.Status.REJECTED
    assert author.comment_ban.banned_by is not None
