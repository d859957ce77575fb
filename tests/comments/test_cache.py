"""Anonymous readers get the discussion from the cache, and never a stale one."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from comments.models import Comment
from comments.moderation import comment_moderate
from comments.services import comment_mark_helpful, comment_remove, comment_submit
from tests.factories import ArticleFactory, CommentFactory, ModeratorFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)  # the version moves on commit


def anonymous_page(article) -> str:
    return Client().get(article.get_absolute_url()).content.decode()


def test_a_cached_discussion_costs_fewer_queries():
    article = ArticleFactory()
    for _ in range(20):
        CommentFactory(parent=CommentFactory(article=article))
    counts = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            anonymous_page(article)
        counts.append(len(queries))
    assert counts[1] < counts[0]


def test_every_change_shows_to_anonymous_readers_at_once(settings):
    settings.COMMENTS_TRUSTED_AFTER = 0
    article = ArticleFactory()
    reader = UserFactory(role="carer")
    first = comment_submit(article=article, author=reader, body="First published words")
    assert "First published words" in anonymous_page(article)  # cached now

    second = comment_submit(article=article, author=reader, body="Second words")
    assert "Second words" in anonymous_page(article)

    comment_mark_helpful(comment=first, user=UserFactory())
    assert "1 found this helpful" in anonymous_page(article)

    comment_moderate(
        comments=[second], moderator=ModeratorFactory(), action="reject", reason="off topic"
    )
    assert "Second words" not in anonymous_page(article)

    comment_remove(comment=first, user=reader)
    page = anonymous_page(article)
    assert "First published words" not in page
    assert "removed by its author" in page


def test_held_comments_appear_for_the_public_only_once_approved():
    article = ArticleFactory()
    waiting = comment_submit(article=article, author=UserFactory(role="other"), body="Held words")
    assert waiting.status == Comment.Status.PENDING
    assert "Held words" not in anonymous_page(article)
    comment_moderate(comments=[waiting], moderator=ModeratorFactory(), action="approve")
    assert "Held words" in anonymous_page(article)


def test_closing_the_discussion_shows_at_once(client):
    article = ArticleFactory()
    assert "to join the discussion" in anonymous_page(article)
    article.comments_open = False
    article.save()
    assert "The discussion on this article is closed." in anonymous_page(article)
