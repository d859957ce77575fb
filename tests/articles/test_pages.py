import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from html.parser import HTMLParser

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles.models import Article
from newsletter.models import Edition
from tests.factories import ArticleFactory, FAQEntryFactory, ReferenceFactory, TopicFactory

pytestmark = pytest.mark.django_db


class ScriptCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.scripts: list[dict] = []
        self._current: dict | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self._current = {**dict(attrs), "text": ""}
            self.scripts.append(self._current)

    def handle_data(self, data):
        if self._current is not None:
            self._current["text"] += data

    def handle_endtag(self, tag):
        if tag == "script":
            self._current = None


def scripts_of(response) -> list[dict]:
    parser = ScriptCollector()
    parser.feed(response.content.decode())
    return parser.scripts


def count_queries(client, url: str) -> int:
    cache.clear()  # cold: the cached discussion would hide the queries it saves
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.fixture
def article():
    topic = TopicFactory(name="NRG1 fusion", slug="nrg1-fusion")
    article = ArticleFactory(
        title="Zenocutuzumab approved",
        slug="zenocutuzumab-approved",
        body="## Why it matters\n\nThe eNRGy trial (NCT02912949) enrolled few patients.\n",
        topics=[topic],
        discussion_prompt="Are small cohorts enough?",
    )
    FAQEntryFactory(article=article, question="What is an NRG1 fusion?", answer="A gene fusion.")
    ReferenceFactory(article=article, label="eNRGy on the trial registry")
    return article


def test_home_lists_public_articles_and_topics_but_not_drafts(client, article):
    ArticleFactory(title="Secret draft", status=Article.Status.DRAFT, published_at=None)
    page = client.get("/").content.decode()
    assert "Zenocutuzumab approved" in page
    assert "NRG1 fusion" in page
    assert "Secret draft" not in page


def test_list_cards_show_the_reading_time_the_article_page_shows(client, article):
    topic = article.topics.get()
    long_read = ArticleFactory(
        title="A long explainer", body="word " * (7 * 220 - 10), topics=[topic]
    )  # 1,530 words: 7 minutes at READING_WORDS_PER_MINUTE
    assert long_read.reading_minutes == 7
    on_article = re.sub(r"\s+", " ", client.get(long_read.get_absolute_url()).content.decode())
    assert "· 7 min read" in on_article
    sent = Edition.objects.create(subject="This week", status=Edition.Status.SENT)
    sent.featured.add(long_read)
    lists = ("/", "/articles/", topic.get_absolute_url(), "/search/?q=explainer")
    for url in (*lists, f"/newsletter/archive/{sent.pk}/"):
        page = client.get(url).content.decode()
        card = re.search(r'<article class="card[^"]*">(?:(?!</article>).)*A long explainer.*?</article>',
                         page, re.S)  # fmt: skip
        assert card, url
        assert re.search(r"</time>\s*· 7 min read", card.group(0)), (url, card.group(0))


def test_article_page_shows_every_engagement_feature(client, article):
    response = client.get(article.get_absolute_url())
    page = response.content.decode()
    assert response.status_code == 200
    for expected in (
        "A short summary of the article.",  # standfirst
        "Last reviewed" if article.last_reviewed else "Published",
        'href="#why-it-matters"',  # table of contents
        "<details",  # FAQ accordion
        "What is an NRG1 fusion?",
        "eNRGy on the trial registry",
        "https://clinicaltrials.gov/study/NCT02912949",
        "Not medical advice",
        "Are small cohorts enough?",  # discussion prompt
        '<link rel="canonical" href="http://testserver/articles/zenocutuzumab-approved/">',
        'property="og:title" content="Zenocutuzumab approved"',
    ):
        assert expected in page, expected


def test_article_page_emits_article_faq_and_breadcrumb_json_ld(client, article):
    inline = [s for s in scripts_of(client.get(article.get_absolute_url())) if not s.get("src")]
    assert all(s.get("type") == "application/ld+json" for s in inline), "no executable inline JS"
    blocks = inline
    graph = json.loads(blocks[0]["text"])
    types = {item["@type"] for item in graph}
    assert types == {"MedicalWebPage", "NewsArticle", "FAQPage", "BreadcrumbList"}
    faq = next(item for item in graph if item["@type"] == "FAQPage")
    assert faq["mainEntity"][0]["name"] == "What is an NRG1 fusion?"


def test_json_ld_cannot_be_broken_out_of(client):
    article = ArticleFactory(title="</script><script>alert(1)</script>")
    page = client.get(article.get_absolute_url()).content.decode()
    assert "</script><script>alert(1)" not in page


def test_related_articles_share_topics(client, article):
    topic = article.topics.get()
    ArticleFactory(title="Basket trials explained", topics=[topic])
    ArticleFactory(title="Unrelated news", topics=[TopicFactory()])
    page = client.get(article.get_absolute_url()).content.decode()
    related = page.split('id="related"')[1]
    assert "Basket trials explained" in related
    assert "Unrelated news" not in related


def test_drafts_are_404_for_the_public_and_a_preview_for_staff(client, admin_client):
    draft = ArticleFactory(status=Article.Status.DRAFT, published_at=None, title="Embargoed")
    response = client.get(draft.get_absolute_url())
    assert response.status_code == 404
    assert "Embargoed" not in response.content.decode()
    preview = admin_client.get(draft.get_absolute_url())
    assert preview.status_code == 200
    assert "visible to staff only" in preview.content.decode()
    assert 'name="robots" content="noindex"' in preview.content.decode()


def byline_text(html: str) -> str:
    start = html.index('<p class="byline">')
    text = re.sub(r"<[^>]+>", "", html[start : html.index("</p>", start)])
    return " ".join(text.split())


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, "Written by Driverline editors · 1 min read"),
        (
            {"last_reviewed": date(2026, 11, 2)},
            "Written by Driverline editors · Last reviewed 2 November 2026 · 1 min read",
        ),
        ({"reading_minutes": 0}, "Written by Driverline editors"),
        (
            {"status": "published", "published_at": datetime(2026, 1, 1, 12, tzinfo=UTC)},
            "Written by Driverline editors · Published 1 January 2026 · 1 min read",
        ),
    ],
)
def test_a_drafts_byline_has_no_empty_separators(admin_client, fields, expected):
    draft = ArticleFactory(
        status=Article.Status.DRAFT, published_at=None, author=None, last_reviewed=None, body="x"
    )
    Article.objects.filter(pk=draft.pk).update(**fields)
    page = admin_client.get(draft.get_absolute_url()).content.decode()
    assert byline_text(page) == expected


def test_unknown_pages_get_a_friendly_404(client):
    for url in ("/articles/no-such-article/", "/topics/no-such-topic/", "/nowhere/"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "couldn’t find that page" in response.content.decode()


@pytest.mark.parametrize("page", ["0", "-1", "abc", "99999", "1.5", "%00", "9" * 40])
def test_broken_page_numbers_are_404_not_500(client, article, page):
    for url in ("/articles/", f"/topics/{article.topics.get().slug}/", "/search/?q=trial"):
        joiner = "&" if "?" in url else "?"
        assert client.get(f"{url}{joiner}page={page}").status_code == 404


def test_pages_stay_flat_in_queries_as_articles_and_topics_grow(client):
    topic = TopicFactory()
    first = ArticleFactory(topics=[topic])
    FAQEntryFactory(article=first)
    small = {
        url: count_queries(client, url)
        for url in ("/", f"/topics/{topic.slug}/", first.get_absolute_url(), "/articles/")
    }
    for _ in range(15):
        extra_topic = TopicFactory()
        ArticleFactory(topics=[topic, extra_topic])
    for _ in range(5):
        FAQEntryFactory(article=first)
        ReferenceFactory(article=first)
    large = {url: count_queries(client, url) for url in small}
    assert large == small
    assert max(large.values()) <= 10, large


def test_search_finds_by_title_and_ranks_title_matches_first(client, article):
    ArticleFactory(title="Other news", body="A passing mention of zenocutuzumab.")
    page = client.get("/search/", {"q": "zenocutuzumab"}).content.decode()
    assert "2 results" in page
    assert page.index("Zenocutuzumab approved") < page.index("Other news")


def test_search_empty_and_no_result_states(client, article):
    assert "Search every published article" in client.get("/search/").content.decode()
    page = client.get("/search/", {"q": "xylophone"}).content.decode()
    assert "Nothing matched “xylophone”" in page


def test_search_never_shows_drafts(client):
    ArticleFactory(
        title="Hidden zenocutuzumab draft", status=Article.Status.DRAFT, published_at=None
    )
    assert "Hidden zenocutuzumab" not in client.get("/search/?q=zenocutuzumab").content.decode()


@pytest.mark.parametrize(
    "query",
    [
        "a" * 5000,
        "\x00\x01 nul",
        "' OR 1=1 --",
        '"unclosed phrase',
        "<script>alert(1)</script>",
        "!!! ((( ))) & | :*",
        "-",
        "NCT02912949",
        "🧬 fusión",
    ],
)
def test_odd_search_strings_give_a_normal_page(client, article, query):
    response = client.get("/search/", {"q": query})
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.content.decode()


def test_very_long_search_is_truncated_with_a_notice(client, article):
    page = client.get("/search/", {"q": "zenocutuzumab " * 100}).content.decode()
    assert "first 200 characters" in page


def test_feeds_list_public_articles_site_wide_and_per_topic(client, article):
    ArticleFactory(title="Draft in feed", status=Article.Status.DRAFT, published_at=None)
    topic = article.topics.get()
    for url in (
        "/feed/rss/",
        "/feed/atom/",
        f"/topics/{topic.slug}/feed/rss/",
        f"/topics/{topic.slug}/feed/atom/",
    ):
        response = client.get(url, {"page": "junk"})
        assert response.status_code == 200, url
        body = response.content.decode()
        ET.fromstring(body)  # well-formed XML
        assert "Zenocutuzumab approved" in body
        assert "Draft in feed" not in body
    assert client.get("/topics/nope/feed/rss/").status_code == 404


def test_sitemap_and_robots(client, article):
    ArticleFactory(slug="a-draft", status=Article.Status.DRAFT, published_at=None)
    sitemap = client.get("/sitemap.xml").content.decode()
    assert "/articles/zenocutuzumab-approved/" in sitemap
    assert "/articles/a-draft/" not in sitemap
    robots = client.get("/robots.txt")
    assert robots["Content-Type"].startswith("text/plain")
    assert "Sitemap: http://testserver/sitemap.xml" in robots.content.decode()


def test_security_headers_and_csp_without_inline_script(client, article):
    response = client.get(article.get_absolute_url())
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    for url in ("/", "/search/?q=x", article.get_absolute_url()):
        for script in scripts_of(client.get(url)):
            assert script.get("src") or script.get("type") == "application/ld+json", url


def test_a_forged_host_header_is_a_400_not_a_500(client, settings, article):
    settings.ALLOWED_HOSTS = ["testserver"]
    response = client.get(article.get_absolute_url(), HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert "couldn’t understand that request" in response.content.decode()


def test_robots_and_canonical_never_trust_the_host_header(client, settings, article):
    settings.ALLOWED_HOSTS = ["testserver", "alias.example"]
    page = client.get(article.get_absolute_url(), HTTP_HOST="alias.example").content.decode()
    assert 'rel="canonical" href="http://testserver/' in page
    robots = client.get("/robots.txt", HTTP_HOST="alias.example").content.decode()
    assert "alias.example" not in robots
