"""Subscriptions: double opt-in, consent, preferences and one-click unsubscribe."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.emails import email_queue, render_mail
from articles.models import Topic
from config.links import absolute_url
from newsletter.models import Subscriber

CONFIRM_SALT = "newsletter.confirm"
MANAGE_SALT = "newsletter.manage"
UNSUBSCRIBE_SALT = "newsletter.unsubscribe"


class TokenError(Exception):
    """A link that is not ours, was altered, or has expired (`expired` says which)."""

    def __init__(self, *, expired: bool = False):
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def make_token(subscriber: Subscriber, salt: str, **extra) -> str:
    return signing.dumps({"s": subscriber.pk, "e": subscriber.email, **extra}, salt=salt)


def read_token(token: str, salt: str, *, max_age: int | None) -> tuple[Subscriber, dict]:
    """The subscriber a signed link names, with the link's payload."""
    try:
        payload = signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired as error:
        raise TokenError(expired=True) from error
    except signing.BadSignature as error:
        raise TokenError from error
    subscriber = Subscriber.objects.filter(pk=payload.get("s"), email=payload.get("e")).first()
    if subscriber is None:
        raise TokenError
    return subscriber, payload


def links(subscriber: Subscriber) -> dict[str, str]:
    """The per-subscriber links every newsletter mail carries."""
    return {
        "preferences_url": absolute_url(
            reverse("newsletter_preferences", args=[make_token(subscriber, MANAGE_SALT)])
        ),
        "unsubscribe_url": absolute_url(
            reverse("newsletter_unsubscribe", args=[make_token(subscriber, UNSUBSCRIBE_SALT)])
        ),
    }


def subscription_request(
    *, email: str, frequency: str, topics: list[Topic], source: str, user=None
) -> Subscriber:
    """Ask for a subscription. Whoever the address belongs to gets a mail; the caller learns
    nothing about whether it was known (the answer to the form is always the same)."""
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
        token = make_token(
            subscriber, CONFIRM_SALT, src=source, t=sorted(t.slug for t in topics), f=frequency
        )
        context = {
            "subscriber": subscriber,
            "topics": topics,
            "confirm_url": absolute_url(reverse("newsletter_confirm", args=[token])),
            "expiry_days": settings.NEWSLETTER_CONFIRM_DAYS,
        }
        email_queue(render_mail("newsletter/email/confirm", to=email, context=context))
    return subscriber


def subscription_confirm(*, subscriber: Subscriber, payload: dict) -> Subscriber:
    """Double opt-in, second step: activate and record the consent given. Idempotent."""
    with transaction.atomic():
        Subscriber.objects.filter(pk=subscriber.pk, status=Subscriber.Status.PENDING).update(
            status=Subscriber.Status.ACTIVE,
            consent_at=timezone.now(),
            consent_source=str(payload.get("src", ""))[:40],
            consent_topics=list(payload.get("t", [])),
            unsubscribed_at=None,
        )
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


def subscription_from_account(*, user, frequency: str) -> Subscriber:
    """A signed-in reader with a verified address subscribes without another confirmation:
    the verification already proved the address is theirs. Consent is recorded as usual."""
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
            subscriber.consent_topics = []
            subscriber.unsubscribed_at = None
        subscriber.save()
    return subscriber
