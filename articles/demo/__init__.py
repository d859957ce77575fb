"""The demo site's topics and articles, kept as files in this folder for `manage.py seed_demo`.

Written by us; the facts come from the sources each article cites.

- `topics.toml`: one `[[topic]]` table per topic (slug, name, kind, description).
- `contributors.toml`: one `[[contributor]]` table per person (slug, name, competing_interests,
  and optionally credentials, role, affiliation, bio and account: the demo staff account,
  "editor", "moderator" or "reviewer", the profile belongs to).
- `<slug>.md`: one article, its file name the slug. TOML front matter between `+++` lines:
  title, kind, standfirst, topics, last_reviewed, and optionally published (without it, the
  article is seeded as waiting for clinical review), next_review (a date: the demo's review
  coming due), authors (contributor slugs),
  seo_description and discussion_prompt; then `[[faq]]` tables (question, answer) and `[[reference]]` tables
  (label, kind, identifier, url). The Markdown body follows the closing `+++`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from articles.models import Article, Contributor, FAQEntry, Reference, Topic
from core.datafiles import (
    DemoDataError,
    model_check,
    numbered_tables,
    read_front_matter,
    read_toml,
    table_fields,
)

__all__ = [
    "DEMO_DIR",
    "FOUNDING_ARTICLE_SLUG",
    "DemoArticle",
    "DemoContributor",
    "DemoDataError",
    "DemoTopic",
    "load_articles",
    "load_contributors",
    "load_topics",
]

# The article the demo discussion and the demo newsletter are about.
FOUNDING_ARTICLE_SLUG = "fda-approves-zenocutuzumab-nrg1-cholangiocarcinoma"

DEMO_DIR = Path(__file__).resolve().parent
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Front matter keys that are Article fields of the same name.
ARTICLE_FIELDS = (
    "title",
    "kind",
    "standfirst",
    "seo_description",
    "last_reviewed",
    "discussion_prompt",
)


@dataclass(frozen=True)
class DemoTopic:
    slug: str
    name: str
    kind: str
    description: str


@dataclass(frozen=True)
class DemoContributor:
    slug: str
    name: str
    credentials: str
    role: str
    affiliation: str
    bio: str
    competing_interests: str
    account: str  # "" or a demo staff role


@dataclass(frozen=True)
class DemoFAQ:
    question: str
    answer: str


@dataclass(frozen=True)
class DemoReference:
    label: str
    kind: str
    identifier: str
    url: str


@dataclass(frozen=True)
class DemoArticle:
    slug: str
    title: str
    kind: str
    standfirst: str
    seo_description: str
    topics: tuple[str, ...]
    authors: tuple[str, ...]
    published: datetime | None  # None: not published, waiting for clinical review
    last_reviewed: date
    next_review: date | None  # None: 12 months after its approval, as the publish services set
    discussion_prompt: str
    body: str
    faqs: tuple[DemoFAQ, ...]
    references: tuple[DemoReference, ...]


def load_topics(folder: Path | None = None) -> list[DemoTopic]:
    """The topics of topics.toml (in DEMO_DIR unless told), in file order."""
    path = (folder or DEMO_DIR) / "topics.toml"
    topics: list[DemoTopic] = []
    for where, table in numbered_tables(read_toml(path), "topic", path=path, required=True):
        topic = DemoTopic(
            **table_fields(
                table,
                path=path,
                where=where,
                required={"slug": str, "name": str, "kind": str},
                optional={"description": (str, "")},
            )
        )
        model_check(Topic(**vars(topic)), vars(topic), path=path, where=where)
        if topic.slug in {seen.slug for seen in topics}:
            raise DemoDataError(path, f"{where}: slug '{topic.slug}' is used twice")
        topics.append(topic)
    return topics


def load_contributors(folder: Path | None = None) -> list[DemoContributor]:
    """The people of contributors.toml (in DEMO_DIR unless told), in file order."""
    path = (folder or DEMO_DIR) / "contributors.toml"
    people: list[DemoContributor] = []
    for where, table in numbered_tables(read_toml(path), "contributor", path=path, required=True):
        person = DemoContributor(
            **table_fields(
                table,
                path=path,
                where=where,
                required={"slug": str, "name": str, "competing_interests": str},
                optional={
                    "credentials": (str, ""),
                    "role": (str, ""),
                    "affiliation": (str, ""),
                    "bio": (str, ""),
                    "account": (str, ""),
                },
            )
        )
        fields = {key: value for key, value in vars(person).items() if key != "account"}
        model_check(Contributor(**fields), fields, path=path, where=where)
        if person.slug in {seen.slug for seen in people}:
            raise DemoDataError(path, f"{where}: slug '{person.slug}' is used twice")
        people.append(person)
    return people


def load_articles(folder: Path | None = None) -> list[DemoArticle]:
    """Every `<slug>.md` in DEMO_DIR (unless told), oldest first, so ids follow the dates;
    articles waiting for review last."""
    folder = folder or DEMO_DIR
    topic_slugs = {topic.slug for topic in load_topics(folder)}
    people = {person.slug for person in load_contributors(folder)}
    articles = [
        load_article(path, topic_slugs=topic_slugs, contributor_slugs=people)
        for path in folder.glob("*.md")
    ]
    if not articles:
        raise DemoDataError(folder, "holds no article (<slug>.md) files")
    return sorted(
        articles,
        key=lambda article: (article.published is None, article.published or 0, article.slug),
    )


def load_article(
    path: Path, *, topic_slugs: set[str], contributor_slugs: set[str] = frozenset()
) -> DemoArticle:
    slug = path.stem
    if not SLUG_RE.match(slug):
        raise DemoDataError(
            path, "the file name must be the article's slug: lowercase letters, digits, hyphens"
        )
    meta, body = read_front_matter(path)
    fields = table_fields(
        {key: value for key, value in meta.items() if key not in ("faq", "reference")},
        path=path,
        where="front matter",
        required={
            "title": str,
            "kind": str,
            "standfirst": str,
            "topics": list,
            "last_reviewed": date,
        },
        optional={
            "published": (datetime, None),
            "next_review": (date, None),
            "authors": (list, []),
            "seo_description": (str, ""),
            "discussion_prompt": (str, ""),
        },
    )
    if not body.strip():
        raise DemoDataError(path, "has no Markdown body after the front matter")
    unknown = sorted(set(fields["topics"]) - topic_slugs)
    if unknown:
        raise DemoDataError(path, f"front matter: topics not in topics.toml: {', '.join(unknown)}")
    unknown = sorted(set(fields["authors"]) - contributor_slugs)
    if unknown:
        raise DemoDataError(
            path, f"front matter: authors not in contributors.toml: {', '.join(unknown)}"
        )
    model_check(
        Article(
            slug=slug,
            body=body,
            published_at=fields["published"],
            **{key: fields[key] for key in ARTICLE_FIELDS},
        ),
        ["slug", "body", "published_at", *ARTICLE_FIELDS],
        path=path,
        where="front matter",
    )
    faqs = []
    for where, table in numbered_tables(meta, "faq", path=path, required=False):
        faq = DemoFAQ(
            **table_fields(table, path=path, where=where, required={"question": str, "answer": str})
        )
        model_check(FAQEntry(**vars(faq)), vars(faq), path=path, where=where)
        faqs.append(faq)
    references = []
    for where, table in numbered_tables(meta, "reference", path=path, required=False):
        reference = DemoReference(
            **table_fields(
                table,
                path=path,
                where=where,
                required={"label": str, "kind": str},
                optional={"identifier": (str, ""), "url": (str, "")},
            )
        )
        model_check(Reference(**vars(reference)), vars(reference), path=path, where=where)
        references.append(reference)
    return DemoArticle(
        slug=slug,
        body=body,
        faqs=tuple(faqs),
        references=tuple(references),
        **{**fields, "topics": tuple(fields["topics"]), "authors": tuple(fields["authors"])},
    )
