"""Every absolute URL is on SITE_URL, whatever Host header the request came with."""

import re

import pytest

from tests.factories import ArticleFactory, TopicFactory

pytestmark = pytest.mark.django_db

SITE_URL = "https://driverline.example"
FOREIGN = "mirror.example.net"


@pytest.fixture
def foreign_host(settings):
    # A host the site answers to (ALLOWED_HOSTS), but not the canonical one.
    settings.SITE_URL = SITE_URL
    settings.ALLOWED_HOSTS = ["driverline.example", FOREIGN]
    return {"HTTP_HOST": FOREIGN}


def absolute_urls_in(text: str) -> list[str]:
    return re.findall(r"https?://[^\s\"'<>]+", text)


def assert_only_site_urls(text: str) -> None:
    assert FOREIGN not in text
    ours = [url for url in absolute_urls_in(text) if not url.startswith(SITE_URL)]
    # Namespaces and schema identifiers are not links to us.
    assert all(
        re.match(r"https?://(www\.w3\.org|www\.sitemaps\.org|schema\.org|purl\.org)", url)
        for url in ours
    ), ours


def test_feeds_link_to_site_url_whatever_the_host(client, foreign_host):
    topic = TopicFactory(slug="nrg1-fusion")
    ArticleFactory(slug="in-the-feed", topics=[topic])
    for url in (
        "/feed/rss/",
        "/feed/atom/",
        "/topics/nrg1-fusion/feed/rss/",
        "/topics/nrg1-fusion/feed/atom/",
    ):
        body = client.get(url, **foreign_host).content.decode()
        assert f"{SITE_URL}/articles/in-the-feed/" in body
        assert f"{SITE_URL}{url}" in body  # the feed's own address (atom:link rel=self)
        assert_only_site_urls(body)


def test_sitemap_locations_are_on_site_url_whatever_the_host(client, foreign_host):
    ArticleFactory(slug="in-the-sitemap")
    body = client.get("/sitemap.xml", **foreign_host).content.decode()
    assert f"<loc>{SITE_URL}/articles/in-the-sitemap/</loc>" in body
    assert_only_site_urls(body)


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password/reset/",
        "/accounts/confirm-email/",
    ],
)
def test_account_pages_link_to_site_url_whatever_the_host(client, foreign_host, path):
    body = client.get(path, **foreign_host).content.decode()
    assert f'<link rel="canonical" href="{SITE_URL}{path}">' in body
    assert_only_site_urls(body)
