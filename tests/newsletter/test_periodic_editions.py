"""Editions that go out by themselves: new-article alerts, the weekly digest, and editions
scheduled for later (and cancelled midway)."""

from collections import Counter
from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from newsletter import delivery, services
from newsletter.models import Delivery, Edition, Subscriber
from tests.conftest import wait_for
from tests.factories import ArticleFactory, TopicFactory
from tests.newsletter.mailings import (
    assert_list_mail,
    edition,
    received_per_recipient,
    subscribers,
)


@pytest.mark.django_db(transaction=True)
def test_new_article_alerts_go_once_to_each_article_readers_of_its_topics(
    smtp_server, celery_worker, settings
):
    topic, other = TopicFactory(), TopicFactory()
    fan = Subscriber.objects.create(email="fan@example.org", status="active", frequency="each")
    fan.topics.add(topic, other)  # follows two of the article's topics: still one mail
    Subscriber.objects.create(email="everything@example.org", status="active", frequency="each")
    Subscriber.objects.create(email="weekly@example.org", status="active", frequency="weekly")
    elsewhere = Subscriber.objects.create(
        email="else@example.org", status="active", frequency="each"
    )
    elsewhere.topics.add(TopicFactory())
    article = ArticleFactory(title="NRG1 fusions explained", topics=[topic, other])

    first = services.alerts_create()
    assert services.alerts_create() == []  # publishing noticed twice: one alert
    assert len(first) == 1
    wait_for(lambda: Edition.objects.get(pk=first[0]).status == "sent", timeout=30)
    counts = received_per_recipient(smtp_server)
    assert counts == Counter({"fan@example.org": 1, "everything@example.org": 1})
    assert Edition.objects.get(pk=first[0]).article == article
    alert = smtp_server.to("fan@example.org")[0]
    assert_list_mail(alert, settings)
    assert "NRG1 fusions explained" in alert["Subject"]


@pytest.mark.django_db(transaction=True)
def test_weekly_digest_lists_each_readers_topics_once_a_week_and_never_empty(
    smtp_server, celery_worker, settings
):
    from datetime import UTC, date, datetime

    lung, bile, other = TopicFactory(name="Lung"), TopicFactory(name="Bile"), TopicFactory()
    last_week = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)  # Wednesday of week 47
    ArticleFactory(title="Lung news", topics=[lung], published_at=last_week)
    ArticleFactory(title="Bile news", topics=[bile], published_at=last_week)
    ArticleFactory(title="Too old", topics=[lung], published_at=last_week - timedelta(days=10))
    lung_reader = Subscriber.objects.create(email="lung@example.org", status="active")
    lung_reader.topics.add(lung)
    Subscriber.objects.create(email="all@example.org", status="active")
    elsewhere = Subscriber.objects.create(email="else@example.org", status="active")
    elsewhere.topics.add(other)  # nothing for them this week: no digest
    Subscriber.objects.create(email="each@example.org", status="active", frequency="each")

    monday = date(2026, 11, 23)
    digest_id = services.digest_create(today=monday)
    assert services.digest_create(today=monday) is None  # the schedule fired twice
    assert services.digest_create(today=monday + timedelta(days=2)) is None  # same week
    wait_for(lambda: Edition.objects.get(pk=digest_id).status == "sent", timeout=30)
    assert Edition.objects.get(pk=digest_id).period == "2026-W47"
    assert set(received_per_recipient(smtp_server)) == {"lung@example.org", "all@example.org"}
    lung_text = smtp_server.to("lung@example.org")[0].get_body(("plain",)).get_content()
    all_text = smtp_server.to("all@example.org")[0].get_body(("plain",)).get_content()
    assert "Lung news" in lung_text
    assert "Bile news" not in lung_text
    assert "Lung news" in all_text
    assert "Bile news" in all_text
    assert "Too old" not in all_text
    assert_list_mail(smtp_server.to("lung@example.org")[0], settings)
    assert services.digest_create(today=date(2026, 11, 2)) is None  # a week with no articles


@pytest.mark.django_db
def test_scheduled_editions_start_on_time_and_cancelled_ones_send_nothing_more(
    admin_client, smtp_server, settings
):

    subscribers(6)
    mailing = edition()
    when = timezone.localtime() + timedelta(hours=1)
    base = {"action": "schedule", "_selected_action": [mailing.pk]}
    admin_client.post(
        "/admin/newsletter/edition/",
        {**base, "apply": "1", "publish_at": when.strftime("%Y-%m-%dT%H:%M")},
    )
    mailing.refresh_from_db()
    assert mailing.status == Edition.Status.SCHEDULED
    assert services.scheduled_editions_send() == []  # not yet
    settings.NEWSLETTER_BATCH_SIZE = 2
    with time_machine.travel(when + timedelta(minutes=1)):
        assert services.scheduled_editions_send() == [mailing.pk]
        delivery.send_batch(edition_id=mailing.pk)  # two go out
        admin_client.post(
            "/admin/newsletter/edition/", {"action": "cancel", "_selected_action": [mailing.pk]}
        )
        assert delivery.send_batch(edition_id=mailing.pk) == 0
    assert sum(received_per_recipient(smtp_server).values()) == 2
    assert Delivery.objects.filter(status="cancelled").count() == 4
    assert Edition.objects.get(pk=mailing.pk).status == Edition.Status.CANCELLED


@pytest.mark.django_db(transaction=True)
def test_an_alert_stops_when_its_article_is_unpublished_before_it_went_out(
    smtp_server, celery_worker, settings
):
    from articles.services import article_unpublish

    Subscriber.objects.create(email="each@example.org", status="active", frequency="each")
    article = ArticleFactory(title="Embargoed news")
    with transaction.atomic():  # its tasks are queued when this commits
        [alert_id] = services.alerts_create()
        article_unpublish(article=article)
    rows = Delivery.objects.filter(edition_id=alert_id)
    # The worker cancels the alert, then gives back the row it had claimed: wait for both.
    wait_for(
        lambda: set(rows.values_list("status", flat=True)) == {"cancelled"},
        timeout=30,
        message="the alert's delivery was not cancelled",
    )
    assert Edition.objects.get(pk=alert_id).status == "cancelled"
    assert not received_per_recipient(smtp_server)
