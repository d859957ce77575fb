"""The delivery engine: a ledger of Delivery rows, claimed in batches, sent over one connection.

Every step is safe to run twice or on several workers at once: rows are created with the
(edition, subscriber) constraint, claimed by a conditional UPDATE that only one worker can
win, and recorded as they are sent (in groups of up to RECORD_EVERY, flushed whatever
happens).
"""

from __future__ import annotations

import logging
import random
import smtplib
import time as clock
import uuid
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TypeVar
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.db.models import CharField, Count, F, Min, Q, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Concat
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.emails import email_queue, inline_css, inline_css_fragment, render_mail
from articles.markup import render_article_markdown, render_markdown_text
from articles.models import Article, Topic
from config.links import absolute_url
from config.mail import Fault, MailMessage, classify, describe
from newsletter.models import Delivery, Edition, Subscriber
from newsletter.tokens import links

logger = logging.getLogger(__name__)
T = TypeVar("T")

# Stand-ins filled per subscriber, so the templates are rendered once per edition.
PREFERENCES = "__DRIVERLINE_PREFERENCES_URL__"
UNSUBSCRIBE = "__DRIVERLINE_UNSUBSCRIBE_URL__"
ARTICLES = "__DRIVERLINE_ARTICLES__"


def audience(edition: Edition):
    """Active subscribers who want this edition: its topics, or everything."""
    subscribers = Subscriber.objects.filter(status=Subscriber.Status.ACTIVE)
    if edition.kind == Edition.Kind.ALERT:
        subscribers = subscribers.filter(frequency=Subscriber.Frequency.EACH_ARTICLE)
    elif edition.kind == Edition.Kind.DIGEST:
        subscribers = subscribers.filter(frequency=Subscriber.Frequency.WEEKLY)
    topic_ids = list(edition.audience_topics.values_list("pk", flat=True))
    if topic_ids:
        subscribers = subscribers.filter(Q(topics__in=topic_ids) | Q(topics__isnull=True))
    return subscribers.distinct()


def deliveries_create(*, edition: Edition, chunk: int = 5000) -> int:
    """One queued Delivery per subscriber, inserted in bulk; running it again adds nothing."""
    ids = audience(edition).values_list("pk", flat=True).order_by("pk")
    now = timezone.now()
    batch: list[Delivery] = []
    for subscriber_id in ids.iterator(chunk_size=chunk):
        batch.append(Delivery(edition=edition, subscriber_id=subscriber_id, next_attempt_at=now))
        if len(batch) >= chunk:
            Delivery.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    if batch:
        Delivery.objects.bulk_create(batch, ignore_conflicts=True)
    return Delivery.objects.filter(edition=edition).count()


def lease_end() -> datetime:
    return timezone.now() + timedelta(seconds=settings.NEWSLETTER_LEASE_SECONDS)


def claim_batch(*, edition_id: int, size: int) -> list[Delivery]:
    """Take up to `size` queued rows for this worker alone, on a lease it must renew.

    The repeated status condition in the UPDATE is what stops two workers taking one row;
    on PostgreSQL, SKIP LOCKED also lets them take different rows instead of waiting.
    """
    token = uuid.uuid4().hex
    now = timezone.now()
    due = Delivery.objects.filter(
        edition_id=edition_id, status=Delivery.Status.QUEUED, next_attempt_at__lte=now
    )
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            ids = list(due.select_for_update(skip_locked=True).values_list("pk", flat=True)[:size])
        else:
            ids = Subquery(due.values("pk")[:size])
        Delivery.objects.filter(pk__in=ids, status=Delivery.Status.QUEUED).update(
            status=Delivery.Status.SENDING, claim=token, claimed_at=now, lease_until=lease_end()
        )
    # Committed: from here a lost connection must not strand the claim until its lease ends.
    return _db(
        lambda: list(
            Delivery.objects.filter(claim=token)
            .select_related("subscriber")
            .prefetch_related("subscriber__topics")
        )
    )


@dataclass(frozen=True)
class RenderedEdition:
    subject: str
    text: str
    html: str
    # Digests: each article's block, rendered once, with the ids of its topics.
    blocks: tuple[tuple[frozenset[int], str, str], ...] = ()


def render_edition(edition: Edition) -> RenderedEdition:
    """The template work, done once per edition; per-subscriber links are stand-ins."""
    context = {
        "edition": edition,
        # The article rules, headings included, through the one sanitiser; and as plain text.
        "intro_html": render_article_markdown(edition.intro).html,
        "intro_text": render_markdown_text(edition.intro),
        "articles": list(edition.featured.prefetch_related("topics").order_by("-published_at")),
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "preferences_url": PREFERENCES,
        "unsubscribe_url": UNSUBSCRIBE,
    }
    blocks: tuple = ()
    if edition.kind == Edition.Kind.DIGEST:
        # Each reader's digest lists only the week's articles in their topics.
        blocks = tuple(
            (
                frozenset(topic.pk for topic in article.topics.all()),
                render_to_string("newsletter/email/_article.txt", {**context, "article": article}),
                inline_css_fragment(
                    render_to_string(
                        "newsletter/email/_article.html", {**context, "article": article}
                    )
                ),
            )
            for article in context["articles"]
        )
        context["articles"] = []
        context["digest_blocks"] = ARTICLES
    return RenderedEdition(
        subject=edition.subject,
        text=render_to_string("newsletter/email/edition_message.txt", context),
        html=inline_css(render_to_string("newsletter/email/edition_message.html", context)),
        blocks=blocks,
    )


def mail_host() -> str:
    """The site's host name, in Message-IDs and the List-Id."""
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def build_message(rendered: RenderedEdition, delivery: Delivery) -> MailMessage:
    subscriber = delivery.subscriber
    urls = links(subscriber)
    host = mail_host()

    wanted = subscriber_topic_ids(subscriber)
    chosen = [b for b in rendered.blocks if not wanted or b[0] & wanted]

    def personal(text: str, part: int) -> str:
        text = text.replace(ARTICLES, "".join(block[part] for block in chosen))
        return text.replace(PREFERENCES, urls["preferences_url"]).replace(
            UNSUBSCRIBE, urls["unsubscribe_url"]
        )

    message = MailMessage(
        subject=rendered.subject,
        body=personal(rendered.text, 1),
        from_email=settings.NEWSLETTER_FROM_EMAIL,
        to=[subscriber.email],
        headers={
            # Deterministic, so a resend after a crash is recognisable as the same message;
            # _mark_sent stores the same value.
            "Message-ID": f"<edition-{delivery.edition_id}.{subscriber.pk}@{host}>",
            "List-Unsubscribe": f"<{urls['unsubscribe_url']}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "List-Id": f"{settings.SITE_NAME} newsletter <newsletter.{host}>",
        },
    )
    message.attach_alternative(personal(rendered.html, 2), "text/html")
    return message


def subscriber_topic_ids(subscriber: Subscriber) -> frozenset[int]:
    """Prefetched by claim_batch, so a batch costs one query for all its subscribers."""
    return frozenset(topic.pk for topic in subscriber.topics.all())


# Sent messages are recorded in groups, one UPDATE for each: per-message commits were a quarter
# of a worker's time (make bench). Before a group goes to the SMTP server its rows are marked
# as handed over, also in one UPDATE, so that after a crash the sweep knows which rows may have
# left (at most one group) and marks them as possibly sent twice when it requeues them.
RECORD_EVERY = 20
DATABASE_ERRORS = (OperationalError, InterfaceError)


class StopSending(Exception):
    """The edition stopped sending (cancelled, or waiting for an editor) while we worked."""


class Paused(Exception):
    """The send rate cannot be held (the shared cache is away) for longer than the batch may
    wait: the rows go back to the queue, to be taken when it returns."""


def _db(operation: Callable[[], T]) -> T:
    """Run one autocommit query, reconnecting when the database dropped our connection (a
    restart, a failover, an idle-connection reaper): the cleanup after a send must not fail
    on the connection that just died, or sent rows would be sent again."""
    for wait in (0.5, 1.0, 2.0):
        try:
            return operation()
        except DATABASE_ERRORS:
            if connection.in_atomic_block:
                raise  # a transaction that lost its connection is gone; its owner retries
            logger.warning("Database connection lost while sending; reconnecting.")
            connection.close()
            clock.sleep(wait)
    return operation()


class Lease:
    """A worker's claim on one batch: renewed every few seconds while it works, and the
    moment to notice that the edition was cancelled or stopped for attention."""

    def __init__(self, *, edition_id: int, claim: str, until: float | None) -> None:
        self.edition_id, self.claim, self.until = edition_id, claim, until
        self.renewed = clock.monotonic()

    def keep_alive(self) -> None:
        if clock.monotonic() - self.renewed < settings.NEWSLETTER_LEASE_SECONDS / 6:
            return
        _db(
            lambda: Delivery.objects.filter(
                claim=self.claim, status=Delivery.Status.SENDING
            ).update(lease_until=lease_end())
        )
        self.renewed = clock.monotonic()
        if not _db(
            lambda: Edition.objects.filter(
                pk=self.edition_id, status=Edition.Status.SENDING
            ).exists()
        ):
            raise StopSending

    def overdue(self) -> bool:
        return self.until is not None and clock.monotonic() > self.until


class SentRecorder:
    def __init__(self) -> None:
        self.pending: list[Delivery] = []

    def add(self, delivery: Delivery) -> None:
        self.pending.append(delivery)

    def flush(self) -> None:
        if self.pending:
            _db(lambda: _mark_sent(self.pending))
        self.pending = []


def _mark_handed(deliveries: list[Delivery]) -> None:
    Delivery.objects.filter(
        pk__in=[d.pk for d in deliveries], claim=deliveries[0].claim, status=Delivery.Status.SENDING
    ).update(handed_at=timezone.now())


def _mark_sent(deliveries: list[Delivery]) -> None:
    Delivery.objects.filter(
        pk__in=[d.pk for d in deliveries], claim=deliveries[0].claim, status=Delivery.Status.SENDING
    ).update(
        status=Delivery.Status.SENT,
        sent_at=timezone.now(),
        attempts=F("attempts") + 1,
        # The same value as the message's header (build_message), composed by the database.
        message_id=Concat(
            Value("<edition-"),
            Cast("edition_id", CharField()),
            Value("."),
            Cast("subscriber_id", CharField()),
            Value(f"@{mail_host()}>"),
        ),
        last_error="",
        handed_at=None,
        lease_until=None,
    )


def retry_delay(attempts: int) -> timedelta:
    """Capped exponential backoff with jitter: workers that failed together don't all come
    back in the same second."""
    ceiling = min(
        settings.NEWSLETTER_RETRY_MAX_SECONDS,
        settings.NEWSLETTER_RETRY_BASE_SECONDS * 2 ** (attempts - 1),
    )
    return timedelta(seconds=ceiling * random.uniform(0.5, 1.0))  # noqa: S311  (not secret)


def _mark_retry(delivery: Delivery, reason: str) -> None:
    """A temporary failure: try again later, as mail servers do, for up to
    NEWSLETTER_RETRY_MAX_HOURS after the first one; then the row has failed."""
    now = timezone.now()
    attempts = delivery.attempts + 1
    until = delivery.retry_until or now + timedelta(hours=settings.NEWSLETTER_RETRY_MAX_HOURS)
    next_attempt = now + retry_delay(attempts)
    Delivery.objects.filter(
        pk=delivery.pk, claim=delivery.claim, status=Delivery.Status.SENDING
    ).update(
        status=Delivery.Status.FAILED if next_attempt > until else Delivery.Status.QUEUED,
        attempts=attempts,
        last_error=reason[:300],
        claim="",
        handed_at=None,
        lease_until=None,
        retry_until=until,
        next_attempt_at=next_attempt,
    )


def _mark_bounced(delivery: Delivery, reason: str) -> None:
    """The address is refused for good. Only the claim that holds the row may say so: a
    worker whose claim was taken over bounces nobody."""
    with transaction.atomic():
        recorded = Delivery.objects.filter(
            pk=delivery.pk, claim=delivery.claim, status=Delivery.Status.SENDING
        ).update(
            status=Delivery.Status.BOUNCED,
            attempts=delivery.attempts + 1,
            last_error=reason[:300],
            handed_at=None,
            lease_until=None,
        )
        if recorded:
            Subscriber.objects.filter(pk=delivery.subscriber_id).update(
                status=Subscriber.Status.BOUNCED
            )


def _stop_for_attention(edition_id: int, reason: str) -> None:
    """The server refused our sender, the message or the session: every reader would be
    refused the same way, so sending stops at once, nobody's status changes, and the editors
    hear of it with the server's answer. Resuming (edition_resume) carries on from here."""
    logger.error("Edition %s stopped: the mail server answered %s", edition_id, reason)
    with transaction.atomic():
        stopped = Edition.objects.filter(pk=edition_id, status=Edition.Status.SENDING).update(
            status=Edition.Status.ATTENTION, stopped_reason=reason[:300]
        )
        if stopped:
            edition = Edition.objects.get(pk=edition_id)
            for message in attention_mails(edition):
                email_queue(message)


def attention_mails(
    edition: Edition, *, template: str = "newsletter/email/attention"
) -> list[EmailMultiAlternatives]:
    """One mail to each editor (and superuser) that the edition stopped (or waits), and why."""
    User = get_user_model()
    can_send = Q(groups__permissions__codename="change_edition") | Q(
        user_permissions__codename="change_edition"
    )
    editors = User.objects.filter(is_active=True).filter(can_send | Q(is_superuser=True))
    context = {
        "edition": edition,
        "edition_url": absolute_url(reverse("admin:newsletter_edition_change", args=[edition.pk])),
    }
    return [
        render_mail(template, to=address, context=context)
        for address in editors.distinct().values_list("email", flat=True)
    ]


def wait_for_send_slot(lease: Lease) -> None:
    """Hold the caller until the configured send rate allows one more message.

    NEWSLETTER_RATE_PER_SECOND is shared by every worker on every machine: each second has
    one counter in the shared cache (atomic on Redis), and a worker that draws a number
    above the rate sleeps until the next second. 0 means no limit. If the cache is away, the
    rate cannot be held, so sending pauses (the lease kept alive) until it returns.
    """
    rate = settings.NEWSLETTER_RATE_PER_SECOND
    if not rate:
        return
    warned = False
    while True:
        lease.keep_alive()
        now = clock.time()
        key = f"newsletter:rate:{int(now)}"
        try:
            cache.add(key, 0, timeout=10)
            if cache.incr(key) <= rate:
                return
            pause = int(now) + 1 - now
        except ValueError:
            continue  # the counter expired between add and incr: draw again
        except Exception as error:  # the cache backend's own errors (Redis down, a full disk)
            if not warned:
                logger.warning("Send rate unavailable (%s); sending paused.", error)
                warned = True
            if lease.overdue():
                raise Paused from error
            pause = 1.0
        clock.sleep(pause)


def batch_size() -> int:
    """Claims cover at most about ten seconds of sending at the configured rate, so a
    cancelled edition stops soon."""
    size = settings.NEWSLETTER_BATCH_SIZE
    rate = settings.NEWSLETTER_RATE_PER_SECOND
    return max(1, min(size, rate * 10)) if rate else size


def send_batch(*, edition_id: int, size: int | None = None, until: float | None = None) -> int:
    """Claim a batch, send it over one SMTP connection, record each result; returns how many
    rows were claimed (0 when nothing is due, or the edition is not sending). `until` is the
    caller's time budget (time.monotonic()), for the pauses."""
    edition = Edition.objects.get(pk=edition_id)
    if edition.status != Edition.Status.SENDING:
        return 0
    batch = claim_batch(edition_id=edition_id, size=size or batch_size())
    if not batch:
        return 0
    # From here on, whatever fails (the database included), the finally below gives back
    # what was claimed and not sent, and records what was.
    lease = Lease(edition_id=edition_id, claim=batch[0].claim, until=until)
    remaining = list(batch)
    in_hand: Delivery | None = None  # handed to the server, fate unknown
    hold: datetime | None = None  # when the rest of the batch may be tried again
    recorder = SentRecorder()
    smtp = get_connection(fail_silently=False)
    try:
        if edition.kind == Edition.Kind.ALERT and not _article_public(edition):
            _cancel_alert(edition)
            return len(batch)
        remaining = _skip_lapsed(edition, remaining)
        if not remaining:
            return len(batch)
        rendered = render_edition(edition)
        handed = 0
        smtp.open()
        while remaining:
            if not handed:
                recorder.flush()
                group = remaining[:RECORD_EVERY]
                _db(lambda group=group: _mark_handed(group))
                handed = len(group)
            delivery = remaining[0]
            message = build_message(rendered, delivery)
            wait_for_send_slot(lease)
            lease.keep_alive()
            in_hand = remaining.pop(0)
            handed -= 1
            try:
                smtp.send_messages([message])
            except (smtplib.SMTPException, OSError) as error:
                in_hand = None
                if not _record_failure(edition_id, delivery, error):
                    if classify(error) is Fault.DEFERRED:
                        # The server or the connection, not this reader: the rest wait too.
                        hold = timezone.now() + retry_delay(1)
                    break
            else:
                in_hand = None
                recorder.add(delivery)
    except (smtplib.SMTPException, OSError) as error:
        # Opening the connection failed (send_messages catches its own): nothing was handed
        # over, and the whole batch shares the fault.
        reason = describe(error)
        if classify(error) is Fault.REFUSED:  # e.g. our credentials: 535 on AUTH
            _db(lambda: _stop_for_attention(edition_id, reason))
        else:
            for delivery in remaining:
                _db(lambda delivery=delivery: _mark_retry(delivery, reason))
    except (StopSending, Paused):
        pass
    finally:
        # Sent rows first, on a fresh connection if need be: they must never be sent again.
        # Then what was claimed and not tried goes back; the row in hand (an unexpected
        # error mid-send) stays claimed, and its lease decides.
        recorder.flush()
        _db(lambda: _release([d for d in remaining if d is not in_hand], not_before=hold))
        with suppress(smtplib.SMTPException, OSError):
            smtp.close()
        _db(lambda: _finish_if_done(edition_id))
    return len(batch)


def _skip_lapsed(edition: Edition, batch: list[Delivery]) -> list[Delivery]:
    """The audience is asked again at claim time: whoever unsubscribed, bounced on another
    edition or changed their topics or frequency since sending started is skipped, and the
    ledger says so."""
    wanted = set(
        audience(edition)
        .filter(pk__in=[d.subscriber_id for d in batch])
        .values_list("pk", flat=True)
    )
    lapsed = [d.pk for d in batch if d.subscriber_id not in wanted]
    if lapsed:
        _db(
            lambda: Delivery.objects.filter(
                pk__in=lapsed, claim=batch[0].claim, status=Delivery.Status.SENDING
            ).update(
                status=Delivery.Status.SKIPPED,
                claim="",
                lease_until=None,
                last_error="no longer in the audience",
            )
        )
    return [d for d in batch if d.subscriber_id in wanted]


def _article_public(edition: Edition) -> bool:
    return Article.objects.published().filter(pk=edition.article_id).exists()


def _cancel_alert(edition: Edition) -> None:
    """An alert is only for an article that is public when its batches are claimed: one
    unpublished since (an embargo broken, a factual error) stops its alert for good."""
    logger.warning("Alert %s cancelled: its article is no longer public.", edition.pk)
    Edition.objects.filter(pk=edition.pk, status=Edition.Status.SENDING).update(
        status=Edition.Status.CANCELLED,
        stopped_reason="The article was unpublished before the alert had gone to everyone.",
        finished_at=timezone.now(),
    )
    Delivery.objects.filter(edition=edition, status=Delivery.Status.QUEUED).update(
        status=Delivery.Status.CANCELLED
    )


def _record_failure(edition_id: int, delivery: Delivery, error: Exception) -> bool:
    """Record one failed send by what the server said (config.mail.classify); True when the
    batch may carry on over the same connection."""
    fault, reason = classify(error), describe(error)
    if fault is Fault.RECIPIENT_REFUSED:
        _db(lambda: _mark_bounced(delivery, reason))
        return True
    if fault is Fault.RECIPIENT_DEFERRED:
        _db(lambda: _mark_retry(delivery, reason))
        return True
    if fault is Fault.DEFERRED:
        _db(lambda: _mark_retry(delivery, reason))
        return False
    _db(lambda: _release([delivery], reason=reason))
    _db(lambda: _stop_for_attention(edition_id, reason))
    return False


def _release(
    deliveries: list[Delivery], *, reason: str | None = None, not_before: datetime | None = None
) -> None:
    """Claimed rows that were not tried go back to the queue, due now or `not_before`; under
    a cancelled edition they are recorded as cancelled instead."""
    if not deliveries:
        return
    ids = [d.pk for d in deliveries]
    changes = {"status": Delivery.Status.QUEUED, "claim": "", "handed_at": None}
    if reason is not None:
        changes["last_error"] = reason[:300]
    if not_before is not None:
        # Held by a fault they share with the row that failed: their retry budget starts too,
        # so a lasting outage ends every row in time, not one row after another.
        budget = timezone.now() + timedelta(hours=settings.NEWSLETTER_RETRY_MAX_HOURS)
        changes["next_attempt_at"] = not_before
        changes["retry_until"] = Coalesce("retry_until", Value(budget))
    Delivery.objects.filter(pk__in=ids, status=Delivery.Status.SENDING).update(
        **changes, lease_until=None
    )
    Delivery.objects.filter(
        pk__in=ids, status=Delivery.Status.QUEUED, edition__status=Edition.Status.CANCELLED
    ).update(status=Delivery.Status.CANCELLED)


def _finish_if_done(edition_id: int) -> None:
    rows = Delivery.objects.filter(edition_id=edition_id)
    if rows.filter(status__in=(Delivery.Status.QUEUED, Delivery.Status.SENDING)).exists():
        return
    failed = rows.filter(status=Delivery.Status.FAILED).exists()
    Edition.objects.filter(pk=edition_id, status=Edition.Status.SENDING).update(
        status=Edition.Status.FAILURES if failed else Edition.Status.SENT,
        finished_at=timezone.now(),
    )


def requeue_expired() -> int:
    """Rows whose worker stopped renewing its lease (killed, lost, frozen) go back in the
    queue. Those already handed to the SMTP server may have left: they are marked as
    possibly sent twice, so a resend is counted rather than hidden."""
    now = timezone.now()
    expired = Delivery.objects.filter(status=Delivery.Status.SENDING, lease_until__lt=now)
    back = {"status": Delivery.Status.QUEUED, "claim": "", "lease_until": None}
    requeued = expired.filter(handed_at__isnull=False).update(**back, handed_at=None, resent=True)
    requeued += expired.update(**back)
    Delivery.objects.filter(
        status=Delivery.Status.QUEUED, edition__status=Edition.Status.CANCELLED
    ).update(status=Delivery.Status.CANCELLED)
    return requeued


def seconds_until_due(*, edition_id: int) -> float | None:
    """When this edition's next waiting row comes due (0 if one is due now); None when
    nothing waits or the edition is not sending (a stopped edition waits for its editor)."""
    first = Delivery.objects.filter(
        edition_id=edition_id,
        status=Delivery.Status.QUEUED,
        edition__status=Edition.Status.SENDING,
    ).aggregate(first=Min("next_attempt_at"))["first"]
    return None if first is None else max(0.0, (first - timezone.now()).total_seconds())


# The sweep hands an edition to the workers at most this often; a worker on it renews its
# lease, so a moving edition is never handed over again.
DISPATCH_EVERY = timedelta(seconds=60)


def editions_to_dispatch() -> list[int]:
    """Sending editions with rows due and no worker on them (no live lease): their tasks
    were lost, or their retries have come due. Each is taken once per DISPATCH_EVERY, by a
    conditional update, so two sweeps never hand it over twice."""
    now = timezone.now()
    taken = []
    for edition_id in Edition.objects.filter(status=Edition.Status.SENDING).values_list(
        "pk", flat=True
    ):
        rows = Delivery.objects.filter(edition_id=edition_id)
        due = rows.filter(status=Delivery.Status.QUEUED, next_attempt_at__lte=now)
        worked_on = rows.filter(status=Delivery.Status.SENDING, lease_until__gte=now)
        if not due.exists() or worked_on.exists():
            continue
        if (
            Edition.objects.filter(pk=edition_id)
            .filter(Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=now - DISPATCH_EVERY))
            .update(dispatched_at=now)
        ):
            taken.append(edition_id)
    return taken


def _dispatch_on_commit(edition_id: int) -> None:
    from newsletter.tasks import send_edition

    for _ in range(settings.NEWSLETTER_PARALLEL_TASKS):
        transaction.on_commit(lambda: send_edition.delay(edition_id))


class FeaturedNotPublic(Exception):
    """An edition links to its featured articles, and a link to one that is not public is a
    404: such an edition does not start."""

    def __init__(self, articles: list[Article]):
        super().__init__(", ".join(article.title for article in articles))
        self.articles = articles


def featured_not_public(*, edition: Edition) -> list[Article]:
    """The edition's featured articles that are not public now (Article.objects.published())."""
    public = Article.objects.published().values("pk")
    return list(edition.featured.exclude(pk__in=public).order_by("title"))


def edition_send(*, edition: Edition) -> int:
    """Start sending: create the deliveries and hand them to the workers. Idempotent.
    Raises FeaturedNotPublic, leaving the edition as it was, while an article is not public."""
    if edition.is_editable and (missing := featured_not_public(edition=edition)):
        raise FeaturedNotPublic(missing)
    updated = Edition.objects.filter(
        pk=edition.pk, status__in=(Edition.Status.DRAFT, Edition.Status.SCHEDULED)
    ).update(status=Edition.Status.SENDING, started_at=timezone.now(), stopped_reason="")
    total = deliveries_create(edition=edition)
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
        retried = Delivery.objects.filter(
            edition=edition,
            status=Delivery.Status.FAILED,
            subscriber__status=Subscriber.Status.ACTIVE,
        ).update(status=Delivery.Status.QUEUED, retry_until=None, next_attempt_at=timezone.now())
        if retried:
            Edition.objects.filter(
                pk=edition.pk, status__in=(Edition.Status.FAILURES, Edition.Status.SENT)
            ).update(status=Edition.Status.SENDING, finished_at=None, dispatched_at=None)
            _dispatch_on_commit(edition.pk)
    return retried


def with_progress(editions):
    """Delivery counts by status on each edition, in the same query (no query per row)."""
    return editions.annotate(
        **{
            f"deliveries_{status}": Count("deliveries", filter=Q(deliveries__status=status))
            for status in Delivery.Status.values
        },
        deliveries_resent=Count("deliveries", filter=Q(deliveries__resent=True)),
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
        "total": total,
        "percent": round(100 * done / total) if total else 0,
    }


def render_preview(edition: Edition) -> RenderedEdition:
    """The edition as a subscriber of every topic sees it, with its personal links inert:
    for the admin preview and the editor's test message."""
    rendered = render_edition(edition)

    def inert(text: str, part: int) -> str:
        text = text.replace(ARTICLES, "".join(block[part] for block in rendered.blocks))
        return text.replace(PREFERENCES, "#").replace(UNSUBSCRIBE, "#")

    return RenderedEdition(
        subject=rendered.subject, text=inert(rendered.text, 1), html=inert(rendered.html, 2)
    )


def edition_send_test(*, edition: Edition, to: str) -> None:
    """A copy to one address (an editor's own), marked as a test, outside the ledger."""
    preview = render_preview(edition)
    message = MailMessage(
        subject=f"[TEST] {preview.subject}",
        body=preview.text,
        from_email=settings.NEWSLETTER_FROM_EMAIL,
        to=[to],
    )
    message.attach_alternative(preview.html, "text/html")
    email_queue(message)


def alerts_create(*, since: timedelta = timedelta(days=2)) -> list[int]:
    """An alert edition for each recently published article that has none, sent at once.

    The newsletter finds new articles by itself, so articles knows nothing of it; the unique
    constraint on (alert, article) makes a second run, or a second beat, send nothing twice.
    """
    recent = Article.objects.published().filter(published_at__gte=timezone.now() - since)
    alerted = Edition.objects.filter(kind=Edition.Kind.ALERT).values("article_id")
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
    the audience, so nobody gets a digest with no articles in it. A second beat, or a second
    beat process, meets the one-digest-per-week constraint and sends nothing.
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
    if not articles:
        return None
    try:
        with transaction.atomic():
            digest = Edition.objects.create(
                kind=Edition.Kind.DIGEST,
                period=period,
                subject=f"{settings.SITE_NAME} weekly: {len(articles)} new "
                f"article{'s' if len(articles) != 1 else ''}",
                preheader="The week’s new articles in the topics you follow.",
            )
            digest.featured.set(articles)
            digest.audience_topics.set(Topic.objects.filter(articles__in=articles).distinct())
            edition_send(edition=digest)
    except IntegrityError:
        return None  # this week's digest exists already
    return digest.pk


def edition_schedule(*, edition: Edition, at: datetime) -> None:
    Edition.objects.filter(
        pk=edition.pk, status__in=(Edition.Status.DRAFT, Edition.Status.SCHEDULED)
    ).update(status=Edition.Status.SCHEDULED, scheduled_at=at)


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
        return Delivery.objects.filter(edition=edition, status=Delivery.Status.QUEUED).update(
            status=Delivery.Status.CANCELLED
        )


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
