from types import SimpleNamespace

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from articles.models import Article, Topic
from articles.selectors import topics_with_counts


class CanonicalSitemap(Sitemap):
    """Locations on SITE_URL: django.contrib.sitemaps would build them from the request's Host."""

    def get_urls(self, page=1, site=None, protocol=None):
        scheme, rest = settings.SITE_URL.split("://", 1)
        return super().get_urls(page=page, site=SimpleNamespace(domain=rest), protocol=scheme)


class ArticleSitemap(CanonicalSitemap):
    changefreq = "weekly"
    priority = 0.8

    def items(self):
        return Article.objects.published().only("slug", "updated_at").order_by("-published_at")

    def lastmod(self, item: Article):
        return item.updated_at


class TopicSitemap(CanonicalSitemap):
    changefreq = "weekly"
    priority = 0.5

    def items(self) -> list[Topic]:
        return list(topics_with_counts())


class PageSitemap(CanonicalSitemap):
    priority = 0.6
    changefreq = "daily"

    def items(self) -> list[str]:
        return ["home", "archive", "topic_list", "corrections"]

    def location(self, item: str) -> str:
        return reverse(item)


sitemaps = {"pages": PageSitemap, "articles": ArticleSitemap, "topics": TopicSitemap}
