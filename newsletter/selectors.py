"""Reads of the newsletter: who gets an edition, what it features, how far its sending has
come and which deliveries need a look, which editions have stalled, and the public archive."""

from __future__ import annotations

from datetime import datetime

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from articles.models import Article, ArticleChange
from core.suppression import suppressed_addresses
from newsletter.models import Delivery, DeliveryEvent, Edition, Interest, Subscriber


def audience(edition: Edition) -> QuerySet[Subscriber]:
    """Active subscribers who want this edition, at addresses not suppressed. An alert or a
    digest goes to whoever one of its articles matches (`following`); an edition with audience
    topics, to whoever they match as if they were an article's; one without, to everyone. A
    digest also goes to whoever got the alert of an article it carries a correction to,
    whatever they read. Built of EXISTS subqueries: each subscriber once, with no DISTINCT,
    so the set can feed an INSERT ... SELECT as it is."""
    wanted = Q()
    if edition.kind == Edition.Kind.ALERT:
        wanted = Q(frequency=Subscriber.Frequency.EACH_ARTICLE)
    elif edition.kind == Edition.Kind.DIGEST:
        wanted = Q(frequency=Subscriber.Frequency.WEEKLY)
    if edition.kind == Edition.Kind.EDITION:
        topic_ids = frozenset(edition.audience_topics.values_list("pk", flat=True))
        articles = [topic_ids] if topic_ids else []
    else:
        articles = articles_topics(edition)
    # An article with no topics is about nothing in particular: every reader may have it.
    if articles and all(articles):
        wanted &= following(articles)
    if edition.kind == Edition.Kind.DIGEST:
        if not articles:
            wanted = Q(pk__in=[])  # a week of corrections only: no article for weekly readers
        wanted |= Q(pk__in=alert_readers(edition.corrections.values("article_id")))
    return Subscriber.objects.filter(wanted, status=Subscriber.Status.ACTIVE).exclude(
        email__in=suppressed_addresses()  # one suppression list for all mail
    )


def articles_topics(edition: Edition) -> list[frozenset[int]]:
    """Each featured article's topic ids (an empty set for one without), in one query."""
    found: dict[int, set[int]] = {}
    for article_id, topic_id in edition.featured.values_list("pk", "topics"):
        found.setdefault(article_id, set())
        if topic_id is not None:
            found[article_id].add(topic_id)
    return list({frozenset(topics) for topics in found.values()})


def following(articles: list[frozenset[int]]) -> Q:
    """Subscribers whom one of these articles (each given as its topic ids) matches: a topic
    of it that they follow, a combination of theirs that it satisfies (Interest), or they
    follow nothing at all (no topics, no combinations: everything)."""
    topics = Subscriber.topics.through.objects.filter(subscriber_id=OuterRef("pk"))
    combinations = Interest.objects.filter(subscriber_id=OuterRef("pk"))
    return (
        Exists(topics.filter(topic_id__in=set().union(*articles)))
        | Exists(combinations.matching(articles))
        | (~Exists(topics) & ~Exists(combinations))
    )


def sent_alerts() -> QuerySet[Delivery]:
    """Alerts that reached their reader: who was mailed which article."""
    return Delivery.objects.filter(status=Delivery.Status.SENT, edition__kind=Edition.Kind.ALERT)


def alert_readers(article_ids) -> QuerySet:
    """The subscribers (ids) an alert of one of these articles was sent to."""
    return sent_alerts().filter(edition__article_id__in=article_ids).values("subscriber_id")


def corrections_to_mail(*, start: datetime, end: datetime) -> list[ArticleChange]:
    """Corrections published in [start, end) to public articles whose alert reached someone:
    what that week's digest tells the alert's readers."""
    return list(
        ArticleChange.objects.public()
        .filter(kind=ArticleChange.Kind.CORRECTION, published_at__gte=start, published_at__lt=end)
        .filter(article_id__in=sent_alerts().values("edition__article_id"))
        .order_by("published_at", "pk")
    )


def featured_not_public(*, edition: Edition) -> list[Article]:
    """The edition's featured articles that are not public now (Article.objects.published())."""
    public = Article.objects.published().values("pk")
    return list(edition.featured.exclude(pk__in=public).order_by("title"))


def featured_articles(edition: Edition) -> list[Article]:
    """The featured articles, in the order the mail lists them; each knows is_public."""
    return list(edition.featured.order_by("-published_at", "title"))


# How the ledger's skip of a suppressed address begins (ledger.skip_lapsed).
SUPPRESSED = "suppressed: "


def _reported(kind: str) -> Coalesce:
    """How many of an edition's deliveries the provider reported `kind` for (a subquery, so
    that it does not multiply the delivery counts beside it)."""
    reported = (
        DeliveryEvent.objects.filter(delivery__edition=OuterRef("pk"), kind=kind)
        .order_by()
        .values("delivery__edition")
        .annotate(count=Count("delivery", distinct=True))
        .values("count")
    )
    return Coalesce(Subquery(reported[:1]), 0)


def with_progress(editions: QuerySet[Edition]) -> QuerySet[Edition]:
    """Delivery counts by status on each edition (skips of suppressed addresses apart), and
    what the provider reported of them (delivered, complaints), in the same query."""
    return editions.annotate(
        **{
            f"deliveries_{status}": Count("deliveries", filter=Q(deliveries__status=status))
            for status in Delivery.Status.values
        },
        deliveries_resent=Count("deliveries", filter=Q(deliveries__resent=True)),
        deliveries_suppressed=Count(
            "deliveries",
            filter=Q(deliveries__status=Delivery.Status.SKIPPED)
            & Q(deliveries__last_error__startswith=SUPPRESSED),
        ),
        reported_delivered=_reported(DeliveryEvent.Kind.DELIVERED),
        reported_complained=_reported(DeliveryEvent.Kind.COMPLAINED),
    )


FINAL = (
    Delivery.Status.SENT,
    Delivery.Status.FAILED,
    Delivery.Status.BOUNCED,
    Delivery.Status.CANCELLED,
    Delivery.Status.SKIPPED,
)


def edition_progress(edition: Edition) -> dict[str, int]:
    """Progress from an edition annotated by `with_progress`; `resent` counts the rows that
    were requeued after a crash once handed to the server (possibly sent twice)."""
    counts = {status: getattr(edition, f"deliveries_{status}") for status in Delivery.Status.values}
    total = sum(counts.values())
    done = sum(counts[status] for status in FINAL)
    return {
        **counts,
        "waiting": counts[Delivery.Status.QUEUED] + counts[Delivery.Status.SENDING],
        "resent": edition.deliveries_resent,
        "suppressed": edition.deliveries_suppressed,
        "delivered": edition.reported_delivered,
        "complained": edition.reported_complained,
        "total": total,
        "percent": round(100 * done / total) if total else 0,
    }


# Mailbox providers filter a sender whose complaints reach 0.3 % (Gmail's bulk-sender rules):
# the edition page warns from a third of that, 1 complaint in 1,000 messages.
COMPLAINTS_WARN_PER_THOUSAND = 1


def complaint_warning() -> dict | None:
    """The complaint rate of the last edition that finished sending, when it is at or above
    COMPLAINTS_WARN_PER_THOUSAND (per message that left); None otherwise."""
    last = (
        with_progress(
            Edition.objects.filter(status__in=(Edition.Status.SENT, Edition.Status.FAILURES))
        )
        .order_by(F("finished_at").desc(nulls_last=True), "-pk")
        .first()
    )
    if last is None:
        return None
    sent = last.deliveries.filter(sent_at__isnull=False).count()
    complained = last.reported_complained
    if not sent or complained * 1000 < COMPLAINTS_WARN_PER_THOUSAND * sent:
        return None
    return {
        "edition": last,
        "complained": complained,
        "sent": sent,
        "percent": 100 * complained / sent,
    }


# The edition page lists the deliveries that need attention first, then the latest sent.
DELIVERIES_SHOWN = 25


def deliveries_for_review(edition: Edition, *, limit: int = DELIVERIES_SHOWN) -> QuerySet[Delivery]:
    """The edition's deliveries that need attention first (failed and bounced, then those
    possibly sent twice or waiting for a retry), then the latest sent: the first `limit`."""
    return (
        edition.deliveries.select_related("subscriber")
        .annotate(
            trouble=Case(
                When(status=Delivery.Status.FAILED, then=Value(0)),
                When(status=Delivery.Status.BOUNCED, then=Value(0)),
                When(resent=True, then=Value(1)),
                When(attempts__gt=0, status=Delivery.Status.QUEUED, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),  # pragma: no mutate (the values are integers)
            )
        )
        .order_by("trouble", F("sent_at").desc(nulls_last=True), "pk")[:limit]
    )


def edition_events(edition: Edition, *, limit: int = DELIVERIES_SHOWN) -> QuerySet[DeliveryEvent]:
    """What the mail provider reported about this edition's messages (bounces, complaints,
    unsubscribes, deliveries), latest first: the first `limit`."""
    return DeliveryEvent.objects.filter(delivery__edition=edition).order_by("-occurred_at", "-pk")[
        :limit
    ]


def editions_stalled(*, now: datetime) -> list[int]:
    """Sending editions with rows due at `now` and no worker on them (no live lease)."""
    stalled = []
    for edition_id in Edition.objects.filter(status=Edition.Status.SENDING).values_list(
        "pk", flat=True
    ):
        rows = Delivery.objects.filter(edition_id=edition_id)
        due = rows.filter(status=Delivery.Status.QUEUED, next_attempt_at__lte=now)
        worked_on = rows.filter(status=Delivery.Status.SENDING, lease_until__gte=now)
        if due.exists() and not worked_on.exists():
            stalled.append(edition_id)
    return stalled


def deliveries_due(*, now: datetime) -> dict:
    """Deliveries waiting for a worker now (queued, their attempt due), and how long the one
    due longest has waited: one aggregate query, for /readyz."""
    due = Delivery.objects.filter(status=Delivery.Status.QUEUED, next_attempt_at__lte=now)
    found = due.aggregate(count=Count("pk"), oldest=Min("next_attempt_at"))
    waited = (now - found["oldest"]).total_seconds() if found["oldest"] else None
    return {"count": found["count"], "oldest_seconds": None if waited is None else round(waited)}


def editions_in_archive() -> QuerySet[Edition]:
    """The public archive: composed editions that have gone out (or are going), newest first."""
    return Edition.objects.filter(
        kind=Edition.Kind.EDITION,
        status__in=(Edition.Status.SENDING, Edition.Status.SENT, Edition.Status.FAILURES),
    ).order_by("-started_at")
