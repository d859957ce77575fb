import pytest

from comments.models import Comment
from tests.factories import CommentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator(client, staff_groups):
    user = UserFactory(is_staff=True, display_name="Mo")
    user.groups.add(staff_groups["Moderators"])
    client.force_login(user)
    return user


def test_moderators_see_waiting_comments_on_the_page_and_decide_there(client, moderator):
    waiting = CommentFactory(
        body="Held comment", status=Comment.Status.PENDING, held_reason="contains 3 links"
    )
    page = client.get(waiting.article.get_absolute_url()).content.decode()
    assert "Held comment" in page
    assert "Waiting for moderation: contains 3 links." in page
    assert f'action="/comments/{waiting.pk}/moderate/"' in page
    response = client.post(f"/comments/{waiting.pk}/moderate/", {"action": "approve"})
    assert response["Location"] == f"/comments/{waiting.pk}/"
    waiting.refresh_from_db()
    assert waiting.status == Comment.Status.APPROVED
    decision = waiting.decisions.get()
    assert (decision.moderator, decision.action) == (moderator, "approve")


def test_moderators_reject_and_mark_spam_from_the_page(client, moderator):
    first, second = CommentFactory.create_batch(2, status=Comment.Status.PENDING)
    refused = client.post(f"/comments/{first.pk}/moderate/", {"action": "reject"})
    assert refused.status_code == 400
    assert "Give a reason" in refused.content.decode()
    assert Comment.objects.get(pk=first.pk).status == Comment.Status.PENDING
    client.post(f"/comments/{first.pk}/moderate/", {"action": "reject", "reason": "Off topic"})
    client.post(f"/comments/{second.pk}/moderate/", {"action": "spam", "note": "a sales pitch"})
    assert Comment.objects.get(pk=first.pk).status == Comment.Status.REJECTED
    assert Comment.objects.get(pk=second.pk).status == Comment.Status.SPAM
    assert Comment.objects.get(pk=first.pk).decisions.get().reason == "Off topic"
    assert Comment.objects.get(pk=second.pk).decisions.get().reason == "a sales pitch"
    assert client.post(f"/comments/{first.pk}/moderate/", {"action": "explode"}).status_code == 400


def test_readers_cannot_moderate(client):
    waiting = CommentFactory(status=Comment.Status.PENDING)
    client.force_login(UserFactory())
    assert (
        client.post(f"/comments/{waiting.pk}/moderate/", {"action": "approve"}).status_code == 403
    )
    page = client.get(waiting.article.get_absolute_url()).content.decode()
    assert "/moderate/" not in page
    waiting.refresh_from_db()
    assert waiting.status == Comment.Status.PENDING


def test_the_header_shows_the_queue_to_moderators_only(client, moderator):
    CommentFactory.create_batch(3, status=Comment.Status.PENDING)
    CommentFactory()
    page = client.get("/").content.decode()
    assert (
        '<span class="chip__count">3</span><span class="visually-hidden"> comments waiting' in page
    )
    client.force_login(UserFactory(is_staff=False))
    assert "comments waiting" not in client.get("/").content.decode()
