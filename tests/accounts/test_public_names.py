"""Wherever a person is named on the site, the name is one they chose, never their address."""

import json
import re

import pytest

from tests.factories import ArticleFactory, CommentFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_reader_without_a_display_name_is_shown_as_reader_never_by_their_address(client):
    article = ArticleFactory(slug="the-article")
    nameless = UserFactory(email="helen.mcgrath@example.org", display_name="", role="patient")
    comment = CommentFactory(article=article, author=nameless)
    for _ in range(2):  # rendered, then served from the cached discussion
        page = client.get(article.get_absolute_url()).content.decode()
        assert "helen.mcgrath" not in page
        assert '<span class="comment__author" id="comment-' in page
        assert f'id="{comment.anchor}-by">Reader</span>' in page
    client.force_login(UserFactory(role="carer", display_name="Omar"))
    reply = client.get(f"{article.get_absolute_url()}?reply={comment.pk}").content.decode()
    assert "helen.mcgrath" not in reply
    assert "Reply to Reader" in reply


def test_an_author_without_a_display_name_is_bylined_as_the_sites_editors(client):
    editor = UserFactory(email="eda.editor@example.org", display_name="", is_staff=True)
    article = ArticleFactory(slug="an-article", author=editor)
    page = client.get(article.get_absolute_url()).content.decode()
    assert "eda.editor" not in page
    assert '<span class="byline__author">Driverline editors</span>' in page
    graph = json.loads(
        re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1)
    )
    assert graph[0]["author"]["name"] == "Driverline editors"
    for feed in ("/feed/rss/", "/feed/atom/"):
        xml = client.get(feed).content.decode()
        assert "eda.editor" not in xml
        assert "Driverline editors" in xml


def test_a_named_author_is_bylined_by_their_display_name(client):
    article = ArticleFactory(author=UserFactory(display_name="Eda Editor", is_staff=True))
    page = client.get(article.get_absolute_url()).content.decode()
    assert '<span class="byline__author">Eda Editor</span>' in page
    assert '"@type": "Person", "name": "Eda Editor"' in page


def test_a_reader_with_a_role_but_no_display_name_is_asked_for_one_before_commenting(client):
    article = ArticleFactory(slug="the-article")
    reader = UserFactory(display_name="", role="patient")
    client.force_login(reader)
    assert "About you" in client.get(article.get_absolute_url()).content.decode()
    refused = client.post(
        "/articles/the-article/comments/", {"body": "A remark.", "role": "patient"}
    )
    assert refused.status_code == 400
    assert not reader.comments.exists()
    client.post(
        "/articles/the-article/comments/",
        {"body": "A remark.", "role": "patient", "display_name": "Helen M."},
    )
    reader.refresh_from_db()
    assert reader.display_name == "Helen M."
    assert reader.comments.exists()


def test_the_display_name_cannot_be_cleared_in_the_settings(client):
    reader = UserFactory(display_name="Ana", role="researcher")
    client.force_login(reader)
    for empty in ("", "   "):
        response = client.post("/accounts/settings/", {"display_name": empty, "role": "researcher"})
        assert response.status_code == 400
        assert "This field is required" in response.content.decode()
    reader.refresh_from_db()
    assert reader.display_name == "Ana"
