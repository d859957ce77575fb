"""The delivery engine against a real SMTP server and a real Celery worker: claims, leases,
the sweep, the send rate, retries, bounces and refusals."""

import re
import threading
from collections import Counter
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.utils import timezone

from newsletter import delivery, ledger, selectors, services
from newsletter.models import Delivery, Edition, Subscriber
from tests.conftest import wait_for
from tests.factories import TopicFactory, UserFactory
from tests.newsletter.mailings import (
    assert_list_mail,
    edition,
    received_per_recipient,
    sending,
    subscribers,
)


@pytest.mark.django_db
def test_deliveries_are_created_in_bulk_once_per_subscriber():
    subscribers(250)
    Subscriber.objects.create(email="gone@example.org", status="unsubscribed")
    mailing = edition()
    assert ledger.deliveries_create(edition=mailing) == 250
    assert ledger.deliveries_create(edition=mailing) == 250  # nothing doubled


@pytest.mark.django_db
def test_topic_audiences_include_readers_who_chose_every_topic():
    topic, other = TopicFactory(), TopicFactory()
    fans = Subscriber.objects.create(email="fan@example.org", status="active")
    fans.topics.add(topic)
    Subscriber.objects.create(email="all@example.org", status="active")
    elsewhere = Subscriber.objects.create(email="other@example.org", status="active")
    elsewhere.topics.add(other)
    mailing = edition()
    mailing.audience_topics.add(topic)
    assert set(selectors.audience(mailing).values_list("email", flat=True)) == {
        "fan@example.org",
        "all@example.org",
    }


@pytest.mark.django_db
def test_second_claim_never_takes_a_claimed_row():
    subscribers(30)
    mailing = edition()
    ledger.deliveries_create(edition=mailing)
    first = ledger.claim_batch(edition_id=mailing.pk, size=20)
    second = ledger.claim_batch(edition_id=mailing.pk, size=20)
    assert len(first) == 20
    assert len(second) == 10
    assert not {d.pk for d in first} & {d.pk for d in second}


@pytest.mark.django_db
def test_every_newsletter_mail_carries_list_headers_and_both_parts(smtp_server, settings):
    subscribers(3)
    mailing = edition()
    ledger.deliveries_create(edition=mailing)
    Edition.objects.filter(pk=mailing.pk).update(status="sending")
    assert delivery.send_batch(edition_id=mailing.pk) == 3
    message = smtp_server.wait_for_message("s1@example.org")
    assert_list_mail(message, settings)
    subscriber = Subscriber.objects.get(email="s1@example.org")
    assert message["Message-ID"] == f"<edition-{mailing.pk}.{subscriber.pk}@testserver>"
    recorded = Delivery.objects.get(edition=mailing, subscriber=subscriber)
    assert recorded.message_id == message["Message-ID"]
    assert recorded.attempts == 1
    assert recorded.sent_at is not None
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Basket trials explained" in text
    assert "/newsletter/unsubscribe/" in text  # a visible unsubscribe link in the body
    assert "<em>Hello</em>" in html
    assert "__DRIVERLINE" not in html + text
    # The stylesheet is inlined: clients that drop <style> still show the design, and only the
    # small-screen media query is left in a <style> block.
    assert re.search(r"<h1 style=\"[^\"]*font-size: 24px", html)
    assert re.search(
        r'<a href="http://testserver/newsletter/unsubscribe/[^"]+" style="[^"]*color', html
    )
    styles = re.findall(r"<style[^>]*>(.*?)</style>", html, re.S)
    assert len(styles) == 1
    assert styles[0].strip().startswith("@media")
    mailing.refresh_from_db()
    assert mailing.status == Edition.Status.SENT
    assert Delivery.objects.filter(status="sent").count() == 3


@pytest.mark.django_db
def test_temporary_failures_retry_then_deliver_with_attempts_recorded(smtp_server, settings):
    settings.NEWSLETTER_RETRY_BASE_SECONDS = 0
    smtp_server.defer_data = 2
    subscribers(4)
    mailing = sending(edition())
    for _ in range(10):
        if not delivery.send_batch(edition_id=mailing.pk):
            break
    assert set(received_per_recipient(smtp_server).values()) == {1}
    assert len(received_per_recipient(smtp_server)) == 4
    assert Delivery.objects.filter(status="sent").count() == 4
    assert max(Delivery.objects.values_list("attempts", flat=True)) >= 2
    assert smtp_server.deferred == 2


@pytest.mark.django_db
def test_permanent_refusals_bounce_the_subscriber_and_the_rest_are_delivered(smtp_server):
    subscribers(5)
    smtp_server.refuse = {"s2@example.org"}
    mailing = sending(edition())
    delivery.send_batch(edition_id=mailing.pk)
    assert Subscriber.objects.get(email="s2@example.org").status == Subscriber.Status.BOUNCED
    bounced = Delivery.objects.get(subscriber__email="s2@example.org")
    assert (bounced.status, bounced.attempts) == ("bounced", 1)
    assert "550" in bounced.last_error
    assert len(received_per_recipient(smtp_server)) == 4
    # A bounced address is never mailed again.
    assert not selectors.audience(edition()).filter(email="s2@example.org").exists()


@pytest.mark.django_db(transaction=True)
def test_two_workers_sending_one_edition_send_each_message_once(smtp_server, settings):
    settings.NEWSLETTER_BATCH_SIZE = 7
    subscribers(120)
    mailing = sending(edition())

    def worker():
        try:
            while delivery.send_batch(edition_id=mailing.pk):
                pass
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    counts = received_per_recipient(smtp_server)
    assert len(counts) == 120
    assert set(counts.values()) == {1}


@pytest.mark.django_db(transaction=True)
def test_sending_an_edition_on_a_real_worker_reaches_everyone(smtp_server, celery_worker):
    subscribers(40)
    mailing = edition()
    assert services.edition_send(edition=mailing) == 40
    wait_for(
        lambda: Edition.objects.get(pk=mailing.pk).status == Edition.Status.SENT,
        timeout=30,
        message="the edition did not finish sending",
    )
    assert len(received_per_recipient(smtp_server)) == 40
    assert services.edition_send(edition=mailing) == 40  # pressing send again does nothing
    assert sum(received_per_recipient(smtp_server).values()) == 40


@pytest.mark.django_db
def test_claims_whose_lease_ran_out_are_requeued_and_handed_ones_marked_resent(settings):
    subscribers(3)
    mailing = sending(edition())
    claimed = ledger.claim_batch(edition_id=mailing.pk, size=3)
    ledger.mark_handed(claimed[:1])  # the worker had given one to the server, then died
    lease = timedelta(seconds=settings.NEWSLETTER_LEASE_SECONDS)
    with time_machine.travel(timezone.now() + lease - timedelta(seconds=1), tick=False):
        assert ledger.requeue_expired() == 0  # the lease still runs
    with time_machine.travel(timezone.now() + lease + timedelta(seconds=1), tick=False):
        assert ledger.requeue_expired() == 3
    assert Delivery.objects.filter(status="queued", claim="").count() == 3
    assert list(Delivery.objects.filter(resent=True)) == [claimed[0]]


@pytest.mark.django_db
def test_a_working_worker_renews_its_lease_and_the_sweep_leaves_it_alone(settings):
    subscribers(2)
    mailing = sending(edition())
    claimed = ledger.claim_batch(edition_id=mailing.pk, size=2)
    lease = delivery.Lease(edition_id=mailing.pk, claim=claimed[0].claim, until=None)
    later = timezone.now() + timedelta(seconds=settings.NEWSLETTER_LEASE_SECONDS - 1)
    lease.renewed -= settings.NEWSLETTER_LEASE_SECONDS  # monotonic: time-machine leaves it be
    with time_machine.travel(later, tick=False):
        lease.keep_alive()
    with time_machine.travel(later + timedelta(seconds=5), tick=False):
        assert ledger.requeue_expired() == 0
        assert Delivery.objects.filter(status="sending").count() == 2


@pytest.mark.django_db
def test_the_sweep_hands_over_only_editions_with_rows_due_and_nobody_on_them():
    subscribers(4)
    moving, lost, waiting = sending(edition()), sending(edition()), sending(edition())
    Delivery.objects.filter(edition=waiting).update(
        next_attempt_at=timezone.now() + timedelta(hours=1)
    )
    ledger.claim_batch(edition_id=moving.pk, size=2)  # a worker is on it right now
    assert ledger.editions_to_dispatch() == [lost.pk]
    assert ledger.editions_to_dispatch() == []  # not twice within a minute
    with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=False):
        # Nobody came (the tasks were lost again): handed over again. The moving edition's
        # lease has run out by now too.
        assert sorted(ledger.editions_to_dispatch()) == sorted([lost.pk, moving.pk])


@pytest.mark.django_db(transaction=True)
def test_the_send_rate_holds_across_parallel_tasks(smtp_server, celery_worker, settings):
    settings.NEWSLETTER_RATE_PER_SECOND = 10
    settings.NEWSLETTER_PARALLEL_TASKS = 2
    subscribers(25)
    mailing = edition()
    services.edition_send(edition=mailing)
    wait_for(
        lambda: Edition.objects.get(pk=mailing.pk).status == Edition.Status.SENT,
        timeout=30,
        message="the edition did not finish sending",
    )
    assert len(received_per_recipient(smtp_server)) == 25
    # 25 messages at 10 a second fill at least three one-second windows: the first and the
    # last message arrive more than a second apart (unlimited, within milliseconds).
    ours = set(Subscriber.objects.values_list("email", flat=True))
    times = sorted(e.received_at for e in smtp_server.envelopes if set(e.rcpt_tos) & ours)
    assert times[-1] - times[0] > 1.0
    per_second = Counter(int(t) for t in times)
    assert max(per_second.values()) <= 10 + 1  # a message that arrived just after its window


@pytest.mark.parametrize("refusal", ["sender", "message"])
@pytest.mark.django_db
def test_a_refused_sender_or_message_bounces_nobody_and_stops_the_edition(
    refusal, smtp_server, admin_user
):
    subscribers(6)
    mailing = sending(edition())
    if refusal == "sender":
        smtp_server.refuse_senders = {"newsletter@localhost"}
    else:
        smtp_server.refuse_data = "554 5.3.4 Message too big for system"
    delivery.send_batch(edition_id=mailing.pk)
    mailing.refresh_from_db()
    assert mailing.status == Edition.Status.ATTENTION
    assert mailing.stopped_reason.startswith(("550 5.7.1", "554 5.3.4"))
    assert set(Subscriber.objects.values_list("status", flat=True)) == {"active"}
    assert set(Delivery.objects.values_list("status", "attempts")) == {("queued", 0)}
    assert delivery.send_batch(edition_id=mailing.pk) == 0  # stopped: nothing more is claimed
    assert services.edition_resume(edition=mailing)
    smtp_server.refuse_senders, smtp_server.refuse_data = set(), ""
    delivery.send_batch(edition_id=mailing.pk)
    assert len(received_per_recipient(smtp_server)) == 6
    assert Edition.objects.get(pk=mailing.pk).status == Edition.Status.SENT


@pytest.mark.django_db
def test_account_mail_refused_for_our_sender_is_not_retried_and_bounces_nobody(smtp_server):
    from django.core.mail import EmailMessage

    from core.mail import Fault, MailDeferred, MailRefused, deliver

    smtp_server.refuse_senders = {"accounts@localhost"}
    with pytest.raises(MailRefused) as refused:
        deliver(EmailMessage("Hi", "Body", "accounts@localhost", ["reader@example.org"]))
    assert refused.value.fault is Fault.REFUSED
    smtp_server.refuse_senders, smtp_server.refuse = set(), {"gone@example.org"}
    with pytest.raises(MailRefused) as bounced:
        deliver(EmailMessage("Hi", "Body", "accounts@localhost", ["gone@example.org"]))
    assert bounced.value.fault is Fault.RECIPIENT_REFUSED
    smtp_server.refuse, smtp_server.defer_data = set(), 1
    with pytest.raises(MailDeferred):
        deliver(EmailMessage("Hi", "Body", "accounts@localhost", ["reader@example.org"]))


def test_retry_delays_double_from_the_base_with_jitter_up_to_the_cap(settings):
    settings.NEWSLETTER_RETRY_BASE_SECONDS = 60
    settings.NEWSLETTER_RETRY_MAX_SECONDS = 3600
    for attempts, ceiling in [(1, 60), (2, 120), (3, 240), (7, 3600), (30, 3600)]:
        delays = {ledger.retry_delay(attempts).total_seconds() for _ in range(50)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays), (attempts, delays)
        assert len(delays) > 1  # jittered: workers that failed together don't return together


@pytest.mark.django_db
def test_failures_past_the_retry_budget_end_the_edition_with_failures_and_can_be_retried(
    smtp_server, admin_client, settings
):
    settings.NEWSLETTER_RETRY_BASE_SECONDS = 0
    subscribers(4)
    gone = Subscriber.objects.create(email="gone@example.org", status="active")
    mailing = sending(edition())
    smtp_server.defer_data = 1000  # a long outage
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(10):
            delivery.send_batch(edition_id=mailing.pk)
    assert Delivery.objects.filter(status="queued").count() == 5  # still retrying
    later = start + timedelta(hours=settings.NEWSLETTER_RETRY_MAX_HOURS, minutes=1)
    with time_machine.travel(later, tick=False):
        for _ in range(10):
            delivery.send_batch(edition_id=mailing.pk)
    mailing.refresh_from_db()
    assert mailing.status == Edition.Status.FAILURES
    assert Delivery.objects.filter(status="failed").count() == 5
    page = admin_client.get(f"/admin/newsletter/edition/{mailing.pk}/change/").content.decode()
    assert "Sent, with failures" in page
    assert "Retry failed deliveries" in page

    # The outage is over; one reader left meanwhile and must not be touched.
    Subscriber.objects.filter(pk=gone.pk).update(status="unsubscribed")
    smtp_server.defer_data = 0
    admin_client.post(f"/admin/newsletter/edition/{mailing.pk}/retry-failed/")
    assert Edition.objects.get(pk=mailing.pk).status == Edition.Status.SENDING
    assert Delivery.objects.get(subscriber=gone).status == "failed"
    delivery.send_batch(edition_id=mailing.pk)
    assert set(received_per_recipient(smtp_server)) == {f"s{n}@example.org" for n in range(4)}
    assert Edition.objects.get(pk=mailing.pk).status == Edition.Status.FAILURES  # gone's row


@pytest.mark.django_db
def test_a_send_task_comes_back_only_for_a_sending_edition_with_rows_waiting():
    subscribers(2)
    mailing = sending(edition())
    assert ledger.seconds_until_due(edition_id=mailing.pk) == 0
    Delivery.objects.update(next_attempt_at=timezone.now() + timedelta(seconds=90))
    assert 80 < ledger.seconds_until_due(edition_id=mailing.pk) <= 90
    Edition.objects.filter(pk=mailing.pk).update(status="attention")
    assert ledger.seconds_until_due(edition_id=mailing.pk) is None  # waits for its editor
    Edition.objects.filter(pk=mailing.pk).update(status="sending")
    Delivery.objects.update(status="sent")
    assert ledger.seconds_until_due(edition_id=mailing.pk) is None


@pytest.mark.django_db(transaction=True)
def test_readers_who_leave_or_change_their_choices_mid_send_are_skipped(
    smtp_server, celery_worker, client, settings
):
    lung, bile = TopicFactory(name="Lung"), TopicFactory(name="Bile duct")
    stay, leave, bounced, moved = (
        Subscriber.objects.create(email=f"{name}@example.org", status="active")
        for name in ("stay", "leave", "bounced", "moved")
    )
    for reader in (stay, leave, bounced, moved):
        reader.topics.add(lung)
    mailing = edition()
    mailing.audience_topics.add(lung)
    sending(mailing)  # started: one row each
    from newsletter.tokens import LinkKind, link_token

    token = link_token(subscriber=leave, kind=LinkKind.UNSUBSCRIBE)
    assert client.post(f"/newsletter/unsubscribe/{token}/").status_code == 200  # one click
    Subscriber.objects.filter(pk=bounced.pk).update(status="bounced")  # on another edition
    moved.topics.set([bile])  # now follows only another topic
    from newsletter.tasks import edition_deliver

    edition_deliver.delay(mailing.pk)
    wait_for(lambda: Edition.objects.get(pk=mailing.pk).status == "sent", timeout=30)
    assert set(received_per_recipient(smtp_server)) == {"stay@example.org"}
    skipped = Delivery.objects.filter(edition=mailing, status="skipped")
    assert set(skipped.values_list("subscriber__email", flat=True)) == {
        "leave@example.org",
        "bounced@example.org",
        "moved@example.org",
    }
    page = Client()
    page.force_login(UserFactory(is_staff=True, is_superuser=True))
    progress = page.get(f"/admin/newsletter/edition/{mailing.pk}/progress/").content.decode()
    assert "Skipped <strong>3</strong>" in progress
