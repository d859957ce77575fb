from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from articles.models import Article, Topic
from articles.selectors import topics_with_counts


class ArticleSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.8

    def items(self):
        return Article.objects.published().only("slug", "updated_at").order_by("-published_at")

    def lastmod(self, item: Article):
        return item.updated_at


class TopicSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.5

    def items(self) -> list[Topic]:
        return list(topics_with_counts())


class PageSitemap(Sitemap):
    priority = 0.6
    changefreq = "daily"

    def items(self) -> list[str]:
        return ["home", "archive", "topic_list"]

    def location(self, item: str) -> str:
        return reverse(item)


sitemaps = {"pages": PageSitemap, "articles": ArticleSitemap, "topics": TopicSitemap}
