"""The newsletter's writes. Subscriptions: double opt-in, consent, preferences and one-click
unsubscribe. Editions: send, schedule, cancel, send a test, resume, retry failed; the alerts
and the weekly digest that the newsletter makes by itself; the scheduled sends, and the
recovery that beat runs. Sending hands an edition to this app's tasks once the transaction
commits; the engine (delivery.py, ledger.py) does the rest."""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, Topic
from core.links import absolute_url
from core.mail import email_queue, render_mail
from core.suppression import suppression_reasons
from newsletter import ledger, tasks
from newsletter.emails import attention_mails, editor_copy
from newsletter.interests import Pair, consent_labels, interests_set, pair_slug, pairs_from_slugs
from newsletter.models import Delivery, Edition, Subscriber, interest_label, new_token_id
from newsletter.selectors import corrections_to_mail, featured_not_public
from newsletter.tokens import confirm_token, links

logger = logging.getLogger(__name__)


# Subscriptions --------------------------------------------------------------------------------
def subscriber_links_revoke(*, subscriber: Subscriber) -> None:
    """A new token_id: every confirmation, preferences and unsubscribe link mailed so far
    stops working at once (for a leaked link). Old-form unsubscribe links, which name the
    pk and address instead, are not affected."""
    subscriber.token_id = new_token_id()
    Subscriber.objects.filter(pk=subscriber.pk).update(token_id=subscriber.token_id)


def subscription_request(
    *,
    email: str,
    frequency: str,
    topics: list[Topic],
    source: str,
    user=None,
    return_path: str,
    interests: list[Pair] = (),
) -> Subscriber:
    """Ask for a subscription. Whoever the address belongs to gets a mail; the caller learns
    nothing about whether it was known (the answer to the form is always the same).
    `return_path`, a checked path on this site, is where the confirmed page leads back to.
    `interests` (checked pairs: interests.pairs_from_keys) travel in the link only, and are
    kept once it is confirmed."""
    email = email.strip().lower()
    with transaction.atomic():
        subscriber, _ = Subscriber.objects.select_for_update().get_or_create(
            email=email, defaults={"frequency": frequency, "user": user}
        )
        if subscriber.status == Subscriber.Status.ACTIVE:
            email_queue(
                render_mail("newsletter/email/already", to=email, context=links(subscriber))
            )
            return subscriber
        if suppression_reasons([email]):
            # The address does not accept mail, or its reader called ours spam (one list for
            # all mail: core.suppression): no mail to it from a form anyone can fill in. Say
            # nothing different. Once staff lift the suppression, it may ask again.
            return subscriber
        subscriber.status = Subscriber.Status.PENDING
        subscriber.frequency = frequency
        subscriber.requested_at = timezone.now()
        subscriber.save()
        subscriber.topics.set(topics)
        token = confirm_token(
            subscriber=subscriber,
            source=source,
            topic_slugs=[t.slug for t in topics],
            frequency=frequency,
            interest_slugs=[pair_slug(pair) for pair in interests],
        )
        context = {
            "subscriber": subscriber,
            "topics": topics,
            "combinations": [interest_label(*pair) for pair in interests],
            "confirm_url": absolute_url(reverse("newsletter_confirm", args=[token]))
            + (f"?{urlencode({'next': return_path})}" if return_path else ""),
            "expiry_days": settings.NEWSLETTER_CONFIRM_DAYS,
        }
        email_queue(render_mail("newsletter/email/confirm", to=email, context=context))
    return subscriber


def subscription_confirm(*, subscriber: Subscriber, payload: dict) -> Subscriber:
    """Double opt-in, second step: activate exactly what the confirmed link carries (its
    topics and frequency, not whatever a later sign-up request left on the row) and record
    that same choice as the consent given. Idempotent."""
    topics = list(Topic.objects.filter(slug__in=payload.get("t", [])).order_by("slug"))
    pairs = pairs_from_slugs(payload.get("i", []))
    frequency = payload.get("f")
    if frequency not in Subscriber.Frequency.values:
        frequency = subscriber.frequency
    with transaction.atomic():
        activated = Subscriber.objects.filter(
            pk=subscriber.pk, status=Subscriber.Status.PENDING
        ).update(
            status=Subscriber.Status.ACTIVE,
            frequency=frequency,
            consent_at=timezone.now(),
            consent_source=str(payload.get("src", ""))[:40],
            consent_topics=[topic.slug for topic in topics] + consent_labels(pairs),
            unsubscribed_at=None,
        )
        if activated:
            subscriber.topics.set(topics)
            interests_set(subscriber=subscriber, pairs=pairs)
    subscriber.refresh_from_db()
    return subscriber


def subscription_unsubscribe(*, subscriber: Subscriber) -> None:
    """Leave at once. Twice is harmless."""
    Subscriber.objects.filter(pk=subscriber.pk).exclude(
        status=Subscriber.Status.UNSUBSCRIBED
    ).update(status=Subscriber.Status.UNSUBSCRIBED, unsubscribed_at=timezone.now())


def preferences_update(*, subscriber: Subscriber, frequency: str, topics: list[Topic]) -> None:
    with transaction.atomic():
        Subscriber.objects.filter(pk=subscriber.pk).update(frequency=frequency)
        subscriber.topics.set(topics)


def subscription_from_account(
    *, user, frequency: str, topics: list[Topic] | None = None
) -> Subscriber:
    """A signed-in reader with a verified address subscribes without another confirmation:
    the verification already proved the address is theirs. Consent is recorded as usual.
    `topics` None keeps the ones they had (every topic for a new subscriber)."""
    with transaction.atomic():
        subscriber, _ = Subscriber.objects.select_for_update().get_or_create(
            email=user.email.lower()
        )
        subscriber.user = user
        subscriber.frequency = frequency
        if subscriber.status != Subscriber.Status.ACTIVE:
            subscriber.status = Subscriber.Status.ACTIVE
            subscriber.consent_at = timezone.now()
            subscriber.consent_source = "settings"
            subscriber.consent_topics = sorted(topic.slug for topic in topics or ())
            subscriber.unsubscribed_at = None
        subscriber.save()
        if topics is not None:
            subscriber.topics.set(topics)
    return subscriber


# Editions -------------------------------------------------------------------------------------
class FeaturedNotPublic(Exception):
    """An edition links to its featured articles, and a link to one that is not public is a
    404: such an edition does not start."""

    def __init__(self, articles: list[Article]):
        super().__init__(", ".join(article.title for article in articles))
        self.articles = articles


def _dispatch_on_commit(edition_id: int) -> None:
    for _ in range(settings.NEWSLETTER_PARALLEL_TASKS):
        transaction.on_commit(lambda: tasks.edition_deliver.delay(edition_id))


def edition_send(*, edition: Edition) -> int:
    """Start sending: create the deliveries and hand them to the workers. Idempotent.
    Raises FeaturedNotPublic, leaving the edition as it was, while an article is not public."""
    if edition.is_editable and (missing := featured_not_public(edition=edition)):
        raise FeaturedNotPublic(missing)
    updated = Edition.objects.filter(
        pk=edition.pk, status__in=(Edition.Status.DRAFT, Edition.Status.SCHEDULED)
    ).update(status=Edition.Status.SENDING, started_at=timezone.now(), stopped_reason="")
    total = ledger.deliveries_create(edition=edition)
    if updated:
        _dispatch_on_commit(edition.pk)
    return total


def edition_resume(*, edition: Edition) -> bool:
    """Carry on an edition that stopped for attention, once its cause is fixed."""
    with transaction.atomic():
        # dispatched_at cleared: if the tasks queued here are lost, the next sweep hands the
        # edition over at once rather than a minute after its last hand-over.
        resumed = Edition.objects.filter(pk=edition.pk, status=Edition.Status.ATTENTION).update(
            status=Edition.Status.SENDING, stopped_reason="", dispatched_at=None
        )
        if resumed:
            _dispatch_on_commit(edition.pk)
    return bool(resumed)


def edition_retry_failed(*, edition: Edition) -> int:
    """Give failed deliveries a fresh retry budget, to subscribers who are still active:
    bounced, unsubscribed and suppressed addresses are never touched. Returns how many."""
    with transaction.atomic():
        if Edition.objects.filter(pk=edition.pk, status=Edition.Status.CANCELLED).exists():
            return 0  # a cancelled edition stays cancelled, its counts as stored
        retried = Delivery.objects.filter(
            edition=edition,
            status=Delivery.Status.FAILED,
            subscriber__status=Subscriber.Status.ACTIVE,
        ).update(status=Delivery.Status.QUEUED, retry_until=None, next_attempt_at=timezone.now())
        if retried:
            Edition.objects.filter(
                pk=edition.pk, status__in=(Edition.Status.FAILURES, Edition.Status.SENT)
            ).update(
                status=Edition.Status.SENDING, finished_at=None, dispatched_at=None, counted_at=None
            )  # sending again: counted live until it finishes again
            _dispatch_on_commit(edition.pk)
    return retried


def edition_schedule(*, edition: Edition, at: datetime) -> list[Article]:
    """Send a draft or scheduled edition at `at`. Returns the featured articles that will not
    be public by then: allowed, as at its time the edition waits for them
    (scheduled_editions_send)."""
    Edition.objects.filter(
        pk=edition.pk, status__in=(Edition.Status.DRAFT, Edition.Status.SCHEDULED)
    ).update(status=Edition.Status.SCHEDULED, scheduled_at=at)
    return [
        article
        for article in featured_not_public(edition=edition)
        if article.status == article.Status.DRAFT
        or article.status == article.Status.IN_REVIEW
        or article.published_at > at
    ]


def edition_cancel(*, edition: Edition) -> int:
    """Stop an edition: nothing more is claimed; what already left stays recorded as sent.
    Returns how many deliveries will not be sent."""
    with transaction.atomic():
        Edition.objects.filter(
            pk=edition.pk,
            status__in=(
                Edition.Status.DRAFT,
                Edition.Status.SCHEDULED,
                Edition.Status.SENDING,
                Edition.Status.ATTENTION,
            ),
        ).update(status=Edition.Status.CANCELLED, finished_at=timezone.now())
        stopped = Delivery.objects.filter(edition=edition, status=Delivery.Status.QUEUED).update(
            status=Delivery.Status.CANCELLED
        )
        # Nothing in flight: counted now; otherwise by the worker that gives its rows back.
        ledger.finish_if_done(edition.pk)
        return stopped


def edition_send_test(*, edition: Edition, to: str) -> None:
    """A copy to one address (an editor's own), marked as a test, outside the ledger."""
    email_queue(editor_copy(edition, to=to))


def alerts_create(*, since: timedelta = timedelta(days=2)) -> list[int]:
    """An alert edition for each recently published article that has none, sent at once.

    The newsletter finds new articles by itself, so articles knows nothing of it; the unique
    constraint on (alert, article) makes a second run, or a second beat, send nothing twice.
    """
    recent = Article.objects.published().filter(published_at__gte=timezone.now() - since)
    # Only alerts have an article: the kind filter states it, the data already holds it.
    alerted = Edition.objects.filter(kind=Edition.Kind.ALERT).values(
        "article_id"
    )  # pragma: no mutate
    started = []
    for article in recent.exclude(pk__in=alerted):
        try:
            with transaction.atomic():
                alert = Edition.objects.create(
                    kind=Edition.Kind.ALERT,
                    article=article,
                    subject=f"New on {settings.SITE_NAME}: {article.title}"[:200],
                    preheader=article.standfirst[:200],
                )
                alert.featured.add(article)
                alert.audience_topics.set(article.topics.all())
                edition_send(edition=alert)
        except IntegrityError:
            continue  # another run made this alert a moment ago
        started.append(alert.pk)
    return started


def digest_create(*, today: date | None = None) -> int | None:
    """Last ISO week's digest for weekly subscribers, once per week, never empty.

    Only subscribers who follow at least one of the week's topics (or every topic) are in
    the audience, so nobody gets a digest with no articles in it. The week's corrections to
    articles mailed as alerts go in it too, for the readers who got the alert (they are in the
    audience for them, so a week of corrections and no new articles still has a digest). A
    second beat, or a second beat process, meets the one-digest-per-week constraint and sends
    nothing.
    """
    today = today or timezone.localdate()
    monday = today - timedelta(days=today.weekday())
    start = timezone.make_aware(datetime.combine(monday - timedelta(days=7), time.min))
    end = start + timedelta(days=7)
    year, week, _ = start.date().isocalendar()
    period = f"{year}-W{week:02d}"
    articles = list(
        Article.objects.published().filter(published_at__gte=start, published_at__lt=end)
    )
    corrections = corrections_to_mail(start=start, end=end)
    if not (articles or corrections):
        return None
    try:
        with transaction.atomic():
            digest = Edition.objects.create(
                kind=Edition.Kind.DIGEST,
                period=period,
                subject=_digest_subject(len(articles), len(corrections)),
                preheader="The week’s new articles in the topics you follow."
                if articles
                else "Corrections to articles we sent you.",
            )
            digest.featured.set(articles)
            digest.corrections.set(corrections)
            digest.audience_topics.set(Topic.objects.filter(articles__in=articles).distinct())
            edition_send(edition=digest)
    except IntegrityError:
        return None  # this week's digest exists already
    return digest.pk


def _digest_subject(articles: int, corrections: int) -> str:
    if not articles:
        return f"{settings.SITE_NAME} weekly: {corrections} correction{'s' * (corrections != 1)}"
    return f"{settings.SITE_NAME} weekly: {articles} new article{'s' * (articles != 1)}"


def scheduled_editions_send() -> list[int]:
    """Start every scheduled edition whose time has come (beat).

    One that features an article not yet public stays scheduled and waits: it starts on the
    first beat after its articles are public (or an editor cancels it). Its stopped_reason
    says why, and the editors are told once, when it first has to wait.
    """
    due = Edition.objects.filter(status=Edition.Status.SCHEDULED, scheduled_at__lte=timezone.now())
    started = []
    for edition in due:
        try:
            edition_send(edition=edition)
        except FeaturedNotPublic as waiting:
            _wait_for_articles(edition, waiting.articles)
            continue
        started.append(edition.pk)
    return started


def _wait_for_articles(edition: Edition, articles: list[Article]) -> None:
    titles = ", ".join(f"“{article.title}”" for article in articles)
    reason = f"Waiting for {titles} to be public: the edition goes out once they are."
    with transaction.atomic():
        # Only the first beat that finds it waiting tells the editors.
        first = Edition.objects.filter(
            pk=edition.pk, status=Edition.Status.SCHEDULED, stopped_reason=""
        ).update(stopped_reason=reason[:300])
        if first:
            logger.warning("Edition %s waits for unpublished articles: %s", edition.pk, titles)
            edition.stopped_reason = reason[:300]
            for message in attention_mails(edition, template="newsletter/email/waiting"):
                email_queue(message)


def deliveries_recover() -> int:
    """Beat, every NEWSLETTER_SWEEP_SECONDS: rows of a worker that stopped renewing its lease
    go back in the queue, and editions with rows due and nobody on them get workers, so
    recovery never waits for the broker. Two cheap queries when all is well. Returns how
    many rows went back."""
    requeued = ledger.requeue_expired()
    for edition_id in ledger.editions_to_dispatch():
        _dispatch_on_commit(edition_id)
    return requeued
