"""Load demo subscribers and a draft edition (newsletter/demo/), so an editor can try sending
at once.

Idempotent: a second run adds nothing. The demo addresses are on example.org; with the
embedded mail backend every message lands in var/mail/.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from articles.demo import FOUNDING_ARTICLE_SLUG, DemoDataError
from articles.models import Article, Topic
from core.datafiles import (
    model_check,
    numbered_tables,
    read_front_matter,
    read_toml,
    table_fields,
)
from newsletter.models import Edition, Subscriber

DEMO_DIR = Path(__file__).resolve().parents[2] / "demo"


@dataclass(frozen=True)
class DemoSubscriber:
    email: str
    frequency: str
    topics: list[str]  # topic slugs; none means every topic


@dataclass(frozen=True)
class DemoEdition:
    subject: str
    preheader: str
    intro: str


def load_subscribers(path: Path | None = None) -> list[DemoSubscriber]:
    path = path or DEMO_DIR / "subscribers.toml"
    subscribers = []
    for where, table in numbered_tables(read_toml(path), "subscriber", path=path, required=True):
        subscriber = DemoSubscriber(
            **table_fields(
                table,
                path=path,
                where=where,
                required={"email": str, "frequency": str},
                optional={"topics": (list, [])},
            )
        )
        model_check(
            Subscriber(email=subscriber.email, frequency=subscriber.frequency),
            ["email", "frequency"],
            path=path,
            where=where,
        )
        subscribers.append(subscriber)
    return subscribers


def load_edition(path: Path | None = None) -> DemoEdition:
    """The draft edition: subject and preheader in the front matter, the intro as its body."""
    path = path or DEMO_DIR / "edition.md"
    meta, intro = read_front_matter(path)
    edition = DemoEdition(
        intro=intro,
        **table_fields(
            meta,
            path=path,
            where="front matter",
            required={"subject": str},
            optional={"preheader": (str, "")},
        ),
    )
    model_check(Edition(**vars(edition)), vars(edition), path=path, where="front matter")
    return edition


class Command(BaseCommand):
    help = "Create demo newsletter subscribers and a draft edition (idempotent)."

    def handle(self, *args, **options):
        try:
            subscribers, demo_edition = load_subscribers(), load_edition()
        except DemoDataError as exc:
            raise CommandError(f"Demo newsletter not loaded: {exc}") from exc
        article = Article.objects.filter(slug=FOUNDING_ARTICLE_SLUG).first()
        if article is None:
            self.stdout.write("Demo newsletter skipped: run seed_demo first.")
            return
        with transaction.atomic():
            added = 0
            for data in subscribers:
                subscriber, created = Subscriber.objects.get_or_create(
                    email=data.email,
                    defaults={
                        "status": Subscriber.Status.ACTIVE,
                        "frequency": data.frequency,
                        "consent_at": timezone.now(),
                        "consent_source": "demo",
                        "consent_topics": data.topics,
                    },
                )
                if created:
                    subscriber.topics.set(Topic.objects.filter(slug__in=data.topics))
                    added += 1
            edition, created = Edition.objects.get_or_create(
                kind=Edition.Kind.EDITION,
                subject=demo_edition.subject,
                defaults={"preheader": demo_edition.preheader, "intro": demo_edition.intro},
            )
            if created:
                edition.featured.add(article)
        self.stdout.write(
            f"Demo newsletter: {Subscriber.objects.filter(consent_source='demo').count()} "
            f"subscribers ({added} new), a draft edition to send from the admin."
        )
