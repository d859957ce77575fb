"""What mail providers report after a message has left (anymail's tracking webhooks): each
event is recorded once against the Delivery it is about, and changes the subscriber as
listmonk and Ghost do with theirs. A hard bounce ends the address; a complaint ends it too
and takes it off every list at once; soft bounces on SOFT_BOUNCE_LIMIT messages within
SOFT_BOUNCE_DAYS suspend it; an unsubscribe at the provider unsubscribes here.

The webhooks (core.webhooks) authenticate the provider before anymail sends the `tracking`
signal; `tracking_received` is its receiver (connected in apps.py) and
`provider_event_record` the service."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from core.providers import tracking_kind
from core.suppression import suppression_add
from newsletter.models import Delivery, DeliveryEvent, Edition, Subscriber

logger = logging.getLogger(__name__)

MAX_ADDRESS = 254  # RFC 5321's limit, and the columns'
SOFT_BOUNCE_LIMIT = 3  # messages that soft-bounced…
SOFT_BOUNCE_DAYS = 30  # …within this many days suspend the address
# The Message-ID our mail carries (emails.build_message), which some providers report back.
OUR_MESSAGE_ID = re.compile(r"<edition-(\d+)\.(\d+)@[^>]+>")
# Statuses an event may still move a subscriber from: complained is final, and a bounce is
# only overridden by a complaint.
RECEIVING = (Subscriber.Status.ACTIVE, Subscriber.Status.PENDING, Subscriber.Status.SUSPENDED)
Kind = DeliveryEvent.Kind
# Events that suppress the address for all mail (core.suppression), with the same name.
SUPPRESSING = (Kind.BOUNCED, Kind.COMPLAINED)


def tracking_received(sender, event, esp_name: str, **kwargs) -> None:
    """anymail's `tracking` signal: a webhook's event, once its post was authenticated."""
    kind = tracking_kind(event)
    if kind is None:
        return
    provider_event_record(
        provider=esp_name,
        kind=kind,
        event_id=event.event_id or "",
        message_id=event.message_id or "",
        recipient=event.recipient or "",
        occurred_at=event.timestamp,
        description=event.description or event.mta_response or "",
    )


def provider_event_record(
    *,
    provider: str,
    kind: str,
    event_id: str,
    message_id: str,
    recipient: str,
    occurred_at: datetime | None,
    description: str = "",
) -> bool:
    """Record one provider event and apply it; False, changing nothing, when it was
    recorded before (providers post again when unsure we got it)."""
    delivery = delivery_for_message(message_id)
    email = recipient.strip().lower() or (delivery.subscriber.email if delivery else "")
    subscriber = delivery.subscriber if delivery else Subscriber.objects.filter(email=email).first()
    with transaction.atomic():
        try:
            with transaction.atomic():
                event = DeliveryEvent.objects.create(
                    provider=provider.lower()[:30],
                    event_id=event_id[:200],
                    kind=kind,
                    message_id=message_id[:200],
                    recipient=email[:MAX_ADDRESS],
                    delivery=delivery,
                    subscriber=subscriber,
                    description=" ".join(description.split())[:300],
                    occurred_at=occurred_at or timezone.now(),
                )
        except IntegrityError:
            return False
        # Every kind of mail, not only the newsletter; an address longer than any address can
        # be (a provider's garbage) is recorded, cut, but suppresses nothing.
        if email and len(email) <= MAX_ADDRESS and kind in SUPPRESSING:
            suppression_add(email=email, reason=kind, detail=f"{provider}: {event.description}")
        if subscriber is not None:
            _apply(event, subscriber)
    logger.info("%s %s event for %s", provider, kind, email or message_id)
    return True


def delivery_for_message(message_id: str) -> Delivery | None:
    """The Delivery a provider's message id names: the id its API gave (provider_message_id),
    or our own Message-ID, which some providers (Mailgun) report instead."""
    if not message_id:
        return None
    rows = Delivery.objects.select_related("subscriber")
    found = rows.filter(provider_message_id=message_id).first()
    if found is None and (ours := OUR_MESSAGE_ID.fullmatch(message_id)):
        # The edition and subscriber find the row by its unique index; the whole id must match.
        found = rows.filter(
            edition_id=ours[1], subscriber_id=ours[2],  # pragma: no mutate (the index only)
            message_id=message_id,
        ).first()  # fmt: skip
    return found


def _apply(event: DeliveryEvent, subscriber: Subscriber) -> None:
    now = timezone.now()
    one = Subscriber.objects.filter(pk=subscriber.pk)
    if event.kind == Kind.BOUNCED:
        one.exclude(status__in=(Subscriber.Status.BOUNCED, Subscriber.Status.COMPLAINED)).update(
            status=Subscriber.Status.BOUNCED
        )
        if event.delivery_id:
            # The edition's row first: a count that finishes it sees this change, or this
            # change moves the counts it stored.
            edition = Edition.objects.filter(pk=event.delivery.edition_id)
            list(edition.select_for_update().values_list("pk", flat=True))
            if Delivery.objects.filter(pk=event.delivery_id, status=Delivery.Status.SENT).update(
                status=Delivery.Status.BOUNCED, last_error=event.description
            ):
                edition.filter(counted_at__isnull=False).update(
                    count_sent=F("count_sent") - 1, count_bounced=F("count_bounced") + 1
                )
    elif event.kind == Kind.COMPLAINED:
        # Every list of this reader: the address's subscription (addresses are unique whatever
        # their case) and any of their account's, which holds this one.
        everywhere = Q(pk=subscriber.pk)
        if subscriber.user_id:
            everywhere |= Q(user_id=subscriber.user_id)  # pragma: no mutate (= is the same set)
        Subscriber.objects.filter(everywhere).exclude(status=Subscriber.Status.COMPLAINED).update(
            status=Subscriber.Status.COMPLAINED, unsubscribed_at=now
        )
    elif event.kind == Kind.UNSUBSCRIBED:
        one.filter(status__in=RECEIVING).update(
            status=Subscriber.Status.UNSUBSCRIBED, unsubscribed_at=now
        )
    elif event.kind == Kind.DEFERRED and _soft_bounced_messages(event) >= SOFT_BOUNCE_LIMIT:
        one.filter(status=Subscriber.Status.ACTIVE).update(status=Subscriber.Status.SUSPENDED)
        suppression_add(
            email=subscriber.email,
            reason="suspended",
            detail=f"{event.provider}: soft bounces on {SOFT_BOUNCE_LIMIT} messages "
            f"within {SOFT_BOUNCE_DAYS} days",
        )


def _soft_bounced_messages(event: DeliveryEvent) -> int:
    """Distinct messages of this subscriber that soft-bounced in the SOFT_BOUNCE_DAYS up to
    this event: a provider reporting each of its retries of one message counts once."""
    return (
        DeliveryEvent.objects.filter(
            subscriber_id=event.subscriber_id,
            kind=Kind.DEFERRED,
            occurred_at__gt=event.occurred_at - timedelta(days=SOFT_BOUNCE_DAYS),
            occurred_at__lte=event.occurred_at,
        )
        .values("message_id")
        .distinct()
        .count()
    )
