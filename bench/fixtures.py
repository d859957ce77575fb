"""Data for `make bench`, built inside the bench database (run through `manage.py shell`)."""

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
from articles.models import Article
from articles.services import article_publish
from comments.models import Comment

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
    template = Article.objects.get(slug="fda-approves-zenocutuzumab-nrg1-cholangiocarcinoma")
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
        article_publish(article=article, at=timezone.now() - timedelta(days=1))
    return article


def _session(user: User) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def build(comments: int = 200, posters: int = 20) -> None:
    """Two articles (no comments, `comments` threaded ones), readers and their sessions."""
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
    from articles.markup import render_user_markdown

    return render_user_markdown(text)
