"""Data for `make bench`, built inside the bench database: the page part runs these through
`manage.py shell`, the newsletter part imports them after `django.setup()`."""

from __future__ import annotations

import json
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from articles.demo import FOUNDING_ARTICLE_SLUG
from articles.models import Article, ReviewStep, Topic
from articles.review import article_review, review_step_record
from articles.services import article_publish
from comments.models import Comment
from config.celery import app
from newsletter import emails
from newsletter.models import Delivery, Edition, Subscriber

EDITION_SUBJECT = "Bench edition"
INTRO = (
    "This *week*: three things worth reading, and a question for you.\n\n"
    "- a **first-line** approval on single-arm evidence\n"
    "- a biomarker that [changes the order](https://example.org/) of treatments\n\n"
    "Reply and tell us which trial you would like us to read next."
)
BODY = (
    "Single-arm evidence is *weaker* than a randomised trial, but for a fusion this rare the "
    "alternative may be no trial at all. See [the registry](https://clinicaltrials.gov/) for "
    "NCT02912949 and judge the response durability yourself."
)


def _reader(n: int) -> User:
    user, created = User.objects.get_or_create(
        email=f"bench-reader-{n}@example.org",
        defaults={"display_name": f"Bench reader {n}", "role": User.Role.RESEARCHER},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def _article(slug: str, author: User) -> Article:
    template = Article.objects.get(slug=FOUNDING_ARTICLE_SLUG)
    article, created = Article.objects.get_or_create(
        slug=slug,
        defaults={
            "title": f"{template.title} ({slug})",
            "standfirst": template.standfirst,
            "body": template.body,
            "author": author,
            "discussion_prompt": template.discussion_prompt,
        },
    )
    if created:
        article.topics.set(template.topics.all())
        # Published as any article is: its content approved in clinical review first.
        review_step_record(
            article=article, revision=None, by=None, action=ReviewStep.Action.SUBMITTED, mail=False
        )
        review_step_record(
            article=article,
            revision=article_review(article).revision,
            by=_reviewer(),
            action=ReviewStep.Action.APPROVED,
            mail=False,
        )
        article_publish(article=article, at=timezone.now() - timedelta(days=1))
    return article


def _reviewer() -> User:
    from django.contrib.auth.models import Group

    user, created = User.objects.get_or_create(
        email="bench-reviewer@example.org", defaults={"display_name": "Bench reviewer"}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name="Medical reviewers"))
    return user


def _session(user: User) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def build(comments: int = 200, posters: int = 20) -> None:
    """Two articles (no comments, `comments` threaded ones), readers and their sessions."""
    app.control.purge()  # earlier runs' comment notifications: no worker takes the pages' queue
    readers = [_reader(n) for n in range(max(posters, 8))]
    empty = _article("bench-empty", readers[0])
    full = _article("bench-threaded", readers[0])
    posting = _article("bench-posting", readers[0])
    existing = Comment.objects.filter(article=full).count()
    for n in range(existing, comments):
        # Threads of four: a root, a reply, a reply to that, and a second reply to the root.
        position = n % 4
        if position == 0:
            parent = None
        elif position == 3:
            parent = Comment.objects.filter(article=full, depth=0).order_by("-pk").first()
        else:
            parent = Comment.objects.filter(article=full).order_by("-pk").first()
        comment = Comment.objects.create(
            article=full,
            author=readers[n % len(readers)],
            parent=parent,
            depth=parent.depth + 1 if parent else 0,
            body=BODY,
            body_html=render(BODY),
            status=Comment.Status.APPROVED,
            helpful_count=n % 7,
        )
        comment.place()
    queries = {}
    for label, article in (("empty", empty), ("threaded", full)):
        client = Client(HTTP_HOST="127.0.0.1")
        with CaptureQueriesContext(connection) as captured:
            client.get(article.get_absolute_url())
        queries[label] = len(captured)
    print(
        json.dumps(
            {
                "empty": empty.get_absolute_url(),
                "threaded": full.get_absolute_url(),
                "posting_slug": posting.slug,
                "comments": Comment.objects.filter(article=full).count(),
                "queries_anonymous": queries,
                "sessions": [_session(user) for user in readers[:posters]],
            }
        )
    )


def count_posted(slug: str, marker: str) -> None:
    print(Comment.objects.filter(article__slug=slug, body__startswith=marker).count())


def render(text: str) -> str:
    from core.markup import render_user_markdown

    return render_user_markdown(text)


def newsletter_audience(count: int, chunk: int = 5000) -> None:
    """`count` active subscribers (bench-<n>@example.org) in place of an earlier run's:
    two in three follow one or two topics, the others every topic."""
    Edition.objects.filter(subject__startswith=EDITION_SUBJECT).delete()
    Subscriber.objects.filter(email__startswith="bench-").delete()
    topics = list(Topic.objects.values_list("pk", flat=True))
    follows = Subscriber.topics.through
    now = timezone.now()
    for start in range(0, count, chunk):
        created = Subscriber.objects.bulk_create(
            Subscriber(
                email=f"bench-{n}@example.org",
                status=Subscriber.Status.ACTIVE,
                consent_at=now,
                consent_source="bench",
            )
            for n in range(start, min(start + chunk, count))
        )
        rows = []
        for n, subscriber in enumerate(created, start):
            if n % 3 and topics:
                rows.append(follows(subscriber_id=subscriber.pk, topic_id=topics[n % len(topics)]))
            if n % 3 == 2 and len(topics) > 1:
                rows.append(
                    follows(subscriber_id=subscriber.pk, topic_id=topics[(n + 1) % len(topics)])
                )
        follows.objects.bulk_create(rows)
    if connection.vendor == "postgresql":
        # Autovacuum may be off or behind on a development server: every run starts clean.
        with connection.cursor() as cursor:
            for model in (Subscriber, follows, Edition, Delivery):
                cursor.execute(f'VACUUM ANALYZE "{model._meta.db_table}"')


def newsletter_edition(label: str) -> Edition:
    """A draft edition: a Markdown intro and the three latest demo articles."""
    edition = Edition.objects.create(
        subject=f"{EDITION_SUBJECT} ({label})",
        preheader="Three articles and a question",
        intro=INTRO,
    )
    articles = Article.objects.published().exclude(slug__startswith="bench-")
    edition.featured.set(articles.order_by("-published_at")[:3])
    return edition


def newsletter_message(edition: Edition) -> bytes:
    """One real message of `edition` as it goes over SMTP, for the sink's ceiling."""
    subscriber = Subscriber.objects.filter(email__startswith="bench-").order_by("pk").first()
    row = Delivery(edition=edition, subscriber=subscriber)
    message = emails.build_message(emails.render_edition(edition), row)
    return message.message().as_bytes(linesep="\r\n")
