from __future__ import annotations

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from articles.models import Article, Topic
from core.links import absolute_url

FEED_SIZE = 20


class LatestArticlesFeed(Feed):
    """Every link in a feed is on SITE_URL: Django's syndication would take the request's Host."""

    description_template = None
    url_name = "feed_rss"
    topic_url_name = "topic_feed_rss"

    def title(self, obj: Topic | None = None) -> str:
        return f"{settings.SITE_NAME}: {obj.name}" if obj else settings.SITE_NAME

    def link(self, obj: Topic | None = None) -> str:
        return absolute_url(obj.get_absolute_url() if obj else reverse("home"))

    def feed_url(self, obj: Topic | None = None) -> str:
        if obj:
            return absolute_url(reverse(self.topic_url_name, kwargs={"slug": obj.slug}))
        return absolute_url(reverse(self.url_name))

    def description(self, obj: Topic | None = None) -> str:
        if obj:
            return obj.description or f"New articles on {obj.name}."
        return "Precision-oncology news and explainers, reviewed and sourced."

    def items(self, obj: Topic | None = None):
        # The byline (item_author_name) reads the authors and the author account's profile.
        articles = (
            Article.objects.published()
            .for_listing()
            .select_related("author__contributor")
            .prefetch_related("authors")
        )
        if obj:
            articles = articles.filter(topics=obj)
        return articles[:FEED_SIZE]

    def item_title(self, item: Article) -> str:
        return item.title

    def item_link(self, item: Article) -> str:
        return absolute_url(item.get_absolute_url())

    def item_description(self, item: Article) -> str:
        return item.standfirst

    def item_pubdate(self, item: Article):
        return item.published_at

    def item_updateddate(self, item: Article):
        return item.updated_at

    def item_author_name(self, item: Article) -> str:
        return item.byline

    def item_categories(self, item: Article) -> list[str]:
        return [topic.name for topic in item.topics.all()]


class LatestArticlesAtomFeed(LatestArticlesFeed):
    feed_type = Atom1Feed
    url_name = "feed_atom"
    topic_url_name = "topic_feed_atom"
    subtitle = LatestArticlesFeed.description


class TopicFeedMixin:
    def get_object(self, request, slug: str) -> Topic:
        return get_object_or_404(Topic, slug=slug)


class TopicRssFeed(TopicFeedMixin, LatestArticlesFeed):
    pass


class TopicAtomFeed(TopicFeedMixin, LatestArticlesAtomFeed):
    pass
