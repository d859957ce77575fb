import json
import re

import pytest

from accounts.models import User
from comments.models import Comment, CommentBan
from comments.moderation import comment_moderate
from newsletter.models import Subscriber
from tests.factories import PASSWORD, ArticleFactory, CommentFactory, ModeratorFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_reader_downloads_all_their_data_as_json(client):
    reader = UserFactory(email="ana@example.org", display_name="Ana", role="researcher")
    comment = CommentFactory(author=reader, body="My own words")
    CommentFactory(body="Someone else's words")
    client.force_login(reader)
    response = client.get("/accounts/settings/export/")
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["account"]["email"] == "ana@example.org"
    assert data["email_addresses"][0]["verified"] is True
    assert [c["body"] for c in data["comments"]] == ["My own words"]
    assert data["comments"][0]["id"] == comment.pk
    assert client.__class__().get("/accounts/settings/export/").status_code == 302


def test_deleting_an_account_anonymises_comments_and_keeps_threads(client):
    reader = UserFactory(display_name="Leaving Reader")
    root = CommentFactory(author=reader, body="My root comment")
    reply = CommentFactory(parent=root, body="A reply from someone else")
    client.force_login(reader)
    wrong = client.post("/accounts/settings/delete/", {"password": "nope"})
    assert wrong.status_code == 400
    assert "Nothing was deleted" in wrong.content.decode()
    assert User.objects.filter(pk=reader.pk).exists()
    client.post("/accounts/settings/delete/", {"password": PASSWORD})
    assert not User.objects.filter(pk=reader.pk).exists()
    root.refresh_from_db()
    assert root.author is None
    assert root.status == Comment.Status.APPROVED
    page = client.get(root.article.get_absolute_url()).content.decode()
    assert "Former reader" in page
    assert "Leaving Reader" not in page
    assert page.index("My root comment") < page.index(reply.body)


def test_a_banned_reader_who_deletes_and_signs_up_again_with_the_address_still_cannot_post(
    client,
):
    banned = UserFactory(email="Troll@Example.org", role="other")
    comment_moderate(
        comments=[CommentFactory(author=banned)],
        moderator=ModeratorFactory(),
        action="ban",
        reason="abuse",
    )
    client.force_login(banned)
    client.post("/accounts/settings/delete/", {"password": PASSWORD})
    assert not User.objects.filter(pk=banned.pk).exists()

    client.force_login(UserFactory(email="troll@example.org", role="other"))
    article = ArticleFactory()
    response = client.post(f"/articles/{article.slug}/comments/", {"body": "I am back"})
    assert response.status_code == 403
    assert not Comment.objects.filter(body="I am back").exists()
    assert CommentBan.objects.filter(user=None).count() == 1  # kept as a digest, not an address
    assert "troll" not in CommentBan.objects.get().email_digest


def test_the_deletion_page_offers_to_end_the_subscription_and_ends_it_by_default(client):
    reader = UserFactory(email="leaving@example.org")
    Subscriber.objects.create(email="leaving@example.org", status="active", user=reader)
    client.force_login(reader)
    page = client.get("/accounts/settings/delete/").content.decode()
    assert "The newsletter goes to leaving@example.org" in page
    assert re.search(r'name="newsletter_end"[^>]*checked', page)

    client.post("/accounts/settings/delete/", {"password": PASSWORD, "newsletter_end": "on"})

    assert Subscriber.objects.get().status == "unsubscribed"


def test_a_reader_who_unticks_it_keeps_the_newsletter_after_deleting_the_account(client):
    reader = UserFactory(email="staying@example.org")
    Subscriber.objects.create(email="staying@example.org", status="active", user=reader)
    client.force_login(reader)
    client.post("/accounts/settings/delete/", {"password": PASSWORD})
    subscriber = Subscriber.objects.get()
    assert (subscriber.status, subscriber.user) == ("active", None)
