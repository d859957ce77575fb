"""The providers' tracking webhooks, posted as Postmark and Mailgun post them: authenticated
events change the subscriber and are recorded against their Delivery once; anything
unauthenticated or unreadable gets a 4xx and changes nothing."""

import json
import uuid

import pytest

from newsletter import delivery, ledger, selectors, services
from newsletter.models import Delivery, DeliveryEvent, Edition, Subscriber
from tests.factories import UserFactory
from tests.newsletter.mailings import edition, sending, sent_to, subscribers
from tests.newsletter.webhook_posts import (
    MAILGUN_SIGNING_KEY,
    WEBHOOK_SECRET,
    basic_auth,
    mailgun_event,
    post,
    postmark_bounce,
    postmark_subscription_change,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def webhooks_configured(settings):
    settings.ANYMAIL = {
        "WEBHOOK_SECRET": WEBHOOK_SECRET,
        "MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_SIGNING_KEY,
    }


def status_of(email: str) -> str:
    return Subscriber.objects.get(email=email).status


def test_a_postmark_hard_bounce_bounces_the_address_and_shows_on_the_edition(admin_client):
    sent = sent_to("gone@example.org")
    answer = post(admin_client, "postmark", postmark_bounce(
        email="gone@example.org", message_id=sent.provider_message_id))  # fmt: skip
    assert answer.status_code == 200
    assert status_of("gone@example.org") == Subscriber.Status.BOUNCED
    sent.refresh_from_db()
    assert sent.status == Delivery.Status.BOUNCED
    (event,) = sent.events.all()
    assert (event.kind, event.provider, event.subscriber_id) == (
        "bounced",
        "postmark",
        sent.subscriber_id,
    )
    assert event.event_id == "4323372036854775807"
    page = admin_client.get(f"/admin/newsletter/edition/{sent.edition_id}/change/")
    html = page.content.decode()
    assert "What the mail provider reported" in html
    assert "The server was unable to deliver your message" in html


def test_a_mailgun_permanent_failure_finds_the_delivery_by_our_message_id(client):
    sent = sent_to("gone@example.org")
    payload = mailgun_event(email="gone@example.org", message_id=sent.message_id)
    assert post(client, "mailgun", payload).status_code == 200
    assert status_of("gone@example.org") == Subscriber.Status.BOUNCED
    assert DeliveryEvent.objects.get().delivery == sent


@pytest.mark.parametrize("provider", ["postmark", "mailgun"])
def test_a_complaint_takes_the_reader_off_every_list_at_once(client, provider):
    reader = UserFactory(email="angry@example.org")
    sent = sent_to("angry@example.org", user=reader)
    Subscriber.objects.create(email="angry.old@example.org", status="active", user=reader)
    assert selectors.audience(edition()).filter(user=reader).count() == 2
    payload = (
        postmark_bounce(email=reader.email, message_id=sent.provider_message_id, kind="SpamComplaint")
        if provider == "postmark"
        else mailgun_event(email=reader.email, message_id=sent.message_id, event="complained")
    )  # fmt: skip
    assert post(client, provider, payload).status_code == 200
    both = Subscriber.objects.filter(user=reader)
    assert set(both.values_list("status", flat=True)) == {Subscriber.Status.COMPLAINED}
    assert all(row.unsubscribed_at for row in both)
    for kind in Edition.Kind.values:  # no edition, alert or digest reaches them again
        mailing = edition()
        Edition.objects.filter(pk=mailing.pk).update(kind=kind)
        mailing.refresh_from_db()
        assert not selectors.audience(mailing).filter(user=reader).exists()


def test_soft_bounces_on_three_messages_in_thirty_days_suspend_the_address(client):
    def soft_bounce(at: str, event_id: int) -> int:
        sent = sent_to("full@example.org")
        return post(client, "postmark", postmark_bounce(
            email="full@example.org", message_id=sent.provider_message_id, kind="SoftBounce",
            event_id=event_id, at=at)).status_code  # fmt: skip

    assert soft_bounce("2026-10-01T08:00:00Z", 1) == 200  # more than 30 days before the third
    assert soft_bounce("2026-11-20T08:00:00Z", 2) == 200
    assert soft_bounce("2026-12-04T08:00:00Z", 3) == 200
    assert status_of("full@example.org") == Subscriber.Status.ACTIVE  # two within 30 days
    assert soft_bounce("2026-12-05T08:00:00Z", 4) == 200
    assert status_of("full@example.org") == Subscriber.Status.SUSPENDED
    assert DeliveryEvent.objects.filter(kind="deferred").count() == 4
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}  # not bounced


def test_a_providers_retries_of_one_message_count_as_one_soft_bounce(client):
    sent = sent_to("full@example.org")
    for minute in range(4):  # Mailgun reports each of its retries, each with its own token
        payload = mailgun_event(email="full@example.org", message_id=sent.message_id,
                                severity="temporary", timestamp=1764866000.0 + 60 * minute)  # fmt: skip
        assert post(client, "mailgun", payload).status_code == 200
    assert DeliveryEvent.objects.filter(kind="deferred").count() == 4
    assert status_of("full@example.org") == Subscriber.Status.ACTIVE


@pytest.mark.parametrize("provider", ["postmark", "mailgun"])
def test_an_unsubscribe_at_the_provider_unsubscribes(client, provider):
    sent = sent_to("done@example.org")
    payload = (
        postmark_subscription_change(email="done@example.org", message_id=sent.provider_message_id)
        if provider == "postmark"
        else mailgun_event(email="done@example.org", message_id=sent.message_id, event="unsubscribed")
    )  # fmt: skip
    assert post(client, provider, payload).status_code == 200
    reader = Subscriber.objects.get(email="done@example.org")
    assert reader.status == Subscriber.Status.UNSUBSCRIBED
    assert reader.unsubscribed_at is not None


def test_the_same_event_posted_twice_changes_nothing_the_second_time(client):
    sent = sent_to("done@example.org")
    change = postmark_subscription_change(
        email="done@example.org", message_id=sent.provider_message_id
    )
    assert post(client, "postmark", change).status_code == 200
    services.subscription_from_account(
        user=UserFactory(email="done@example.org"), frequency="weekly"
    )
    assert status_of("done@example.org") == Subscriber.Status.ACTIVE  # they came back
    assert post(client, "postmark", change).status_code == 200  # the provider posts it again
    assert status_of("done@example.org") == Subscriber.Status.ACTIVE
    # An event with the provider's id: a soft bounce posted three times is one soft bounce.
    soft = postmark_bounce(email="done@example.org", message_id=sent.provider_message_id,
                           kind="SoftBounce", event_id=77)  # fmt: skip
    for _ in range(3):
        assert post(client, "postmark", soft).status_code == 200
    assert DeliveryEvent.objects.count() == 2
    assert status_of("done@example.org") == Subscriber.Status.ACTIVE


def test_an_event_about_mail_we_cannot_match_still_acts_on_the_address(client):
    Subscriber.objects.create(email="reader@example.org", status="active")
    bounce = postmark_bounce(email="Reader@Example.org", message_id=str(uuid.uuid4()))
    assert post(client, "postmark", bounce).status_code == 200  # an account mail, say
    assert status_of("reader@example.org") == Subscriber.Status.BOUNCED
    assert DeliveryEvent.objects.get().delivery is None


def test_opens_and_clicks_are_not_kept(client):
    sent = sent_to("reader@example.org")
    opened = {"RecordType": "Open", "MessageID": sent.provider_message_id, "Recipient": "reader@example.org",
              "ReceivedAt": "2026-12-04T10:00:00Z", "FirstOpen": True}  # fmt: skip
    assert post(client, "postmark", opened).status_code == 200
    assert not DeliveryEvent.objects.exists()


UNAUTHENTICATED = {
    "no basic auth": ("postmark", {}, None),
    "wrong basic auth": ("postmark", basic_auth("driverline-hooks:guess"), None),
    "mailgun, no basic auth": ("mailgun", {}, None),
    "mailgun, wrong signature": ("mailgun", None, "key-somebody-else"),
}


@pytest.mark.parametrize(
    ("provider", "auth", "signing_key"), UNAUTHENTICATED.values(), ids=UNAUTHENTICATED
)
def test_an_unauthenticated_post_is_refused_and_changes_nothing(
    client, provider, auth, signing_key
):
    sent = sent_to("reader@example.org")
    payload = (
        postmark_bounce(email="reader@example.org", message_id=sent.provider_message_id)
        if provider == "postmark"
        else mailgun_event(email="reader@example.org", message_id=sent.message_id,
                           key=signing_key or MAILGUN_SIGNING_KEY)
    )  # fmt: skip
    assert post(client, provider, payload, auth=auth).status_code == 403
    assert status_of("reader@example.org") == Subscriber.Status.ACTIVE
    assert not DeliveryEvent.objects.exists()


@pytest.mark.parametrize(
    ("provider", "missing"),
    [("postmark", "WEBHOOK_SECRET"), ("mailgun", "WEBHOOK_SECRET"), ("mailgun", "MAILGUN_WEBHOOK_SIGNING_KEY")],
)  # fmt: skip
def test_a_webhook_without_its_secrets_configured_refuses_every_post(
    client, settings, provider, missing
):
    del settings.ANYMAIL[missing]
    sent = sent_to("reader@example.org")
    payload = (
        postmark_bounce(email="reader@example.org", message_id=sent.provider_message_id)
        if provider == "postmark"
        else mailgun_event(email="reader@example.org", message_id=sent.message_id)
    )
    assert post(client, provider, payload).status_code == 403
    assert status_of("reader@example.org") == Subscriber.Status.ACTIVE
    assert not DeliveryEvent.objects.exists()


@pytest.mark.parametrize(
    ("provider", "body"),
    [
        ("postmark", "{not json"),
        ("postmark", json.dumps(["a", "list"])),
        ("postmark", b"\xff\xfe"),
        ("mailgun", "{not json"),
    ],
)
def test_an_unreadable_post_is_a_400_and_changes_nothing(client, provider, body):
    sent_to("reader@example.org")
    assert post(client, provider, body).status_code in (400, 403)
    if provider == "postmark":  # Mailgun's signature is read from the body: a 403 there
        assert post(client, provider, body).status_code == 400
    assert not DeliveryEvent.objects.exists()
    assert status_of("reader@example.org") == Subscriber.Status.ACTIVE


def test_the_webhooks_take_only_posts(client):
    assert client.get("/anymail/postmark/tracking/", **basic_auth()).status_code == 405


def test_a_reader_who_complained_mid_send_is_skipped(client, smtp_server):
    subscribers(3)
    mailing = sending(edition())
    earlier = sent_to("s1@example.org")  # an earlier edition, about which they complain now
    complaint = postmark_bounce(email="s1@example.org", message_id=earlier.provider_message_id,
                                kind="SpamComplaint")  # fmt: skip
    assert post(client, "postmark", complaint).status_code == 200
    delivery.send_batch(edition_id=mailing.pk)
    skipped = Delivery.objects.get(edition=mailing, subscriber__email="s1@example.org")
    assert skipped.status == Delivery.Status.SKIPPED
    assert {r for e in smtp_server.envelopes for r in e.rcpt_tos} == {
        "s0@example.org",
        "s2@example.org",
    }


def test_suspended_and_complained_readers_get_no_new_edition():
    subscribers(2)
    Subscriber.objects.create(email="suspended@example.org", status="suspended")
    Subscriber.objects.create(email="complained@example.org", status="complained")
    assert ledger.deliveries_create(edition=edition()) == 2
