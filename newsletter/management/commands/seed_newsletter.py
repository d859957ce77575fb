"""Load demo subscribers and a draft edition, so an editor can try sending at once.

Idempotent: a second run adds nothing. The demo addresses are on example.org; with the
embedded mail backend every message lands in var/mail/.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from articles.models import Article, Topic
from comments import demo_content
from newsletter.models import Edition, Subscriber

SUBSCRIBERS = [
    # email, frequency, topic slugs (none: every topic)
    ("maya.demo@example.org", Subscriber.Frequency.EACH_ARTICLE, ["cholangiocarcinoma"]),
    ("tomas.demo@example.org", Subscriber.Frequency.WEEKLY, []),
    ("ines.demo@example.org", Subscriber.Frequency.EACH_ARTICLE, ["nrg1-fusion", "lung-cancer"]),
    ("kwame.demo@example.org", Subscriber.Frequency.WEEKLY, ["targeted-therapy"]),
]

SUBJECT = "Welcome to Driverline: one rare fusion, one new approval"
PREHEADER = "What the zenocutuzumab decision means, and how to join the discussion."
INTRO = """\
Thank you for reading. Our first edition looks at a decision that matters to a small group of
people with biliary tract cancer: an antibody approved for tumours that carry an **NRG1 gene
fusion**.

Three things to take from it:

1. Fusions this rare are only found when tumours are tested broadly, so ask about
   comprehensive genomic profiling early.
2. The evidence is one single-arm study (eNRGy) with 19 evaluable patients: a small cohort,
   and likely a template for other rare drivers.
3. Questions from patients, carers and clinicians are welcome under the article. A moderator
   reads every comment before it appears.
"""


class Command(BaseCommand):
    help = "Create demo newsletter subscribers and a draft edition (idempotent)."

    def handle(self, *args, **options):
        article = Article.objects.filter(slug=demo_content.ARTICLE_SLUG).first()
        if article is None:
            self.stdout.write("Demo newsletter skipped: run seed_demo first.")
            return
        with transaction.atomic():
            added = 0
            for email, frequency, slugs in SUBSCRIBERS:
                subscriber, created = Subscriber.objects.get_or_create(
                    email=email,
                    defaults={
                        "status": Subscriber.Status.ACTIVE,
                        "frequency": frequency,
                        "consent_at": timezone.now(),
                        "consent_source": "demo",
                        "consent_topics": slugs,
                    },
                )
                if created:
                    subscriber.topics.set(Topic.objects.filter(slug__in=slugs))
                    added += 1
            edition, created = Edition.objects.get_or_create(
                kind=Edition.Kind.EDITION,
                subject=SUBJECT,
                defaults={"preheader": PREHEADER, "intro": INTRO},
            )
            if created:
                edition.featured.add(article)
        self.stdout.write(
            f"Demo newsletter: {Subscriber.objects.filter(consent_source='demo').count()} "
            f"subscribers ({added} new), a draft edition to send from the admin."
        )
