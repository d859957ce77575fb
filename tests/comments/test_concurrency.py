"""Twenty readers post to one article at the same moment: nothing lost, nothing doubled."""

import threading

import pytest
from django.db import connection
from django.test import Client

from comments.models import Comment
from tests.factories import ArticleFactory, CommentFactory, UserFactory

READERS = 20
POSTS_EACH = 3


@pytest.mark.django_db(transaction=True)
def test_twenty_readers_posting_at_once_lose_nothing(settings):
    settings.COMMENTS_RATE_PER_USER = settings.COMMENTS_RATE_PER_IP = "1000/600"
    article = ArticleFactory()
    root = CommentFactory(article=article)
    readers = UserFactory.create_batch(READERS, role="patient")
    start = threading.Barrier(READERS)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def reader_posts(user, n: int) -> None:
        try:
            client = Client()
            client.force_login(user)
            start.wait(timeout=30)
            for i in range(POSTS_EACH):
                parent = {"parent": root.pk} if (n + i) % 2 else {}
                response = client.post(
                    f"/articles/{article.slug}/comments/",
                    {"body": f"Reader {n}, post {i}", **parent},
                )
                statuses.append(response.status_code)
        except BaseException as error:  # reported below, with the thread's own traceback
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=reader_posts, args=(u, n)) for n, u in enumerate(readers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)

    assert not errors, errors[:3]
    assert statuses.count(302) == READERS * POSTS_EACH, sorted(set(statuses))
    posted = Comment.objects.filter(article=article).exclude(pk=root.pk)
    bodies = list(posted.values_list("body", flat=True))
    assert len(bodies) == len(set(bodies)) == READERS * POSTS_EACH  # each saved exactly once
    paths = list(Comment.objects.filter(article=article).values_list("path", flat=True))
    assert len(paths) == len(set(paths))
    assert all(
        p.startswith(root.path) for p in posted.filter(depth=1).values_list("path", flat=True)
    )
    print(f"\n{len(bodies)} comments from {READERS} concurrent readers on {connection.vendor}")
