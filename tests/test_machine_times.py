"""<time datetime> values are valid HTML: ISO 8601 to the second, with an offset."""

import re
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from newsletter.models import Edition
from tests.factories import ArticleFactory, CommentFactory

pytestmark = pytest.mark.django_db

MACHINE_TIME = re.compile(r"^\d{4}-\d\d-\d\d(T\d\d:\d\d:\d\d[+-]\d\d:\d\d)?$")


def datetimes_in(page: str) -> list[str]:
    return re.findall(r'<time datetime="([^"]*)"', page)


def test_times_written_now_carry_no_microseconds(client):
    # Everything here happens "now": timestamps with microseconds, as live posts have.
    now = timezone.now().replace(microsecond=123456)
    article = ArticleFactory(published_at=now - timedelta(minutes=1), last_reviewed=now.date())
    CommentFactory(article=article)
    edition = Edition.objects.create(
        subject="This week", status=Edition.Status.SENT, started_at=now, finished_at=now
    )

    pages = [
        client.get(article.get_absolute_url()),
        client.get("/"),
        client.get("/newsletter/archive/"),
        client.get(f"/newsletter/archive/{edition.pk}/"),
    ]
    values = [value for page in pages for value in datetimes_in(page.content.decode())]
    assert len(values) >= 6
    for value in values:
        assert MACHINE_TIME.match(value), value
        datetime.fromisoformat(value)
