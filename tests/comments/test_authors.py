from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from comments.models import Comment
from tests.factories import CommentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def own(client):
    comment = CommentFactory(body="Orignal text")
    client.force_login(comment.author)
    return comment


def test_authors_edit_within_the_window_and_it_shows_as_edited(client, own):
    assert "Orignal text" in client.get(f"/comments/{own.pk}/edit/").content.decode()
    response = client.post(f"/comments/{own.pk}/edit/", {"body": "Original *text*"})
    assert response.status_code == 302
    own.refresh_from_db()
    assert own.body_html == "<p>Original <em>text</em></p>\n"
    assert own.edited_at is not None
    assert "· edited" in client.get(own.article.get_absolute_url()).content.decode()


def test_editing_after_the_window_is_refused_and_nothing_changes(client, own, settings):
    with time_machine.travel(
        timezone.now() + timedelta(minutes=settings.COMMENTS_EDIT_MINUTES + 1)
    ):
        response = client.post(f"/comments/{own.pk}/edit/", {"body": "Too late"})
        assert response.status_code == 400
        assert "can no longer be edited" in response.content.decode()
    own.refresh_from_db()
    assert own.body == "Orignal text"


def test_an_edit_that_adds_many_links_goes_back_to_the_queue(client, own, settings):
    settings.COMMENTS_MAX_LINKS = 1
    body = "See https://a.example and https://b.example"
    client.post(f"/comments/{own.pk}/edit/", {"body": body})
    own.refresh_from_db()
    assert own.status == Comment.Status.PENDING
    assert own.held_reason.startswith("edited: contains 2 links")


def test_only_the_author_can_edit_or_remove(client, own):
    client.force_login(UserFactory())
    assert client.get(f"/comments/{own.pk}/edit/").status_code == 404
    assert client.post(f"/comments/{own.pk}/remove/").status_code == 404
    own.refresh_from_db()
    assert own.status == Comment.Status.APPROVED


def test_removing_keeps_the_replies_in_place(client, own):
    reply = CommentFactory(parent=own, body="A reply that stays")
    client.post(f"/comments/{own.pk}/remove/")
    own.refresh_from_db()
    assert (own.status, own.body) == (Comment.Status.REMOVED, "")
    page = client.__class__().get(own.article.get_absolute_url()).content.decode()
    assert "removed by its author" in page
    assert "Orignal text" not in page
    assert page.index("removed by its author") < page.index(reply.body)


def test_empty_edits_are_refused_with_the_text_kept(client, own):
    response = client.post(f"/comments/{own.pk}/edit/", {"body": "  "})
    assert response.status_code == 400
    assert "Your comment is empty" in response.content.decode()
