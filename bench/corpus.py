"""An archive of published articles for the search measurement of `make bench` (PostgreSQL).

Made from a fixed seed, so every run builds the same archive: titles, standfirsts and bodies
of several hundred words that combine genes, alterations, cancers, drugs and kinds of news,
so a query such as "NRG1 fusion" matches some articles in the title, more in the standfirst
or body, and many not at all, and the ranking has work to do. Inserted with bulk_create
(PostgreSQL fills the stored search vector itself); idempotent by slug prefix.
"""

from __future__ import annotations

import json
import random
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from articles.models import Article, Topic
from articles.selectors import article_search
from core.markup import render_article_markdown

SLUG_PREFIX = "bench-archive-"
GENES = {
    "NRG1": "fusion",
    "KRAS": "G12C mutation",
    "EGFR": "exon 19 deletion",
    "ALK": "rearrangement",
    "ROS1": "fusion",
    "BRAF": "V600E mutation",
    "HER2": "amplification",
    "NTRK": "fusion",
    "RET": "fusion",
    "MET": "exon 14 skipping",
    "BRCA2": "mutation",
    "PIK3CA": "mutation",
    "FGFR2": "fusion",
    "IDH1": "mutation",
}
DRUGS = {
    "NRG1": "zenocutuzumab",
    "KRAS": "sotorasib",
    "EGFR": "osimertinib",
    "ALK": "lorlatinib",
    "ROS1": "repotrectinib",
    "BRAF": "dabrafenib",
    "HER2": "trastuzumab deruxtecan",
    "NTRK": "larotrectinib",
    "RET": "selpercatinib",
    "MET": "capmatinib",
    "BRCA2": "olaparib",
    "PIK3CA": "alpelisib",
    "FGFR2": "pemigatinib",
    "IDH1": "ivosidenib",
}
CANCERS = [
    "non-small cell lung cancer",
    "pancreatic cancer",
    "cholangiocarcinoma",
    "breast cancer",
    "colorectal cancer",
    "ovarian cancer",
    "prostate cancer",
    "thyroid cancer",
    "melanoma",
    "gastric cancer",
]
TITLES = [
    "FDA approves {drug} for {gene} {alteration} {cancer}",
    "{drug} in {gene}-positive {cancer}: what the trial showed",
    "{gene} {alteration}s explained",
    "Testing for {gene} in {cancer}: DNA, RNA or both?",
    "Guideline update puts {gene} testing first in {cancer}",
    "Resistance to {drug}: what comes next",
    "A second look at {drug} after two years of follow-up",
]
SENTENCES = [
    "Patients whose tumours carried a {gene} {alteration} were treated with {drug}.",
    "The overall response rate was {n} per cent, and responses lasted a median of {m} months.",
    "Testing matters: a {gene} {alteration} is found only if someone looks for it.",
    "In {cancer}, broad genomic profiling at diagnosis is now common practice.",
    "RNA-based panels find fusions that DNA-only tests can miss.",
    "Side effects were mostly mild: diarrhoea, rash and tiredness were the most common.",
    "The single-arm design makes the comparison with chemotherapy uncertain.",
    "Regulators accepted the response rate as a surrogate for clinical benefit.",
    "A confirmatory trial is under way and is expected to report in {year}.",
    "Circulating tumour DNA can reveal {gene} alterations when tissue runs out.",
    "Oncologists say the finding changes the order in which treatments are offered.",
    "Patient groups welcomed the decision but asked about access and cost.",
    "Earlier lines of therapy, including immunotherapy, had stopped working.",
    "The label covers adults whose disease has spread or cannot be removed by surgery.",
    "Tumour-agnostic approvals follow the biomarker rather than the organ of origin.",
    "Biopsy tissue is often scarce, so the order of tests needs planning.",
]
SECTIONS = ["Background", "The evidence", "What it means for patients", "Open questions"]


def _fill(template: str, rng: random.Random, facts: dict) -> str:
    return template.format(
        n=rng.randint(20, 75), m=rng.randint(5, 30), year=rng.randint(2027, 2030), **facts
    )


def _article(n: int, rng: random.Random) -> dict:
    gene = rng.choice(list(GENES))
    facts = {
        "gene": gene,
        "alteration": GENES[gene],
        "drug": DRUGS[gene],
        "cancer": rng.choice(CANCERS),
    }
    title = _fill(rng.choice(TITLES), rng, facts)
    standfirst = " ".join(_fill(s, rng, facts) for s in rng.sample(SENTENCES[:4], 2))
    sections = []
    for heading in SECTIONS:
        paragraphs = []
        for _ in range(rng.randint(2, 4)):
            # Now and then a paragraph about another biomarker, as real articles compare.
            other = facts
            if rng.random() < 0.2:
                another = rng.choice(list(GENES))
                other = {
                    **facts,
                    "gene": another,
                    "alteration": GENES[another],
                    "drug": DRUGS[another],
                }
            paragraphs.append(
                " ".join(_fill(s, rng, other) for s in rng.sample(SENTENCES, rng.randint(3, 6)))
            )
        sections.append(f"## {heading}\n\n" + "\n\n".join(paragraphs))
    return {"title": title[:200], "standfirst": standfirst, "body": "\n\n".join(sections)}


def build_archive(count: int = 1000, query: str = "NRG1 fusion") -> None:
    """`count` published articles (slugs bench-archive-<n>), kept from an earlier run; prints
    how many there are and how many public articles `query` finds."""
    existing = Article.objects.filter(slug__startswith=SLUG_PREFIX).count()
    rng = random.Random(15)
    drafts = [_article(n, rng) for n in range(count)]
    topics = list(Topic.objects.values_list("pk", flat=True))
    now = timezone.now()
    new = []
    for n in range(existing, count):
        rendered = render_article_markdown(drafts[n]["body"])
        new.append(
            Article(
                **drafts[n],
                slug=f"{SLUG_PREFIX}{n}",
                body_html=rendered.html,
                toc=rendered.toc,
                reading_minutes=rendered.reading_minutes,
                kind=rng.choice(list(Article.Kind)),
                status=Article.Status.PUBLISHED,
                published_at=now - timedelta(days=2 + n % 900, hours=n % 24),
            )
        )
    created = Article.objects.bulk_create(new, batch_size=200)
    links = Article.topics.through
    if topics:
        links.objects.bulk_create(
            links(article_id=article.pk, topic_id=topics[article.pk % len(topics)])
            for article in created
        )
    if connection.vendor == "postgresql":
        # Autovacuum may be behind: fresh statistics, and the GIN pending list merged.
        with connection.cursor() as cursor:
            cursor.execute(f'VACUUM ANALYZE "{Article._meta.db_table}"')
    archive = Article.objects.filter(slug__startswith=SLUG_PREFIX).count()
    print(json.dumps({"archive": archive, "matches": article_search(query=query).count()}))
