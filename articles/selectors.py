"""Reads on articles that are more than one queryset method."""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from articles.models import Article, Topic

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def clean_query(raw: str | None) -> str:
    """A search string a database can always take: no control characters, bounded length."""
    text = _CONTROL.sub(" ", raw or "")
    return " ".join(text.split())[: settings.SEARCH_MAX_QUERY_LENGTH].strip()


def article_search(*, query: str) -> QuerySet[Article]:
    """Published articles matching `query`, best first.

    PostgreSQL: full-text search with weights (title, then standfirst, then body) and
    websearch syntax ("quoted phrases", -exclusions). SQLite: every word must appear, and
    title matches rank above standfirst matches above body matches.
    """
    articles = Article.objects.published().for_listing()
    if not query:
        return articles.none()
    if connection.vendor == "postgresql":
        vector = (
            SearchVector("title", weight="A", config="english")
            + SearchVector("standfirst", weight="B", config="english")
            + SearchVector("body", weight="C", config="english")
        )
        search = SearchQuery(query, search_type="websearch", config="english")
        return (
            articles.annotate(rank=SearchRank(vector, search))
            .filter(rank__gt=0)
            .order_by("-rank", "-published_at")
        )
    terms = re.findall(r"\w[\w.-]*", query)[:10]
    if not terms:
        return articles.none()
    score = Value(0, output_field=IntegerField())
    for term in terms:
        articles = articles.filter(
            Q(title__icontains=term) | Q(standfirst__icontains=term) | Q(body__icontains=term)
        )
        score += Case(
            When(title__icontains=term, then=Value(3)),
            When(standfirst__icontains=term, then=Value(2)),
            default=Value(1),
            output_field=IntegerField(),
        )
    return articles.annotate(rank=score).order_by("-rank", "-published_at")


def topics_with_counts() -> QuerySet[Topic]:
    """Topics that have public articles, with how many, in one query."""
    public = Q(
        articles__status__in=(Article.Status.PUBLISHED, Article.Status.SCHEDULED),
        articles__published_at__lte=timezone.now(),
    )
    return (
        Topic.objects.annotate(article_count=Count("articles", filter=public))
        .filter(article_count__gt=0)
        .order_by("kind", "name")
    )


def related_articles(*, article: Article, limit: int = 3) -> list[Article]:
    """Public articles sharing the most topics with `article`, newest first among equals."""
    topic_ids = [topic.pk for topic in article.topics.all()]
    if not topic_ids:
        return []
    return list(
        Article.objects.published()
        .filter(topics__in=topic_ids)
        .exclude(pk=article.pk)
        .annotate(shared=Count("topics"))
        .defer("body", "body_html", "toc")
        .order_by("-shared", "-published_at")[:limit]
    )
