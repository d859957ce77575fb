from __future__ import annotations

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.feedgenerator import Atom1Feed

from articles import corrections
from articles.models import Article, ArticleChange, Topic
from core.links import absolute_url
from core.markup import render_markdown_text

FEED_SIZE = 20


def _day(moment) -> str:
    return date_format(timezone.localtime(moment), "j F Y")  # as the article page says it


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
            .prefetch_related(
                Prefetch("changes", ArticleChange.objects.noted(), to_attr="public_changes")
            )
        )
        if obj:
            articles = articles.filter(topics=obj)
        return articles[:FEED_SIZE]

    def item_title(self, item: Article) -> str:
        return item.title

    def item_link(self, item: Article) -> str:
        return absolute_url(item.get_absolute_url())

    def item_description(self, item: Article) -> str:
        # Plain text, as the standfirst is: each update or correction after it, dated.
        notes = [
            f"{change.public_label}, {_day(change.published_at)}: "
            f"{render_markdown_text(change.note)}"
            for change in item.public_changes
        ]
        return "\n\n".join([item.standfirst, *notes])

    def item_pubdate(self, item: Article):
        return item.published_at

    def item_updateddate(self, item: Article):
        # Its latest update or correction: a minor change is not news to a feed reader.
        return corrections.article_modified(item, item.public_changes)

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


class CorrectionsFeed(Feed):
    """Every public update and correction, newest first (Atom), at /corrections/feed/."""

    feed_type = Atom1Feed
    title = f"{settings.SITE_NAME}: corrections and updates"
    subtitle = "What we corrected or updated in published articles, and when."

    def link(self) -> str:
        return absolute_url(reverse("corrections"))

    def feed_url(self) -> str:
        return absolute_url(reverse("corrections_feed"))

    def items(self):
        return corrections.notes_for_listing()[:FEED_SIZE]

    def item_title(self, item: ArticleChange) -> str:
        return f"{item.public_label}: {item.article.title}"

    def item_link(self, item: ArticleChange) -> str:
        return absolute_url(f"{item.article.get_absolute_url()}#{item.anchor}")

    def item_description(self, item: ArticleChange) -> str:
        return item.note_html  # the sanitiser's output, as an HTML summary

    def item_pubdate(self, item: ArticleChange):
        return item.published_at

    def item_updateddate(self, item: ArticleChange):
        return item.published_at
