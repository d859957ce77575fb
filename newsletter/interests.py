"""Alerts for a biomarker in a cancer type (Interest): which pairs may be asked for, how a
signup carries them (form keys of topic ids; slugs inside the signed confirmation link), and
the writes that add, remove and replace a subscriber's. Matching is InterestQuerySet.matching
(in SQL, for the audience) and Interest.matches (in Python, for a reader's digest)."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from articles.models import Topic
from newsletter.models import Interest, Subscriber

# Enough for any reader we can think of; more is a list of everything, which topics do better.
MAX_INTERESTS = 20
EVERYTHING = (
    "Choose a biomarker, a cancer type or both: any biomarker in any cancer type is every "
    "article. For everything, choose no topics and no combinations."
)
TOO_MANY = f"You can have up to {MAX_INTERESTS} combinations. Remove one to add another."


class InterestError(ValueError):
    """A combination that cannot be had; the message says why, in words for the reader."""


Pair = tuple[Topic | None, Topic | None]  # (biomarker, cancer type); None is "any"


def pair_check(biomarker: Topic | None, cancer_type: Topic | None) -> Pair:
    if biomarker is None and cancer_type is None:
        raise InterestError(EVERYTHING)
    if biomarker is not None and biomarker.kind != Topic.Kind.BIOMARKER:
        raise InterestError(f"{biomarker.name} is not a biomarker.")
    if cancer_type is not None and cancer_type.kind != Topic.Kind.CANCER_TYPE:
        raise InterestError(f"{cancer_type.name} is not a cancer type.")
    return biomarker, cancer_type


def pairs_unique(pairs: list[Pair]) -> list[Pair]:
    """The same combination once, in the order first given; at most MAX_INTERESTS."""
    seen: dict[tuple, Pair] = {}
    for biomarker, cancer_type in pairs:
        seen.setdefault((biomarker and biomarker.pk, cancer_type and cancer_type.pk),
                        (biomarker, cancer_type))  # fmt: skip
    if len(seen) > MAX_INTERESTS:
        raise InterestError(TOO_MANY)
    return list(seen.values())


def pair_key(pair: Pair) -> str:
    """A pair as a form value: "12:34", "12:" (any cancer type), ":34" (any biomarker)."""
    return ":".join("" if topic is None else str(topic.pk) for topic in pair)


def pairs_from_keys(keys: list[str]) -> list[Pair]:
    """The pairs a form carried (one query); InterestError for anything that is not one."""
    ids: list[tuple[int | None, int | None]] = []
    for key in keys:
        parts = key.split(":")
        if len(parts) != 2 or not all(part == "" or part.isdigit() for part in parts):
            raise InterestError("That combination is not one we know. Please choose again.")
        ids.append(tuple(int(part) if part else None for part in parts))  # type: ignore[arg-type]
    wanted = {pk for pair in ids for pk in pair if pk is not None}
    topics = Topic.objects.in_bulk(wanted)
    if len(topics) != len(wanted):
        raise InterestError("That combination names a topic we do not have. Please choose again.")
    return pairs_unique(
        [pair_check(topics.get(b) if b else None, topics.get(c) if c else None) for b, c in ids]
    )


def pair_slug(pair: Pair) -> str:
    """A pair inside a signed link: "nrg1-fusion~pancreatic-cancer", "~cholangiocarcinoma"
    (slugs hold no "~", "+" or ".")."""
    return "~".join("" if topic is None else topic.slug for topic in pair)


def pairs_from_slugs(slugs: list[str]) -> list[Pair]:
    """The pairs a confirmed link carries. A topic deleted since is dropped with its pair, as
    a deleted topic is from the topics (the link was signed by us: nothing else to check)."""
    halves = [tuple(slug.split("~", 1)) for slug in slugs if slug.count("~") == 1]
    topics = Topic.objects.in_bulk({s for half in halves for s in half if s}, field_name="slug")
    pairs = []
    for b, c in halves:
        if (b and b not in topics) or (c and c not in topics):
            continue
        try:
            pairs.append(pair_check(topics.get(b), topics.get(c)))
        except InterestError:
            continue  # a topic's kind changed since: not what was asked for
    return pairs_unique(pairs[:MAX_INTERESTS])


def consent_labels(pairs: list[Pair]) -> list[str]:
    """How the consent record names the combinations given, beside the topics' slugs."""
    return [
        f"{b.slug if b else 'any biomarker'} in {c.slug if c else 'any cancer type'}"
        for b, c in pairs
    ]


def interest_add(*, subscriber: Subscriber, biomarker: Topic | None, cancer_type: Topic | None):
    """Add one combination (from the preferences page). Having it already is no error.
    Raises InterestError for "anything in anything", a topic of the wrong kind, or one too many."""
    pair_check(biomarker, cancer_type)
    with transaction.atomic():
        # The subscriber's row, locked: two adds at once cannot both pass the limit.
        Subscriber.objects.select_for_update().filter(pk=subscriber.pk).first()
        mine = Interest.objects.filter(subscriber=subscriber)
        if mine.filter(biomarker=biomarker, cancer_type=cancer_type).exists():
            return
        if mine.count() >= MAX_INTERESTS:
            raise InterestError(TOO_MANY)
        try:
            with transaction.atomic():
                Interest.objects.create(
                    subscriber=subscriber, biomarker=biomarker, cancer_type=cancer_type
                )
        except IntegrityError:
            return  # added a moment ago by another request


def interest_remove(*, subscriber: Subscriber, interest_id: int) -> bool:
    """Remove one of this subscriber's combinations (never another's). Twice is harmless."""
    deleted, _ = Interest.objects.filter(subscriber=subscriber, pk=interest_id).delete()
    return bool(deleted)


def interests_set(*, subscriber: Subscriber, pairs: list[Pair]) -> None:
    """Replace the subscriber's combinations (a confirmed signup: exactly what it carried)."""
    Interest.objects.filter(subscriber=subscriber).delete()
    Interest.objects.bulk_create(
        Interest(subscriber=subscriber, biomarker=b, cancer_type=c) for b, c in pairs
    )
