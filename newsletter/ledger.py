"""The delivery ledger: one Delivery row per (edition, subscriber), and every change of its
state. It is the engine's memory, not the broker's: whatever a worker or a queue loses, the
rows say what was sent, what waits and what nobody is working on.

Every step is safe to run twice or on several workers at once: rows are created with the
(edition, subscriber) constraint, claimed by a conditional UPDATE that only one worker can
win, and recorded only by the claim that holds them.
"""

from __future__ import annotations

import logging
import random
import time as clock
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Case, CharField, F, Min, Prefetch, Q, Subquery, Value, When
from django.db.models.constants import OnConflict
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils import timezone

from core.suppression import suppression_add, suppression_reasons, suppression_skips_record
from newsletter.emails import mail_host
from newsletter.models import Delivery, Edition, Interest, Subscriber
from newsletter.selectors import (
    STORED_COUNTS,
    SUPPRESSED,
    audience,
    delivery_counts,
    editions_stalled,
)

logger = logging.getLogger(__name__)
T = TypeVar("T")


# A dropped or refused database connection, as the drivers raise it.
DATABASE_ERRORS = (OperationalError, InterfaceError)


def reconnecting(operation: Callable[[], T]) -> T:
    """Run one autocommit query, reconnecting when the database dropped our connection (a
    restart, a failover, an idle-connection reaper): the cleanup after a send must not fail
    on the connection that just died, or sent rows would be sent again."""
    for wait in (0.5, 1.0, 2.0):  # pragma: no mutate (how long to wait is not a rule)
        try:
            return operation()
        except DATABASE_ERRORS:
            if connection.in_atomic_block:
                raise  # a transaction that lost its connection is gone; its owner retries
            logger.warning("Database connection lost while sending; reconnecting.")
            connection.close()
            clock.sleep(wait)
    return operation()


def deliveries_create(*, edition: Edition) -> int:
    """One queued Delivery per subscriber of the audience (selectors.audience, whatever it
    selects), in one INSERT ... SELECT: the database copies the audience's ids into the ledger
    without a row passing through Python. The (edition, subscriber) constraint ignores the
    rows that exist, so running it again adds nothing. Returns the edition's deliveries."""
    # Named, so that the outer SELECT finds the column whatever the backend calls it.
    ids = audience(edition).order_by().values(audience_subscriber=F("pk"))
    audience_sql, audience_params = ids.query.sql_with_params()
    quote = connection.ops.quote_name
    fixed = {"edition": edition.pk, "next_attempt_at": timezone.now()}
    columns, values = [], []
    for field in Delivery._meta.concrete_fields:
        # Every other column as the ORM writes a new row: its default (NULLs left to the
        # database), this edition, due now.
        value = fixed.get(field.name, field.get_default())
        if field.primary_key or field.name == "subscriber" or value is None:
            continue
        columns.append(quote(field.column))
        values.append(field.get_db_prep_save(value, connection))
    subscriber_id = quote("audience_subscriber")
    ignore = OnConflict.IGNORE
    # Names from the models and the ORM's own SQL; every value goes as a parameter.
    statement = (
        f"{connection.ops.insert_statement(on_conflict=ignore)} {quote(Delivery._meta.db_table)} "  # noqa: S608
        f"({', '.join(columns)}, {quote(Delivery._meta.get_field('subscriber').column)}) "
        f"SELECT {', '.join(['%s'] * len(values))}, audience.{subscriber_id} "
        f"FROM ({audience_sql}) audience ORDER BY audience.{subscriber_id}"
        # ON CONFLICT DO NOTHING on PostgreSQL; SQLite's INSERT OR IGNORE says it up front.
        + (connection.ops.on_conflict_suffix_sql([], ignore, None, None) or "")
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [*values, *audience_params])
    return Delivery.objects.filter(edition=edition).count()


# A digest groups each reader's articles by their combinations, named by their topics.
SUBSCRIBER_INTERESTS = Prefetch(
    "subscriber__interests", queryset=Interest.objects.select_related("biomarker", "cancer_type")
)


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
            # PostgreSQL's branch: the SQLite mutation run never takes it; CI's claim tests do.
            locked = due.select_for_update(skip_locked=True)  # pragma: no mutate
            ids = list(locked.values_list("pk", flat=True)[:size])  # pragma: no mutate
        else:
            ids = Subquery(due.values("pk")[:size])
        Delivery.objects.filter(pk__in=ids, status=Delivery.Status.QUEUED).update(
            status=Delivery.Status.SENDING, claim=token, claimed_at=now, lease_until=lease_end()
        )
    # Committed: from here a lost connection must not strand the claim until its lease ends.
    return reconnecting(
        lambda: list(
            Delivery.objects.filter(claim=token)
            .select_related("subscriber")
            .prefetch_related("subscriber__topics", SUBSCRIBER_INTERESTS)
        )
    )


def mark_handed(deliveries: list[Delivery]) -> None:
    Delivery.objects.filter(
        pk__in=[d.pk for d in deliveries], claim=deliveries[0].claim, status=Delivery.Status.SENDING
    ).update(handed_at=timezone.now())


def mark_sent(deliveries: list[Delivery], *, provider_ids: dict[int, str] | None = None) -> None:
    """Sent, in one UPDATE; `provider_ids` are the ids a provider's API gave the messages
    (by Delivery pk), which its webhooks' events name them by."""
    provider = {}
    if provider_ids:
        provider["provider_message_id"] = Case(
            *(When(pk=pk, then=Value(found)) for pk, found in provider_ids.items()),
            default=Value(""),
        )
    Delivery.objects.filter(
        pk__in=[d.pk for d in deliveries], claim=deliveries[0].claim, status=Delivery.Status.SENDING
    ).update(
        status=Delivery.Status.SENT,
        sent_at=timezone.now(),
        attempts=F("attempts") + 1,
        # The same value as the message's header (emails.build_message), composed in SQL.
        message_id=Concat(
            Value("<edition-"),
            # Concat makes text of an integer on SQLite and PostgreSQL alike: the cast is for
            # clarity, and a mutation of it cannot change the value.
            Cast("edition_id", CharField()),  # pragma: no mutate
            Value("."),
            Cast("subscriber_id", CharField()),  # pragma: no mutate
            Value(f"@{mail_host()}>"),
        ),
        last_error="",
        handed_at=None,
        lease_until=None,
        **provider,
    )


def retry_delay(attempts: int) -> timedelta:
    """Capped exponential backoff with jitter: workers that failed together don't all come
    back in the same second."""
    ceiling = min(
        settings.NEWSLETTER_RETRY_MAX_SECONDS,
        settings.NEWSLETTER_RETRY_BASE_SECONDS * 2 ** (attempts - 1),
    )
    return timedelta(seconds=ceiling * random.uniform(0.5, 1.0))  # noqa: S311  (not secret)


def mark_retry(delivery: Delivery, reason: str) -> None:
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


def mark_bounced(delivery: Delivery, reason: str) -> None:
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
            suppression_add(email=delivery.subscriber.email, reason="bounced", detail=reason)


def skip_lapsed(edition: Edition, batch: list[Delivery]) -> list[Delivery]:
    """The audience is asked again at claim time: whoever unsubscribed, bounced on another
    edition, was suppressed or changed their topics or frequency since sending started is
    skipped, and the ledger says why (a suppression counts the skip too)."""
    wanted = set(
        audience(edition)
        .filter(pk__in=[d.subscriber_id for d in batch])
        .values_list("pk", flat=True)
    )
    lapsed = [d for d in batch if d.subscriber_id not in wanted]
    suppressed = suppression_reasons(d.subscriber.email for d in lapsed) if lapsed else {}
    why: dict[str, list[int]] = {}
    for row in lapsed:
        reason = suppressed.get(row.subscriber.email)
        why.setdefault(
            f"{SUPPRESSED}{reason}" if reason else "no longer in the audience", []
        ).append(row.pk)
    for text, ids in why.items():
        reconnecting(
            lambda ids=ids, text=text: Delivery.objects.filter(
                pk__in=ids, claim=batch[0].claim, status=Delivery.Status.SENDING
            ).update(status=Delivery.Status.SKIPPED, claim="", lease_until=None, last_error=text)
        )
    if suppressed:
        reconnecting(lambda: suppression_skips_record(suppressed))
    return [d for d in batch if d.subscriber_id in wanted]


def release(
    deliveries: list[Delivery], *, reason: str | None = None, not_before: datetime | None = None
) -> None:
    """Claimed rows that were not tried go back to the queue, due now or `not_before`; under
    a cancelled edition they are recorded as cancelled instead. Only the claim that holds
    them gives them back: a worker whose lease ran out must not requeue rows that another
    worker has claimed since (they would be sent twice)."""
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
    Delivery.objects.filter(
        pk__in=ids, claim=deliveries[0].claim, status=Delivery.Status.SENDING
    ).update(**changes, lease_until=None)
    Delivery.objects.filter(
        pk__in=ids, status=Delivery.Status.QUEUED, edition__status=Edition.Status.CANCELLED
    ).update(status=Delivery.Status.CANCELLED)


def finish_if_done(edition_id: int) -> None:
    """Once nothing waits or is in flight, a sending edition is sent (or sent with failures),
    and a sending or cancelled one stores its counts, in the transaction that finishes it
    and under its row's lock, so lists never count its deliveries again."""
    rows = Delivery.objects.filter(edition_id=edition_id)
    if rows.filter(status__in=(Delivery.Status.QUEUED, Delivery.Status.SENDING)).exists():
        return
    with transaction.atomic():
        edition = (
            Edition.objects.select_for_update()
            .filter(
                pk=edition_id,
                counted_at__isnull=True,
                status__in=(Edition.Status.SENDING, Edition.Status.CANCELLED),
            )
            .first()
        )
        if edition is None:
            return
        counts = delivery_counts(edition_id)
        if counts[Delivery.Status.QUEUED] or counts[Delivery.Status.SENDING]:
            return  # a row came back meanwhile: its worker finishes the edition
        now = timezone.now()
        changes = {f"count_{name}": counts[name] for name in STORED_COUNTS}
        if edition.status == Edition.Status.SENDING:
            failed = counts[Delivery.Status.FAILED]
            changes.update(
                status=Edition.Status.FAILURES if failed else Edition.Status.SENT,
                finished_at=now,
            )
        Edition.objects.filter(pk=edition_id).update(counted_at=now, **changes)


def requeue_expired() -> int:
    """Rows whose worker stopped renewing its lease (killed, lost, frozen) go back in the
    queue. Those already handed to the SMTP server may have left: they are marked as
    possibly sent twice, so a resend is counted rather than hidden."""
    now = timezone.now()
    expired = Delivery.objects.filter(status=Delivery.Status.SENDING, lease_until__lt=now)
    back = {"status": Delivery.Status.QUEUED, "claim": "", "lease_until": None}
    requeued = expired.filter(handed_at__isnull=False).update(**back, handed_at=None, resent=True)
    requeued += expired.update(**back)
    waiting = Delivery.objects.filter(
        status=Delivery.Status.QUEUED, edition__status=Edition.Status.CANCELLED
    )
    cancelled = set(waiting.values_list("edition_id", flat=True))
    if cancelled:
        waiting.update(status=Delivery.Status.CANCELLED)
        for edition_id in cancelled:
            finish_if_done(edition_id)  # their counts, now that nothing waits
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
    """Stalled editions (selectors.editions_stalled: their tasks were lost, or their retries
    have come due), each taken once per DISPATCH_EVERY by a conditional update, so two
    sweeps never hand it over twice."""
    now = timezone.now()
    return [
        edition_id
        for edition_id in editions_stalled(now=now)
        if Edition.objects.filter(pk=edition_id)
        .filter(Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=now - DISPATCH_EVERY))
        .update(dispatched_at=now)
    ]
