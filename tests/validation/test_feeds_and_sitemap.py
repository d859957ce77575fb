"""Feeds through feedparser, the sitemap as sitemaps.org XML: every link on SITE_URL."""

import xml.etree.ElementTree as ET

import feedparser
import pytest

pytestmark = pytest.mark.django_db

SITE_URL = "http://testserver"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


@pytest.mark.parametrize("name", ["rss", "atom", "topic-rss", "topic-atom"])
def test_the_feed_parses_cleanly_with_absolute_links(validated, name):
    feed = feedparser.parse(validated.documents[name])
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version in ("rss20", "atom10")
    assert feed.feed.link.startswith(f"{SITE_URL}/")
    assert feed.entries
    for entry in feed.entries:
        assert entry.link.startswith(f"{SITE_URL}/articles/"), entry.link
        assert entry.title
        assert entry.get("published")


def test_the_sitemap_is_sitemaps_org_xml_on_site_url(validated):
    root = ET.fromstring(validated.documents["sitemap"].encode())
    assert root.tag == f"{{{SITEMAP_NS}}}urlset"
    locations = [loc.text for loc in root.iter(f"{{{SITEMAP_NS}}}loc")]
    assert len(locations) == len(root.findall(f"{{{SITEMAP_NS}}}url")) >= 10
    assert all(loc.startswith(f"{SITE_URL}/") for loc in locations), locations
    for path in ("/", "/newsletter/", "/newsletter/archive/", "/articles/published-just-now/"):
        assert f"{SITE_URL}{path}" in locations
