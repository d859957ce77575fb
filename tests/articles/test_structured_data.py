"""Structured data and sharing: what search engines and link previews read."""

import json
import re
from datetime import date

import pytest

from newsletter.models import Edition
from tests.articles.test_pages import scripts_of
from tests.factories import ArticleFactory, FAQEntryFactory, UserFactory

pytestmark = pytest.mark.django_db


def graph_of(client, article) -> dict[str, dict]:
    (block,) = [s for s in scripts_of(client.get(article.get_absolute_url())) if not s.get("src")]
    return {node["@type"]: node for node in json.loads(block["text"])}


def test_the_publisher_has_a_logo_on_site_url(client, settings):
    graph = graph_of(client, ArticleFactory(kind="explainer"))
    logo = graph["Article"]["publisher"]["logo"]
    assert logo["@type"] == "ImageObject"
    assert logo["url"] == f"{settings.SITE_URL}/static/img/logo.png"
    assert client.get("/static/img/logo.png").status_code == 200


def test_a_group_byline_is_an_organization_and_a_person_is_a_person(client):
    editors = UserFactory(is_staff=True, display_name="Driverline editors")
    group = graph_of(client, ArticleFactory(author=editors))["NewsArticle"]["author"]
    assert group == {
        "@type": "Organization",
        "name": "Driverline editors",
        "url": "http://testserver",
    }
    unnamed = graph_of(client, ArticleFactory(author=None))["NewsArticle"]["author"]
    assert unnamed["@type"] == "Organization"
    person = UserFactory(is_staff=True, display_name="Nadia K.")
    assert graph_of(client, ArticleFactory(author=person))["NewsArticle"]["author"] == {
        "@type": "Person",
        "name": "Nadia K.",
    }


def test_last_reviewed_sits_on_the_web_page(client):
    article = ArticleFactory(last_reviewed=date(2026, 3, 2))
    graph = graph_of(client, article)
    assert "lastReviewed" not in graph["NewsArticle"]
    assert graph["MedicalWebPage"]["lastReviewed"] == "2026-03-02"
    assert graph["NewsArticle"]["mainEntityOfPage"] == {"@id": graph["MedicalWebPage"]["@id"]}


def test_faq_answers_carry_no_trailing_newline(client):
    article = ArticleFactory()
    FAQEntryFactory(article=article, answer="A first paragraph.\n\nAnd a second.")
    (answer,) = [
        q["acceptedAnswer"]["text"] for q in graph_of(client, article)["FAQPage"]["mainEntity"]
    ]
    assert answer == answer.strip()
    assert answer.startswith("A first paragraph.")


def test_the_404_page_has_no_canonical_link(client):
    page = client.get("/no-such-page/")
    assert page.status_code == 404
    assert 'rel="canonical"' not in page.content.decode()
    assert 'rel="canonical"' in client.get("/").content.decode()


def test_the_newsletter_pages_are_in_the_sitemap(client):
    sent = Edition.objects.create(subject="Sent", status=Edition.Status.SENT)
    draft = Edition.objects.create(subject="Draft")
    sitemap = client.get("/sitemap.xml").content.decode()
    for path in ("/newsletter/", "/newsletter/archive/", f"/newsletter/archive/{sent.pk}/"):
        assert f"<loc>http://testserver{path}</loc>" in sitemap
    assert f"/newsletter/archive/{draft.pk}/" not in sitemap


@pytest.mark.parametrize(
    ("path", "title"),
    [
        ("/accounts/login/", "Sign In · Driverline"),
        ("/accounts/signup/", "Signup · Driverline"),
        ("/accounts/password/reset/", "Password Reset · Driverline"),
    ],
)
def test_account_page_titles_are_one_line(client, path, title):
    page = client.get(path).content.decode()
    assert re.search(r"<title>(.*?)</title>", page, re.S).group(1) == title
