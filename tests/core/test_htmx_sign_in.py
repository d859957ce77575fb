"""An htmx request from a reader whose session has gone is sent to sign in as a whole page,
and back to the page they were on."""

from __future__ import annotations

import pytest

from tests.factories import ArticleFactory, CommentFactory

pytestmark = pytest.mark.django_db


def test_an_htmx_post_without_a_session_goes_to_sign_in_and_back_to_the_page(client):
    article = ArticleFactory()
    page = f"http://testserver{article.get_absolute_url()}?page=2"
    comment = CommentFactory(article=article)
    for url, data in [
        (f"/articles/{article.slug}/comments/", {"body": "Written while signed out"}),
        (f"/comments/{comment.pk}/helpful/", {}),
    ]:
        response = client.post(url, data, HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL=page)

        assert response.status_code == 200, url
        assert response["HX-Redirect"] == (
            f"/accounts/login/?next=%2Farticles%2F{article.slug}%2F%3Fpage%3D2"
        )
        assert b"<h1" not in response.content  # nothing for htmx to swap in


def test_a_plain_post_and_another_sites_page_keep_the_ordinary_redirect(client):
    article = ArticleFactory()
    url = f"/articles/{article.slug}/comments/"
    plain = client.post(url, {"body": "Hi"})
    assert plain.status_code == 302
    assert plain["Location"].startswith("/accounts/login/?next=")

    elsewhere = client.post(
        url, {"body": "Hi"}, HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL="https://evil.example/x"
    )
    assert elsewhere["HX-Redirect"] == "/accounts/login/?next=%2F"
