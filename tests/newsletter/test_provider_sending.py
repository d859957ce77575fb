"""The delivery engine with a provider's API (anymail) instead of SMTP: a local HTTP server
answers as Postmark's or Mailgun's API does, and each answer must end as the same SMTP answer
would: sent (with the provider's message id), bounced, retried, or the edition stopped."""

import pytest

from newsletter import delivery, services
from newsletter.models import Delivery, Edition, Subscriber
from tests.conftest import free_port, wait_for
from tests.newsletter.mailings import edition, sending, state, subscribers
from tests.provider_api import (
    POSTMARK_BAD_TOKEN,
    POSTMARK_INACTIVE,
    POSTMARK_INVALID_TO,
    POSTMARK_RATE_LIMITED,
    POSTMARK_SENDER_NOT_CONFIRMED,
    POSTMARK_SERVER_ERROR,
    POSTMARK_UNAVAILABLE,
)


def provider_ids() -> dict[str, str]:
    return dict(
        Delivery.objects.filter(status="sent").values_list(
            "subscriber__email", "provider_message_id"
        )
    )


@pytest.mark.django_db
@pytest.mark.parametrize("provider", ["postmark", "mailgun"])
def test_each_message_sent_through_a_provider_records_the_providers_message_id(provider, request):
    api = request.getfixturevalue(provider)
    subscribers(3)
    mailing = sending(edition())
    assert delivery.send_batch(edition_id=mailing.pk) == 3
    assert len(api.requests) == 3  # one API call per reader, as one SMTP transaction each
    assert provider_ids() == api.ids
    assert len(set(api.ids.values())) == 3
    assert state(mailing).status == Edition.Status.SENT


@pytest.mark.django_db
def test_a_provider_gets_our_token_and_the_list_headers(postmark, settings):
    subscribers(1)
    delivery.send_batch(edition_id=sending(edition()).pk)
    (sent,) = postmark.requests
    assert sent["path"] == "/email"
    assert sent["headers"]["X-Postmark-Server-Token"] == "server-token"
    headers = {h["Name"]: h["Value"] for h in sent["json"]["Headers"]}
    assert headers["List-Unsubscribe"].startswith("<http://testserver/newsletter/unsubscribe/")
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert sent["json"]["From"] == settings.NEWSLETTER_FROM_EMAIL
    assert "Basket trials explained" in sent["json"]["TextBody"]
    assert "Basket trials explained" in sent["json"]["HtmlBody"]


@pytest.mark.django_db
@pytest.mark.parametrize("answer", [POSTMARK_INACTIVE, POSTMARK_INVALID_TO])
def test_a_recipient_the_provider_rejects_bounces_and_the_rest_are_sent(postmark, answer):
    subscribers(4)
    postmark.answers["s2@example.org"] = answer
    mailing = sending(edition())
    delivery.send_batch(edition_id=mailing.pk)
    bounced = Delivery.objects.get(subscriber__email="s2@example.org")
    assert (bounced.status, bounced.attempts, bounced.provider_message_id) == ("bounced", 1, "")
    assert bounced.last_error.startswith("Postmark 422: ")
    assert Subscriber.objects.get(email="s2@example.org").status == Subscriber.Status.BOUNCED
    assert set(provider_ids()) == {"s0@example.org", "s1@example.org", "s3@example.org"}
    assert state(mailing).status == Edition.Status.SENT


@pytest.mark.django_db
def test_a_rejection_the_backend_is_told_to_ignore_still_bounces(postmark, settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "IGNORE_RECIPIENT_STATUS": True}
    subscribers(2)
    postmark.answers["s1@example.org"] = POSTMARK_INACTIVE
    delivery.send_batch(edition_id=sending(edition()).pk)
    assert Delivery.objects.get(subscriber__email="s1@example.org").status == "bounced"
    assert Delivery.objects.get(subscriber__email="s0@example.org").status == "sent"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "answer", [POSTMARK_SERVER_ERROR, POSTMARK_UNAVAILABLE, POSTMARK_RATE_LIMITED]
)
def test_a_provider_that_is_busy_or_failing_has_the_batch_retried_later(postmark, answer):
    subscribers(3)
    postmark.answer_all = answer
    mailing = sending(edition())
    delivery.send_batch(edition_id=mailing.pk)
    assert len(postmark.requests) == 1  # the rest of the batch waits with the first
    rows = list(Delivery.objects.order_by("pk"))
    assert {row.status for row in rows} == {"queued"}
    assert rows[0].attempts == 1
    assert rows[0].last_error.startswith(f"Postmark {answer[0]}: ")
    assert all(row.next_attempt_at > row.claimed_at for row in rows)
    assert set(Subscriber.objects.values_list("status", flat=True)) == {"active"}
    assert state(mailing).status == Edition.Status.SENDING
    postmark.answer_all = None  # the provider is back: the retry sends everything once
    Delivery.objects.update(next_attempt_at=rows[0].claimed_at)
    delivery.send_batch(edition_id=mailing.pk)
    assert len(provider_ids()) == 3
    assert state(mailing).status == Edition.Status.SENT


@pytest.mark.django_db
def test_a_provider_that_cannot_be_reached_has_the_batch_retried_later(settings):
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {
        "POSTMARK_SERVER_TOKEN": "server-token",
        "POSTMARK_API_URL": f"http://127.0.0.1:{free_port()}/",  # nothing listens there
    }
    subscribers(2)
    mailing = sending(edition())
    delivery.send_batch(edition_id=mailing.pk)
    assert set(Delivery.objects.values_list("status", flat=True)) == {"queued"}
    assert "Connection" in Delivery.objects.order_by("pk").first().last_error
    assert set(Subscriber.objects.values_list("status", flat=True)) == {"active"}
    assert state(mailing).status == Edition.Status.SENDING


@pytest.mark.django_db
@pytest.mark.parametrize("answer", [POSTMARK_BAD_TOKEN, POSTMARK_SENDER_NOT_CONFIRMED])
def test_a_provider_refusing_our_key_or_sender_stops_the_edition_and_bounces_nobody(
    postmark, answer
):
    subscribers(3)
    postmark.answer_all = answer
    mailing = sending(edition())
    delivery.send_batch(edition_id=mailing.pk)
    stopped = state(mailing)
    assert stopped.status == Edition.Status.ATTENTION
    assert stopped.stopped_reason.startswith(f"Postmark {answer[0]}: ")
    assert set(Delivery.objects.values_list("status", flat=True)) == {"queued"}
    assert set(Subscriber.objects.values_list("status", flat=True)) == {"active"}
    assert len(postmark.requests) == 1


@pytest.mark.django_db(transaction=True)
def test_sending_through_a_provider_on_a_real_worker_records_every_message_id(
    postmark, celery_worker
):
    subscribers(15)
    mailing = edition()
    assert services.edition_send(edition=mailing) == 15
    wait_for(
        lambda: state(mailing).status == Edition.Status.SENT,
        timeout=30,
        message="the edition did not finish sending",
    )
    assert provider_ids() == postmark.ids
    assert len(postmark.requests) == 15
