"""The delivery engine: a ledger of Delivery rows, claimed in batches, sent over one connection.

Every step is safe to run twice or on several workers at once: rows are created with the
(edition, subscriber) constraint, claimed by a conditional UPDATE that only one worker can
win, and recorded as they are sent (in groups of up to RECORD_EVERY, flushed whatever
happens).
"""

from __future__ import annotations

import smtplib
import time as clock
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, connection, transaction
from django.db.models import CharField, Count, F, Q, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.emails import email_queue, inline_css, inline_css_fragment
from articles.markup import render_snippet_markdown
from articles.models import Article, Topic
from newsletter.models import Delivery, Edition, Subscriber
from newsletter.services import links

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


def claim_batch(*, edition_id: int, size: int) -> list[Delivery]:
    """Take up to `size` queued rows for this worker alone.

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
            status=Delivery.Status.SENDING, claim=token, claimed_at=now
        )
    return list(
        Delivery.objects.filter(claim=token)
        .select_related("subscriber")
        .prefetch_related("subscriber__topics")
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
        "intro_html": render_snippet_markdown(edition.intro),
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


def build_message(rendered: RenderedEdition, delivery: Delivery) -> EmailMultiAlternatives:
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

    message = EmailMultiAlternatives(
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


# Sent messages are recorded in small groups, one UPDATE for each: per-message commits were a
# quarter of a worker's time (make bench). A crash can leave at most this many sent messages
# unrecorded; they are still claimed, so the stale-claim sweep resends them, and the
# deterministic Message-ID lets receivers recognise the copy.
RECORD_EVERY = 20
RECORD_SECONDS = 1.0


class SentRecorder:
    def __init__(self) -> None:
        self.pending: list[Delivery] = []
        self.since = clock.monotonic()

    def add(self, delivery: Delivery) -> None:
        self.pending.append(delivery)
        if len(self.pending) >= RECORD_EVERY or clock.monotonic() - self.since > RECORD_SECONDS:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            _mark_sent(self.pending)
        self.pending = []
        self.since = clock.monotonic()


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
    )


def _mark_retry(delivery: Delivery, error: Exception) -> None:
    attempts = delivery.attempts + 1
    final = attempts >= settings.NEWSLETTER_MAX_ATTEMPTS
    delay = settings.NEWSLETTER_RETRY_BASE_SECONDS * 2 ** (attempts - 1)
    Delivery.objects.filter(pk=delivery.pk, claim=delivery.claim).update(
        status=Delivery.Status.FAILED if final else Delivery.Status.QUEUED,
        attempts=attempts,
        last_error=str(error)[:300],
        claim="",
        next_attempt_at=timezone.now() + timedelta(seconds=delay),
    )


def _mark_bounced(delivery: Delivery, error: Exception) -> None:
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk, claim=delivery.claim).update(
            status=Delivery.Status.FAILED,
            attempts=delivery.attempts + 1,
            last_error=str(error)[:300],
        )
        Subscriber.objects.filter(pk=delivery.subscriber_id).update(
            status=Subscriber.Status.BOUNCED
        )


def wait_for_send_slot() -> None:
    """Hold the caller until the configured send rate allows one more message.

    NEWSLETTER_RATE_PER_SECOND is shared by every worker on every machine: each second has
    one counter in the shared cache (atomic on Redis), and a worker that draws a number
    above the rate sleeps until the next second. 0 means no limit.
    """
    rate = settings.NEWSLETTER_RATE_PER_SECOND
    if not rate:
        return
    while True:
        now = clock.time()
        key = f"newsletter:rate:{int(now)}"
        cache.add(key, 0, timeout=10)
        try:
            if cache.incr(key) <= rate:
                return
        except ValueError:
            continue  # the counter expired between add and incr: draw again
        clock.sleep(int(now) + 1 - now)


def batch_size() -> int:
    """Claims cover at most about ten seconds of sending at the configured rate, so a
    claim never looks stale and a cancelled edition stops soon."""
    size = settings.NEWSLETTER_BATCH_SIZE
    rate = settings.NEWSLETTER_RATE_PER_SECOND
    return max(1, min(size, rate * 10)) if rate else size


def send_batch(*, edition_id: int, size: int | None = None) -> int:
    """Claim a batch, send it over one SMTP connection, record each result; returns how many
    rows were claimed (0 when nothing is due, or the edition was cancelled)."""
    edition = Edition.objects.get(pk=edition_id)
    if edition.status == Edition.Status.CANCELLED:
        return 0
    batch = claim_batch(edition_id=edition_id, size=size or batch_size())
    if not batch:
        return 0
    rendered = render_edition(edition)
    remaining = list(batch)
    recorder = SentRecorder()
    with get_connection(fail_silently=False) as smtp, _releasing(remaining, recorder):
        while remaining:
            delivery = remaining.pop(0)
            message = build_message(rendered, delivery)
            wait_for_send_slot()
            try:
                smtp.send_messages([message])
            except smtplib.SMTPRecipientsRefused as error:
                code = next(iter(error.recipients.values()))[0]
                (_mark_bounced if code >= 500 else _mark_retry)(delivery, error)
            except smtplib.SMTPResponseException as error:
                if error.smtp_code >= 500:
                    _mark_bounced(delivery, error)
                else:
                    _mark_retry(delivery, error)
                    _release(remaining)
                    break
            except (smtplib.SMTPException, OSError) as error:
                _mark_retry(delivery, error)
                _release(remaining)  # the connection is gone: the rest go back in the queue
                break
            else:
                recorder.add(delivery)
    _finish_if_done(edition_id)
    return len(batch)


@contextmanager
def _releasing(remaining: list[Delivery], recorder: SentRecorder):
    """Whatever happens, what was sent is recorded; on an unexpected error, unsent rows go
    back to the queue at once. The row in hand stays claimed: whether it left is unknown,
    and the stale-claim sweep decides later."""
    try:
        yield
    except BaseException:
        _release(remaining)
        raise
    finally:
        recorder.flush()


def _release(deliveries: list[Delivery]) -> None:
    Delivery.objects.filter(
        pk__in=[d.pk for d in deliveries], status=Delivery.Status.SENDING
    ).update(status=Delivery.Status.QUEUED, claim="")


def _finish_if_done(edition_id: int) -> None:
    pending = Delivery.objects.filter(
        edition_id=edition_id, status__in=(Delivery.Status.QUEUED, Delivery.Status.SENDING)
    )
    if not pending.exists():
        Edition.objects.filter(pk=edition_id, status=Edition.Status.SENDING).update(
            status=Edition.Status.SENT, finished_at=timezone.now()
        )


def requeue_stale(*, older_than: timedelta | None = None) -> int:
    """Put back rows a dead worker had claimed and never recorded."""
    cutoff = timezone.now() - (older_than or timedelta(seconds=settings.NEWSLETTER_STALE_SECONDS))
    return Delivery.objects.filter(status=Delivery.Status.SENDING, claimed_at__lt=cutoff).update(
        status=Delivery.Status.QUEUED, claim=""
    )


def stalled_editions() -> list[int]:
    """Editions still sending with rows due and no claim for a while: their tasks were lost
    (a broker that forgot them, a worker that died). Healthy editions are left alone, so the
    sweep never adds tasks to an edition that is moving."""
    now = timezone.now()
    quiet_since = now - timedelta(seconds=settings.NEWSLETTER_STALE_SECONDS)
    stalled = []
    for edition_id in Edition.objects.filter(status=Edition.Status.SENDING).values_list(
        "pk", flat=True
    ):
        rows = Delivery.objects.filter(edition_id=edition_id)
        due = rows.filter(status=Delivery.Status.QUEUED, next_attempt_at__lte=now)
        if due.exists() and not rows.filter(claimed_at__gte=quiet_since).exists():
            stalled.append(edition_id)
    return stalled


def edition_send(*, edition: Edition) -> int:
    """Start sending: create the deliveries and hand them to the workers. Idempotent."""
    updated = Edition.objects.filter(
        pk=edition.pk, status__in=(Edition.Status.DRAFT, Edition.Status.SCHEDULED)
    ).update(status=Edition.Status.SENDING, started_at=timezone.now())
    total = deliveries_create(edition=edition)
    if updated:
        from newsletter.tasks import send_edition

        for _ in range(settings.NEWSLETTER_PARALLEL_TASKS):
            transaction.on_commit(lambda: send_edition.delay(edition.pk))
    return total


def with_progress(editions):
    """Delivery counts by status on each edition, in the same query (no query per row)."""
    return editions.annotate(
        **{
            f"deliveries_{status}": Count("deliveries", filter=Q(deliveries__status=status))
            for status in Delivery.Status.values
        }
    )


def edition_progress(edition: Edition) -> dict[str, int]:
    """Progress from an edition annotated by `with_progress`."""
    counts = {status: getattr(edition, f"deliveries_{status}") for status in Delivery.Status.values}
    total = sum(counts.values())
    done = counts[Delivery.Status.SENT] + counts[Delivery.Status.FAILED]
    return {**counts, "total": total, "percent": round(100 * done / total) if total else 0}


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
    message = EmailMultiAlternatives(
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
            status__in=(Edition.Status.DRAFT, Edition.Status.SCHEDULED, Edition.Status.SENDING),
        ).update(status=Edition.Status.CANCELLED, finished_at=timezone.now())
        return Delivery.objects.filter(edition=edition, status=Delivery.Status.QUEUED).update(
            status=Delivery.Status.FAILED, last_error="cancelled"
        )


def scheduled_editions_send() -> list[int]:
    """Start every scheduled edition whose time has come (beat)."""
    due = Edition.objects.filter(status=Edition.Status.SCHEDULED, scheduled_at__lte=timezone.now())
    started = []
    for edition in due:
        edition_send(edition=edition)
        started.append(edition.pk)
    return started
