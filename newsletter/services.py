"""Subscriptions: double opt-in, consent, preferences and one-click unsubscribe."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.emails import email_queue, render_mail
from articles.models import Topic
from config.links import absolute_url
from newsletter.models import Subscriber, new_token_id
from newsletter.tokens import confirm_token, links


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
    return_path: str = "",
) -> Subscriber:
    """Ask for a subscription. Whoever the address belongs to gets a mail; the caller learns
    nothing about whether it was known (the answer to the form is always the same).
    `return_path`, a checked path on this site, is where the confirmed page leads back to."""
    email = email.strip().lower()
    with transaction.atomic():
        subscriber, _ = Subscriber.objects.select_for_update().get_or_create(
            email=email, defaults={"frequency": frequency, "user": user}
        )
        if subscriber.status == Subscriber.Status.ACTIVE:
            context = {"subscriber": subscriber, **links(subscriber)}
            email_queue(render_mail("newsletter/email/already", to=email, context=context))
            return subscriber
        if subscriber.status == Subscriber.Status.BOUNCED:
            return subscriber  # the address does not accept mail; say nothing different
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
        )
        context = {
            "subscriber": subscriber,
            "topics": topics,
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
            consent_topics=[topic.slug for topic in topics],
            unsubscribed_at=None,
        )
        if activated:
            subscriber.topics.set(topics)
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
            email=user.email.lower(), defaults={"frequency": frequency}
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
