"""The delivery engine: a worker's share of an edition. It claims a batch of rows from the
ledger, sends them over one connection of the configured backend (SMTP, or a provider's API
through anymail) at the configured rate, and records each result as it goes (sent rows in
groups of up to RECORD_EVERY, flushed whatever happens, with the provider's message ids);
deliver_for does that batch after batch for as long as a task may run.

What the mail server's or provider's answers mean (core.mail.classify) decides each row's
fate: a refused recipient bounces, a deferral retries, a refused sender or message stops the
edition for an editor. The ledger keeps every step safe to run twice or on several workers
at once.
"""

from __future__ import annotations

import logging
import smtplib
import time as clock
from contextlib import suppress
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.core.mail import get_connection
from django.db import connection, transaction
from django.utils import timezone

from articles.models import Article
from core.mail import SEND_ERRORS, Fault, classify, describe, email_queue
from core.providers import provider_message_id
from newsletter import ledger
from newsletter.emails import alerts_received, attention_mails, build_message, render_edition
from newsletter.ledger import reconnecting
from newsletter.models import Delivery, Edition

logger = logging.getLogger(__name__)

# Sent messages are recorded in groups, one UPDATE for each: per-message commits were a quarter
# of a worker's time (make bench). Before a group goes to the SMTP server its rows are marked
# as handed over, also in one UPDATE, so that after a crash the sweep knows which rows may have
# left (at most one group) and marks them as possibly sent twice when it requeues them.
RECORD_EVERY = 20


class StopSending(Exception):
    """The edition stopped sending (cancelled, or waiting for an editor) while we worked."""


class Paused(Exception):
    """The send rate cannot be held (the shared cache is away) for longer than the batch may
    wait: the rows go back to the queue, to be taken when it returns."""


class Lease:
    """A worker's claim on one batch: renewed every few seconds while it works, and the
    moment to notice that the edition was cancelled or stopped for attention."""

    def __init__(self, *, edition_id: int, claim: str, until: float | None) -> None:
        self.edition_id, self.claim, self.until = edition_id, claim, until
        self.renewed = clock.monotonic()

    def keep_alive(self) -> None:
        if clock.monotonic() - self.renewed < settings.NEWSLETTER_LEASE_SECONDS / 6:
            return
        reconnecting(
            lambda: Delivery.objects.filter(
                claim=self.claim, status=Delivery.Status.SENDING
            ).update(lease_until=ledger.lease_end())
        )
        self.renewed = clock.monotonic()
        if not reconnecting(
            lambda: Edition.objects.filter(
                pk=self.edition_id, status=Edition.Status.SENDING
            ).exists()
        ):
            raise StopSending

    def overdue(self) -> bool:
        return self.until is not None and clock.monotonic() > self.until


class SentRecorder:
    def __init__(self) -> None:
        self.pending: list[Delivery] = []  # pragma: no mutate (flush() sets it before use)
        self.provider_ids: dict[int, str] = {}  # pragma: no mutate (flush() sets it too)

    def add(self, delivery: Delivery, provider_id: str = "") -> None:
        self.pending.append(delivery)
        if provider_id:
            self.provider_ids[delivery.pk] = provider_id

    def flush(self) -> None:
        if self.pending:
            reconnecting(lambda: ledger.mark_sent(self.pending, provider_ids=self.provider_ids))
        self.pending, self.provider_ids = [], {}


def _stop_for_attention(edition_id: int, reason: str) -> None:
    """The server refused our sender, the message or the session: every reader would be
    refused the same way, so sending stops at once, nobody's status changes, and the editors
    hear of it with the server's answer. Resuming (services.edition_resume) carries on."""
    logger.error("Edition %s stopped: the mail server answered %s", edition_id, reason)
    with transaction.atomic():
        stopped = Edition.objects.filter(pk=edition_id, status=Edition.Status.SENDING).update(
            status=Edition.Status.ATTENTION, stopped_reason=reason[:300]
        )
        if stopped:
            edition = Edition.objects.get(pk=edition_id)
            for message in attention_mails(edition):
                email_queue(message)


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
    warned = False  # pragma: no mutate (only whether the warning is logged once)
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
            if not warned:  # pragma: no mutate
                logger.warning("Send rate unavailable (%s); sending paused.", error)
                warned = True  # pragma: no mutate
            if lease.overdue():
                raise Paused from error
            pause = 1.0  # pragma: no mutate (how often to look for the cache again)
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
    batch = ledger.claim_batch(edition_id=edition_id, size=size or batch_size())
    if not batch:
        return 0
    # From here on, whatever fails (the database included), the finally below gives back
    # what was claimed and not sent, and records what was.
    lease = Lease(edition_id=edition_id, claim=batch[0].claim, until=until)
    remaining = list(batch)
    # `in_hand` is compared by identity with rows: any value that is not a row is the same.
    in_hand: Delivery | None = None  # pragma: no mutate (handed to the server, fate unknown)
    hold: datetime | None = None  # when the rest of the batch may be tried again
    recorder = SentRecorder()
    smtp = get_connection(fail_silently=False)  # pragma: no mutate (None is as False)
    try:
        if edition.kind == Edition.Kind.ALERT and not _article_public(edition):
            _cancel_alert(edition)
            return len(batch)
        remaining = ledger.skip_lapsed(edition, remaining)
        if not remaining:
            return len(batch)
        rendered = render_edition(edition)
        received = alerts_received(rendered, remaining)  # for a digest's corrections
        handed = 0
        smtp.open()
        while remaining:
            if not handed:
                recorder.flush()
                group = remaining[:RECORD_EVERY]
                reconnecting(lambda group=group: ledger.mark_handed(group))
                handed = len(group)
            delivery = remaining[0]
            message = build_message(rendered, delivery, received=received)
            wait_for_send_slot(lease)
            lease.keep_alive()
            in_hand = remaining.pop(0)
            handed -= 1
            try:
                smtp.send_messages([message])
                provider_id = provider_message_id(message)
            except SEND_ERRORS as error:
                in_hand = None  # pragma: no mutate
                if not _record_failure(edition_id, delivery, error):
                    if classify(error) is Fault.DEFERRED:
                        # The server or the connection, not this reader: the rest wait too.
                        hold = timezone.now() + ledger.retry_delay(1)
                    break
            else:
                in_hand = None  # pragma: no mutate
                recorder.add(delivery, provider_id)
    except SEND_ERRORS as error:
        # Opening the connection failed (send_messages catches its own): nothing was handed
        # over, and the whole batch shares the fault.
        reason = describe(error)
        if classify(error) is Fault.REFUSED:  # e.g. our credentials: 535 on AUTH
            reconnecting(lambda: _stop_for_attention(edition_id, reason))
        else:
            for delivery in remaining:
                reconnecting(lambda delivery=delivery: ledger.mark_retry(delivery, reason))
    except (StopSending, Paused):
        pass
    finally:
        # Sent rows first, on a fresh connection if need be: they must never be sent again.
        # Then what was claimed and not tried goes back; the row in hand (an unexpected
        # error mid-send) stays claimed, and its lease decides.
        recorder.flush()
        reconnecting(
            lambda: ledger.release([d for d in remaining if d is not in_hand], not_before=hold)
        )
        # Django's close() raises only when QUIT itself fails: no test server can make it.
        with suppress(smtplib.SMTPException, OSError):  # pragma: no mutate
            smtp.close()
        reconnecting(lambda: ledger.finish_if_done(edition_id))
    return len(batch)


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
    """Record one failed send by what the server said (core.mail.classify); True when the
    batch may carry on over the same connection."""
    fault, reason = classify(error), describe(error)
    if fault is Fault.RECIPIENT_REFUSED:
        reconnecting(lambda: ledger.mark_bounced(delivery, reason))
        return True
    if fault is Fault.RECIPIENT_DEFERRED:
        reconnecting(lambda: ledger.mark_retry(delivery, reason))
        return True
    if fault is Fault.DEFERRED:
        reconnecting(lambda: ledger.mark_retry(delivery, reason))
        return False
    reconnecting(lambda: ledger.release([delivery], reason=reason))
    reconnecting(lambda: _stop_for_attention(edition_id, reason))
    return False


# No countdown of ours comes near a broker's redelivery limits (Redis's visibility timeout,
# RabbitMQ's consumer timeout): a retry due later than this is started by the sweep.
LONGEST_COUNTDOWN = 300


def deliver_for(*, edition_id: int, seconds: float) -> tuple[int, float | None]:
    """Send batches of one edition until none is due or `seconds` are spent. Returns how many
    rows were claimed, and in how many seconds to come back for rows waiting for a retry
    (None when nothing waits, or not within LONGEST_COUNTDOWN: the sweep starts those).

    A lost database connection costs a reconnect, not the caller.
    """
    deadline = clock.monotonic() + seconds
    sent = 0
    while clock.monotonic() < deadline:
        try:
            claimed = send_batch(edition_id=edition_id, until=deadline)
        except ledger.DATABASE_ERRORS:
            logger.warning("Database unavailable while sending edition %s; retrying.", edition_id)
            connection.close()
            clock.sleep(1)
            continue
        if not claimed:
            break
        sent += claimed
    countdown = ledger.seconds_until_due(edition_id=edition_id)
    if countdown is not None and countdown <= LONGEST_COUNTDOWN:
        return sent, countdown
    return sent, None
