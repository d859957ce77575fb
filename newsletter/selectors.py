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
    Value,
    When,
)

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


# What an edition stores when it finishes (Edition.count_<name>): the final statuses, and
# the rows possibly sent twice, skipped as suppressed, and that left.
STORED_COUNTS = (
    "sent",
    "failed",
    "bounced",
    "cancelled",
    "skipped",
    "suppressed",
    "resent",
    "left",
)


def delivery_counts(edition_id: int) -> dict[str, int]:
    """The edition's deliveries counted now, by status and the rest of STORED_COUNTS, in
    one aggregate: for an edition still sending, and once to store when it finishes."""
    return Delivery.objects.filter(edition_id=edition_id).aggregate(
        **{status: Count("pk", filter=Q(status=status)) for status in Delivery.Status.values},
        resent=Count("pk", filter=Q(resent=True)),
        suppressed=Count(
            "pk",
            filter=Q(status=Delivery.Status.SKIPPED, last_error__startswith=SUPPRESSED),
        ),
        left=Count("pk", filter=Q(sent_at__isnull=False)),
    )


def edition_counts(edition: Edition) -> dict[str, int]:
    """What a finished edition stored (no query), or its live counts (one query)."""
    if edition.counted_at is None:
        return delivery_counts(edition.pk)
    stored = {name: getattr(edition, f"count_{name}") for name in STORED_COUNTS}
    return {Delivery.Status.QUEUED: 0, Delivery.Status.SENDING: 0, **stored}


def edition_reported(edition: Edition) -> dict[str, int]:
    """How many of the edition's messages the provider reported delivered, and complained
    of (a reader's two complaints are one), in one query. These go on arriving after the
    edition finished, so they are always counted: on its page, never on the list."""
    events = DeliveryEvent.objects.filter(delivery__edition=edition)
    return events.aggregate(
        delivered=Count("delivery", distinct=True, filter=Q(kind=DeliveryEvent.Kind.DELIVERED)),
        complained=Count("delivery", distinct=True, filter=Q(kind=DeliveryEvent.Kind.COMPLAINED)),
    )


FINAL = (
    Delivery.Status.SENT,
    Delivery.Status.FAILED,
    Delivery.Status.BOUNCED,
    Delivery.Status.CANCELLED,
    Delivery.Status.SKIPPED,
)


def edition_progress(edition: Edition, *, reported: bool = True) -> dict[str, int]:
    """Progress by status (edition_counts), and with `reported` what the provider reported
    (edition_reported); `resent` counts the rows requeued after a crash once handed to the
    server (possibly sent twice)."""
    counts = edition_counts(edition)
    by_status = {status: counts[status] for status in Delivery.Status.values}
    total = sum(by_status.values())
    done = sum(by_status[status] for status in FINAL)
    return {
        **by_status,
        "waiting": by_status[Delivery.Status.QUEUED] + by_status[Delivery.Status.SENDING],
        "resent": counts["resent"],
        "suppressed": counts["suppressed"],
        "left": counts["left"],
        **(edition_reported(edition) if reported else {"delivered": 0, "complained": 0}),
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
        Edition.objects.filter(status__in=(Edition.Status.SENT, Edition.Status.FAILURES))
        .order_by(F("finished_at").desc(nulls_last=True), "-pk")
        .first()
    )
    if last is None:
        return None
    complained = edition_reported(last)["complained"]
    if not complained:
        return None
    sent = edition_counts(last)["left"]
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
