"""Reads on articles that are more than one queryset method."""

from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass
from datetime import date
from difflib import SequenceMatcher

from django.conf import settings
from django.contrib.postgres.search import (
    SearchQuery,
    SearchRank,
    SearchVectorExact,
    SearchVectorField,
    TrigramWordSimilarity,
)
from django.db import connection
from django.db.models import Case, Count, Expression, IntegerField, Q, QuerySet, Value, When
from django.db.models.expressions import Col
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from articles.models import Article, Contributor, Topic, contributor_of

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_TERM = re.compile(r"\w[\w.-]*")
_WORD = re.compile(r"\w[\w-]*")
# body_html is the sanitiser's output, where every "<" of text or attribute is escaped, so a
# tag is exactly "<...>": removed by this (a tenth of strip_tags' time, the same text).
_TAG = re.compile(r"<[^>]*>")
# How alike a misspelt word and the article's word must be (pg_trgm's word_similarity).
TRIGRAM_THRESHOLD = 0.5
SNIPPET_WORDS = 30


class StoredSearchVector(Expression):
    """The article's search_vector column, which migration 0007 adds on PostgreSQL only.

    It is not a model field (Django never loads or writes it; PostgreSQL generates it from
    title A, standfirst B and body C), so it is reached as a column of whatever alias the
    article table has in the query, which keeps it right inside a subquery too.
    """

    output_field = SearchVectorField()

    def resolve_expression(self, query=None, *args, **kwargs):
        return Col(query.get_initial_alias(), _SEARCH_VECTOR)


_SEARCH_VECTOR = SearchVectorField()
_SEARCH_VECTOR.set_attributes_from_name("search_vector")
_SEARCH_VECTOR.model = Article


def clean_query(raw: str | None) -> str:
    """A search string a database can always take: no control characters, bounded length."""
    text = _CONTROL.sub(" ", raw or "")
    return " ".join(text.split())[: settings.SEARCH_MAX_QUERY_LENGTH].strip()


def article_search(*, query: str) -> QuerySet[Article]:
    """Published articles matching `query`, best first.

    PostgreSQL: full-text search with weights (title, then standfirst, then body) and
    websearch syntax ("quoted phrases", -exclusions, OR) against the stored, GIN-indexed
    vector, so no query builds a vector; when that finds nothing, trigram similarity
    (pg_trgm), so a misspelt drug or gene name still finds its articles.
    SQLite: every word must appear, and title matches rank above standfirst matches above
    body matches.
    """
    # The listing defers body_html; the snippets read it, so load it with the page's rows.
    articles = Article.objects.published().for_listing().defer(None).defer("body", "toc")
    if not query:
        return articles.none()
    if connection.vendor == "postgresql":
        vector = StoredSearchVector()
        search = SearchQuery(query, search_type="websearch", config="english")
        # The @@ match is what the GIN index answers; rank > 0 keeps out what only matches
        # by exclusion (a query of nothing but -words), as before.
        found = (
            articles.filter(SearchVectorExact(vector, search))
            .annotate(rank=SearchRank(vector, search))
            .filter(rank__gt=0)
            .order_by("-rank", "-published_at")
        )
        if found.exists():
            return found
        similarity = Greatest(
            TrigramWordSimilarity(query, "title"),
            TrigramWordSimilarity(query, "standfirst"),
            TrigramWordSimilarity(query, "body"),
        )
        return (
            articles.annotate(rank=similarity)
            .filter(rank__gte=TRIGRAM_THRESHOLD)
            .order_by("-rank", "-published_at")
        )
    terms = _TERM.findall(query)[:10]
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


class _Matcher:
    """Whether a word of the article matches a search term: it starts with the term, or, for a
    term of five letters or more, is at least 0.8 alike (difflib's ratio), so a misspelt term
    finds its word. Decided once per distinct word; difflib's cheap upper bounds
    (real_quick_ratio, quick_ratio) rule out most words before the full comparison."""

    def __init__(self, terms: tuple[str, ...]) -> None:
        self.terms = terms
        self.fuzzy = []
        for term in terms:
            if len(term) >= 5:
                matcher = SequenceMatcher(None)
                matcher.set_seq2(term)  # difflib caches what it learns of the second sequence
                self.fuzzy.append(matcher)
        self.seen: dict[str, bool] = {}

    def __call__(self, word: str) -> bool:
        word = word.lower()
        found = self.seen.get(word)
        if found is None:
            found = any(word.startswith(term) for term in self.terms) or any(
                self._alike(matcher, word) for matcher in self.fuzzy
            )
            if len(self.seen) < 20_000:
                self.seen[word] = found
        return found

    @staticmethod
    def _alike(matcher: SequenceMatcher, word: str) -> bool:
        matcher.set_seq1(word)
        return (
            matcher.real_quick_ratio() >= 0.8
            and matcher.quick_ratio() >= 0.8
            and matcher.ratio() >= 0.8
        )


@functools.lru_cache(maxsize=32)
def _matcher(terms: tuple[str, ...]) -> _Matcher:
    # One per query, shared by the results of a page (and by later searches for the same
    # words): their words are much the same, so most are decided once.
    return _Matcher(terms)


def search_snippet(*, article: Article, query: str) -> SafeString:
    """A few lines of the article around the first match, with the matching words in <mark>.

    The text is the article's own (tags stripped) and escaped here; only <mark> is ours.
    Words close to a misspelt term are marked too, as the trigram search found them.
    """
    terms = tuple(term.lower() for term in _TERM.findall(query)[:10] if len(term) > 1)
    matches = _matcher(terms)
    text = html.unescape(_TAG.sub("", article.body_html))
    words = text.split()
    first = next((i for i, word in enumerate(words) if terms and matches(_plain(word))), None)
    if first is None:
        return mark_safe("")
    start = max(0, first - SNIPPET_WORDS // 3)
    window = words[start : start + SNIPPET_WORDS]
    pieces = []
    for word in window:
        core = _WORD.search(word)
        if core and matches(core.group(0)):
            # Only the word itself is marked, not the punctuation around it.
            before, after = word[: core.start()], word[core.end() :]
            pieces.append(f"{escape(before)}<mark>{escape(core.group(0))}</mark>{escape(after)}")
        else:
            pieces.append(escape(word))
    before = "… " if start else ""
    after = " …" if start + SNIPPET_WORDS < len(words) else ""
    return mark_safe(before + " ".join(pieces) + after)  # noqa: S308  (escaped above)


def _plain(word: str) -> str:
    match = _WORD.search(word)
    return match.group(0) if match else ""


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


# Contributors ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class MedicalReview:
    """Who approved the content readers are given, and on what day. `contributor` is the
    reviewer's profile (None when their account has none: then only `name` is shown); `name` is
    empty when the account is gone."""

    name: str
    contributor: Contributor | None
    on: date


def article_medical_review(article: Article) -> MedicalReview | None:
    """The medical review of the article's live content: the approval the publish services
    recorded with it (Article.approval). None for content published before clinical review
    was kept. Select approval__by__contributor to read it without a query."""
    if article.approval_id is None:
        return None
    step = article.approval
    profile = contributor_of(step.by)
    name = profile.name if profile else (step.by.public_name if step.by else "")
    return MedicalReview(name=name, contributor=profile, on=timezone.localdate(step.at))


# How many articles a contributor's page lists of each kind (written, reviewed), newest first.
CONTRIBUTOR_PAGE_ARTICLES = 50


def contributor_articles(*, contributor: Contributor) -> QuerySet[Article]:
    """Public articles whose byline is the contributor: named among its authors, or, for an
    article naming none, through the author account the profile belongs to."""
    bylined = Q(authors=contributor)
    if contributor.user_id:
        bylined |= Q(authors__isnull=True, author_id=contributor.user_id)
    # Matched in a subquery, so the join with the authors never multiplies the listing's rows.
    return (
        Article.objects.published()
        .for_listing()
        .filter(pk__in=Article.objects.filter(bylined).values("pk"))
    )


def contributor_reviews(*, contributor: Contributor) -> QuerySet[Article]:
    """Public articles whose live content the contributor approved in clinical review."""
    if contributor.user_id is None:
        return Article.objects.none()
    return Article.objects.published().for_listing().filter(approval__by_id=contributor.user_id)
