"""The double opt-in's rules through the pages and the mail they cause, without a worker
(tasks_inline): what the confirmation carries, what confirming activates, the notice to an
address already subscribed. tests/newsletter/test_subscribing.py runs the same journey on a
real Celery worker."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from newsletter.models import Subscriber
from tests.factories import TopicFactory

pytestmark = pytest.mark.django_db


def ask(client, tasks_inline, email="reader@example.org", **fields):
    data = {"email": email, "frequency": "weekly", "source": "footer", **fields}
    with tasks_inline():
        return client.post("/newsletter/", data)


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def confirm_path(message) -> str:
    return re.search(r"http://testserver(/newsletter/confirm/\S+)", text_of(message)).group(1)


def test_a_request_stores_the_choice_as_pending_and_mails_a_confirmation_only(
    client, tasks_inline, smtp_server, settings
):
    lung = TopicFactory(name="Lung")
    moment = timezone.now().replace(microsecond=0)
    with time_machine.travel(moment, tick=False):
        ask(client, tasks_inline, topics=[lung.pk], frequency="each", source="article")
    subscriber = Subscriber.objects.get()
    assert (subscriber.status, subscriber.frequency) == ("pending", "each")
    assert subscriber.requested_at == moment
    assert list(subscriber.topics.all()) == [lung]
    [message] = smtp_server.messages
    assert message["To"] == "reader@example.org"
    assert message["From"] == settings.DEFAULT_FROM_EMAIL
    assert "Confirm your subscription" in message["Subject"]
    assert "List-Unsubscribe" not in message
    assert f"within {settings.NEWSLETTER_CONFIRM_DAYS} days" in text_of(message)
    assert "each new article, on: Lung" in text_of(message)  # what they are agreeing to
    assert "?next=" not in confirm_path(message)  # no way back asked for, none given


def test_confirming_activates_the_links_choice_and_records_it_as_consent(
    client, tasks_inline, smtp_server
):
    lung, bile = TopicFactory(name="Lung"), TopicFactory(name="Bile duct")
    ask(client, tasks_inline, topics=[lung.pk], frequency="each", source="article")
    first = confirm_path(smtp_server.messages[0])
    ask(client, tasks_inline, topics=[bile.pk], frequency="weekly")  # someone asks again
    moment = timezone.now().replace(microsecond=0) + timedelta(minutes=5)
    with time_machine.travel(moment, tick=False):
        assert "You’re subscribed" in client.post(first).content.decode()
    subscriber = Subscriber.objects.get()
    assert (subscriber.status, subscriber.frequency) == ("active", "each")
    assert list(subscriber.topics.all()) == [lung]
    assert (subscriber.consent_at, subscriber.consent_source) == (moment, "article")
    assert subscriber.consent_topics == [lung.slug]
    with time_machine.travel(moment + timedelta(days=1), tick=False):
        client.post(first)  # twice: the first consent stands
    assert Subscriber.objects.get().consent_at == moment


def test_a_reader_who_left_confirms_again_and_is_no_longer_marked_as_left(
    client, tasks_inline, smtp_server
):
    Subscriber.objects.create(
        email="reader@example.org", status="unsubscribed", unsubscribed_at=timezone.now()
    )
    ask(client, tasks_inline)
    assert Subscriber.objects.get().status == "pending"
    client.post(confirm_path(smtp_server.messages[0]))
    subscriber = Subscriber.objects.get()
    assert (subscriber.status, subscriber.unsubscribed_at) == ("active", None)


def test_an_address_already_subscribed_is_told_so_with_its_own_links_and_nothing_changes(
    client, tasks_inline, smtp_server
):
    Subscriber.objects.create(email="reader@example.org", status="active", frequency="weekly")
    ask(client, tasks_inline, frequency="each")
    [notice] = smtp_server.messages
    body = text_of(notice)
    assert "already subscribed" in body
    assert re.search(r"/newsletter/preferences/\S+/", body)
    assert re.search(r"/newsletter/unsubscribe/\S+/", body)
    subscriber = Subscriber.objects.get()
    assert (subscriber.status, subscriber.frequency) == ("active", "weekly")


def test_the_confirmation_leads_back_to_the_page_the_reader_signed_up_on(
    client, tasks_inline, smtp_server
):
    article_path = "/articles/some-article/"
    ask(client, tasks_inline, next=article_path)
    path = confirm_path(smtp_server.messages[0])
    assert path.endswith("?next=%2Farticles%2Fsome-article%2F")
    assert f'href="{article_path}"' in client.post(path).content.decode()
