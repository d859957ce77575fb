"""Signed links in our mail: confirm, preferences, unsubscribe, and a trial follower's confirm
and unfollow. Each names a subscriber (or a trial follow) by its token_id only, signed and
timestamped; each kind signs with its own salt."""

from __future__ import annotations

from enum import StrEnum

from django.core import signing
from django.urls import reverse

from core.links import absolute_url
from newsletter.models import Subscriber, TrialFollow


class LinkKind(StrEnum):
    """What a signed link in our mail is for; each kind signs with its own salt, so a link
    made for one purpose opens nothing else."""

    CONFIRM = "confirm"
    PREFERENCES = "preferences"
    UNSUBSCRIBE = "unsubscribe"
    FOLLOW_CONFIRM = "follow-confirm"  # a trial follow's double opt-in
    UNFOLLOW = "unfollow"  # a trial follow's one-click unsubscribe


# Links mailed before token_id existed signed {"s": pk, "e": address} with these salts.
LEGACY_SALTS = {
    LinkKind.CONFIRM: "newsletter.confirm",
    LinkKind.PREFERENCES: "newsletter.manage",
    LinkKind.UNSUBSCRIBE: "newsletter.unsubscribe",
}


class TokenError(Exception):
    """A link that is not ours or was altered ("invalid"), is too old ("expired"), or comes
    from mail sent before links named subscribers by token_id ("outdated")."""

    def __init__(self, reason: str = "invalid"):
        super().__init__(reason)
        self.reason = reason


def _signer(kind: LinkKind) -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=f"newsletter.link.{kind}")


def link_token(*, subscriber: Subscriber, kind: LinkKind, consent: tuple[str, ...] = ()) -> str:
    """The subscriber's token_id (and any consent fields), dot-separated, signed and
    timestamped: nothing in it identifies the person, and it stays short."""
    return _signer(kind).sign(".".join((subscriber.token_id, *consent)))


def confirm_token(
    *,
    subscriber: Subscriber,
    source: str,
    topic_slugs: list[str],
    frequency: str,
    interest_slugs: list[str] = (),
) -> str:
    """A confirmation link's token: the consent being given (which form, which topics and
    combinations, how often) travels with it, so nothing is kept before it is confirmed. No
    source, frequency or slug contains a dot or a plus; a combination is "biomarker~cancer"."""
    consent = (source, frequency, "+".join(sorted(topic_slugs)))
    if interest_slugs:
        consent += ("+".join(interest_slugs),)
    return link_token(subscriber=subscriber, kind=LinkKind.CONFIRM, consent=consent)


def read_token(*, token: str, kind: LinkKind, max_age: int | None) -> tuple[Subscriber, dict]:
    """The subscriber a signed link names, with the consent it carries. Unsubscribe links of
    the old form are still honoured, as leaving must always work; other old links are not."""
    try:
        token_id, *consent = _signer(kind).unsign(token, max_age=max_age).split(".")
    except signing.SignatureExpired as error:
        raise TokenError("expired") from error
    except signing.BadSignature as error:
        return _read_legacy_token(token=token, kind=kind, error=error)
    subscriber = Subscriber.objects.filter(token_id=token_id).first()
    if subscriber is None:
        raise TokenError  # the token_id was rotated, or the subscriber is gone
    if len(consent) not in (3, 4):
        return subscriber, {}
    source, frequency, topics, *interests = consent
    payload = {"src": source, "f": frequency, "t": topics.split("+") if topics else []}
    if interests:  # combinations for a biomarker in a cancer type, when the signup had any
        payload["i"] = interests[0].split("+")
    return subscriber, payload


def _read_legacy_token(*, token: str, kind: LinkKind, error: Exception) -> tuple[Subscriber, dict]:
    try:
        payload = signing.loads(token, salt=LEGACY_SALTS[kind])
    except signing.BadSignature:
        raise TokenError from error
    if kind != LinkKind.UNSUBSCRIBE:
        raise TokenError("outdated") from error
    subscriber = Subscriber.objects.filter(pk=payload.get("s"), email=payload.get("e")).first()
    if subscriber is None:
        raise TokenError from error
    return subscriber, payload


def follow_token(*, follow: TrialFollow, kind: LinkKind) -> str:
    return _signer(kind).sign(follow.token_id)


def read_follow_token(*, token: str, kind: LinkKind, max_age: int | None) -> TrialFollow:
    """The trial follow a signed link names (TokenError as for a subscriber's links)."""
    try:
        token_id = _signer(kind).unsign(token, max_age=max_age)
    except signing.SignatureExpired as error:
        raise TokenError("expired") from error
    except signing.BadSignature as error:
        raise TokenError from error
    follow = TrialFollow.objects.select_related("trial").filter(token_id=token_id).first()
    if follow is None:
        raise TokenError  # the follow is gone
    return follow


def follow_links(follow: TrialFollow) -> dict[str, str]:
    """The links a follower's mail carries: the one-click unfollow (no expiry)."""
    token = follow_token(follow=follow, kind=LinkKind.UNFOLLOW)
    return {"unfollow_url": absolute_url(reverse("trial_unfollow_link", args=[token]))}


def links(subscriber: Subscriber) -> dict[str, str]:
    """The per-subscriber links every newsletter mail carries (no query: token_id is a column)."""
    return {
        "preferences_url": absolute_url(
            reverse(
                "newsletter_preferences",
                args=[link_token(subscriber=subscriber, kind=LinkKind.PREFERENCES)],
            )
        ),
        "unsubscribe_url": absolute_url(
            reverse(
                "newsletter_unsubscribe",
                args=[link_token(subscriber=subscriber, kind=LinkKind.UNSUBSCRIBE)],
            )
        ),
    }
