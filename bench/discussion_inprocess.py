"""In-process figures for the discussion (README, Performance): queries and median ms per request,
one request at a time, for the article page empty and with 200 comments, anonymous and signed in.
Run: .venv/bin/pytest -p no:randomly -p no:cacheprovider -s bench/discussion_inprocess.py"""

import statistics
import time

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.factories import ArticleFactory, CommentFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_measure(settings):
    empty, full = ArticleFactory(), ArticleFactory()
    readers = [UserFactory(display_name=f"R{n}", role="patient") for n in range(8)]
    for n in range(50):
        root = CommentFactory(article=full, author=readers[n % 8])
        a = CommentFactory(parent=root, author=readers[(n + 1) % 8])
        CommentFactory(parent=a, author=readers[(n + 2) % 8])
        CommentFactory(parent=root, author=readers[(n + 3) % 8])
    anon, signed = Client(), Client()
    signed.force_login(readers[0])
    out = []
    for label, client, article in (
        ("anon empty", anon, empty),
        ("anon 200", anon, full),
        ("signed empty", signed, empty),
        ("signed 200", signed, full),
    ):
        url = article.get_absolute_url()
        for _ in range(5):
            client.get(url)
        with CaptureQueriesContext(connection) as q:
            assert client.get(url).status_code == 200
        nq, sqls = len(q), [x["sql"] for x in q.captured_queries]
        times = []
        for _ in range(60):
            t = time.perf_counter()
            client.get(url)
            times.append(time.perf_counter() - t)
        out.append((label, nq, statistics.median(times) * 1000))
        if label in ("signed 200", "anon 200"):
            for x in sqls:
                print("   ", x[:160])
    for label, nq, ms in out:
        print(f"{label:14} queries={nq:3} median={ms:6.1f} ms")
    print("ratio anon", out[0][2] / out[1][2], "signed", out[2][2] / out[3][2])
