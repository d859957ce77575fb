"""The rules of a provider's tracking event (newsletter.provider_events), through the service
the webhooks' signal calls: what is recorded, which Delivery and subscriber it is about, what it
suppresses, and when soft bounces suspend an address. The webhooks themselves, posted as the
providers post them, are tested in test_provider_webhooks.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from anymail.signals import AnymailTrackingEvent

from core.models import Suppression
from newsletter.models import Delivery, DeliveryEvent, Subscriber
from newsletter.provider_events import (
    delivery_for_message,
    provider_event_record,
    tracking_received,
)
from tests.factories import UserFactory
from tests.newsletter.mailings import sent_to

pytestmark = pytest.mark.django_db

AT = datetime(2026, 12, 4, 16, 0, tzinfo=UTC)


def record(kind: str = "bounced", **fields) -> bool:
    values = {
        "provider": "postmark",
        "kind": kind,
        "event_id": "",
        "message_id": "",
        "recipient": "",
        "occurred_at": AT,
    } | fields
    return provider_event_record(**values)


def status_of(email: str) -> str:
    return Subscriber.objects.get(email=email).status


# --- What is recorded ------------------------------------------------------------------------
def test_an_event_without_ids_or_words_is_recorded_with_empty_fields():
    event = AnymailTrackingEvent(event_type="complained", timestamp=AT)
    tracking_received(sender=None, event=event, esp_name="Postmark")
    stored = DeliveryEvent.objects.get()
    assert (stored.event_id, stored.message_id, stored.recipient, stored.description) == (
        "", "", "", ""
    )  # fmt: skip
    assert stored.provider == "postmark"


def test_a_providers_answer_stands_for_a_missing_description():
    event = AnymailTrackingEvent(
        event_type="bounced", timestamp=AT, recipient="a@example.org", mta_response="550 no user"
    )
    tracking_received(sender=None, event=event, esp_name="Mailgun")
    assert DeliveryEvent.objects.get().description == "550 no user"
    assert record(kind="unsubscribed", recipient="b@example.org", event_id="e2")
    assert DeliveryEvent.objects.get(event_id="e2").description == ""


def test_long_values_are_cut_to_what_the_columns_hold():
    record(
        provider="P" * 40,
        event_id="e" * 250,
        message_id="m" * 250,
        recipient="r" * 250 + "@example.org",
        description="word " * 100,
    )
    stored = DeliveryEvent.objects.get()
    assert stored.provider == "p" * 30
    assert (len(stored.event_id), len(stored.message_id), len(stored.recipient)) == (200, 200, 254)
    assert len(stored.description) == 300
    assert stored.description.startswith("word word")  # its spaces made single
    assert not Suppression.objects.exists()  # longer than any address: nothing to suppress


def test_an_address_as_long_as_an_address_may_be_is_suppressed():
    longest = "r" * 242 + "@example.org"  # 254 characters
    record(recipient=longest)
    assert Suppression.objects.get().email == longest


def test_the_same_event_twice_is_recorded_once_and_says_so():
    assert record(event_id="once", recipient="gone@example.org") is True
    assert record(event_id="once", recipient="gone@example.org") is False
    assert DeliveryEvent.objects.count() == 1


# --- Which delivery and subscriber -----------------------------------------------------------
def test_an_event_reported_for_another_address_acts_on_the_delivery_it_names():
    """A forwarding address bounces: the provider names the address it tried, the message id
    names our delivery, and the delivery's reader is the one bounced."""
    sent = sent_to("real@example.org")
    record(message_id=sent.provider_message_id, recipient="forward@example.net")
    assert status_of("real@example.org") == "bounced"
    assert DeliveryEvent.objects.get().subscriber == sent.subscriber


def test_an_event_without_a_recipient_takes_the_address_of_its_delivery():
    sent = sent_to("real@example.org")
    record(message_id=sent.provider_message_id)
    assert DeliveryEvent.objects.get().recipient == "real@example.org"
    assert Suppression.objects.get().email == "real@example.org"


def test_an_event_with_neither_a_known_message_nor_a_recipient_is_kept_and_changes_nobody():
    sent_to("real@example.org")
    assert record(message_id="unknown-id")
    assert DeliveryEvent.objects.get().subscriber is None
    assert status_of("real@example.org") == "active"
    assert not Suppression.objects.exists()


def test_our_message_id_finds_its_delivery_only_whole(django_assert_num_queries):
    sent = sent_to("real@example.org")
    with django_assert_num_queries(2):  # by the provider's id, then by ours, with its reader
        found = delivery_for_message(sent.message_id)
        assert found.subscriber.email == "real@example.org"
    elsewhere = sent.message_id.replace("@testserver", "@elsewhere.example")
    assert delivery_for_message(elsewhere) is None


# --- What it changes -------------------------------------------------------------------------
def test_a_hard_bounce_suppresses_the_address_for_every_mail_with_its_cause():
    record(recipient="gone@example.org", description="Mailbox not found")
    suppression = Suppression.objects.get()
    assert (suppression.email, suppression.reason) == ("gone@example.org", "bounced")
    assert suppression.detail == "postmark: Mailbox not found"


def test_a_soft_bounce_or_an_unsubscribe_suppresses_nothing():
    record(kind="deferred", recipient="full@example.org", event_id="1")
    record(kind="unsubscribed", recipient="left@example.org", event_id="2")
    assert not Suppression.objects.exists()


def test_a_bounce_marks_only_a_sent_delivery_bounced_with_the_providers_words():
    sent = sent_to("gone@example.org")
    record(message_id=sent.provider_message_id, description="550 5.1.1 unknown user", event_id="1")
    sent.refresh_from_db()
    assert (sent.status, sent.last_error) == ("bounced", "550 5.1.1 unknown user")
    failed = sent_to("late@example.org", status=Delivery.Status.FAILED)
    record(message_id=failed.provider_message_id, event_id="2")
    failed.refresh_from_db()
    assert failed.status == "failed"


def test_a_second_complaint_keeps_the_date_of_the_first():
    reader = UserFactory(email="reader@example.org")
    sent = sent_to("reader@example.org", user=reader)
    other = Subscriber.objects.create(email="work@example.org", status="active", user=reader)
    record(kind="complained", message_id=sent.provider_message_id, event_id="1")
    first = Subscriber.objects.get(pk=other.pk).unsubscribed_at
    assert Subscriber.objects.get(pk=other.pk).status == "complained"  # the account's other list
    record(kind="complained", message_id=sent.provider_message_id, event_id="2",
           occurred_at=AT + timedelta(days=1))  # fmt: skip
    assert Subscriber.objects.get(pk=other.pk).unsubscribed_at == first


# --- Soft bounces ----------------------------------------------------------------------------
def soft(email: str, n: int, at: datetime, *, message: str | None = None) -> None:
    record(kind="deferred", recipient=email, event_id=f"{email}-{n}",
           message_id=message or f"msg-{email}-{n}", occurred_at=at)  # fmt: skip


def test_three_soft_bounced_messages_suspend_the_address_with_the_reason_said():
    Subscriber.objects.create(email="full@example.org", status="active")
    for n in range(3):
        soft("full@example.org", n, AT + timedelta(days=n))
    assert status_of("full@example.org") == "suspended"
    suppression = Suppression.objects.get()
    assert suppression.reason == "suspended"
    assert suppression.detail == "postmark: soft bounces on 3 messages within 30 days"


def test_only_the_readers_own_soft_bounces_count():
    for email in ("a@example.org", "b@example.org", "c@example.org"):
        Subscriber.objects.create(email=email, status="active")
    soft("a@example.org", 0, AT)
    soft("b@example.org", 0, AT)
    soft("c@example.org", 0, AT)
    assert {s.status for s in Subscriber.objects.all()} == {"active"}


def test_other_events_are_not_soft_bounces():
    Subscriber.objects.create(email="full@example.org", status="active")
    record(kind="delivered", recipient="full@example.org", event_id="d1", message_id="m1")
    record(kind="delivered", recipient="full@example.org", event_id="d2", message_id="m2")
    soft("full@example.org", 3, AT)
    assert status_of("full@example.org") == "active"
    assert not Suppression.objects.exists()


def test_a_late_report_of_an_old_soft_bounce_counts_only_what_came_before_it():
    Subscriber.objects.create(email="full@example.org", status="active")
    soft("full@example.org", 1, AT + timedelta(days=10))
    soft("full@example.org", 2, AT + timedelta(days=20))
    soft("full@example.org", 0, AT)  # reported last, dated first: alone in its 30 days
    assert status_of("full@example.org") == "active"


def test_a_complaint_from_a_reader_without_an_account_ends_their_subscription():
    sent = sent_to("solo@example.org")
    record(kind="complained", message_id=sent.provider_message_id)
    assert status_of("solo@example.org") == "complained"
