import json

import pytest

from accounts.models import User
from comments.models import Comment
from tests.factories import PASSWORD, CommentFactory, UserFactory

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
