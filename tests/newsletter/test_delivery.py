"""The delivery engine against a real SMTP server and a real Celery worker."""

import re
import threading
from collections import Counter
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from articles.models import Article
from newsletter import delivery, ledger, selectors, services
from newsletter.models import Delivery, Edition, Subscriber
from tests.conftest import wait_for
from tests.factories import ArticleFactory, TopicFactory, UserFactory


def subscribers(count: int, **fields) -> list[Subscriber]:
    return Subscriber.objects.bulk_create(
        Subscriber(email=f"s{n}@example.org", status="active", **fields) for n in range(count)
    )


def edition(**fields) -> Edition:
    edition = Edition.objects.create(subject="This week in precision oncology", intro="*Hello*")
    edition.featured.add(ArticleFactory(title="Basket trials explained"))
    return edition


def sending(mailing: Edition) -> Edition:
    """The edition as edition_send leaves it, without queuing tasks: rows created, sending."""
    ledger.deliveries_create(edition=mailing)
    Edition.objects.filter(pk=mailing.pk).update(status="sending")
    return mailing


def received_per_recipient(smtp_server) -> Counter:
    """Messages per subscriber. Other addresses are left out: a mail queued by an earlier test
    (an account or comment notice) can still reach this test's SMTP port from the worker."""
    subscribers = set(Subscriber.objects.values_list("email", flat=True))
    return Counter(
        rcpt
        for envelope in smtp_server.envelopes
        for rcpt in envelope.rcpt_tos
        if rcpt in subscribers
    )


def assert_list_mail(message, settings) -> None:
    """What every newsletter mail carries, whatever its kind, as the SMTP server got it."""
    assert message["From"] == settings.NEWSLETTER_FROM_EMAIL
    # Long headers are folded onto a continuation line; the fold is not part of the value.
    unsubscribe = message["List-Unsubscribe"].strip()
    assert unsubscribe.startswith("<http://testserver/newsletter/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "newsletter.testserver" in message["List-Id"]
    assert message["Message-ID"].startswith("<edition-")
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert unsubscribe[1:-1] in text  # the same link, visible in the body
    assert "/newsletter/preferences/" in text
    assert "/newsletter/preferences/" in html
    assert 'style="' in html


@pytest.mark.django_db
def test_deliveries_are_created_in_bulk_once_per_subscriber():
    subscribers(250)
    Subscriber.objects.create(email="gone@example.org", status="unsubscribed")
    mailing = edition()
    assert ledger.deliveries_create(edition=mailing, chunk=100) == 250
    assert ledger.deliveries_create(edition=mailing, chunk=100) == 250  # nothing doubled


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


@pytest.mark.django_db(transaction=True)
def test_an_editor_sends_an_edition_from_the_admin_after_seeing_the_audience(
    admin_client, smtp_server, celery_worker
):
    subscribers(12)
    mailing = edition()
    base = {"action": "send_now", "_selected_action": [mailing.pk]}
    confirm = admin_client.post("/admin/newsletter/edition/", base)
    assert "12 subscribers" in confirm.content.decode()
    assert Edition.objects.get(pk=mailing.pk).status == Edition.Status.DRAFT
    admin_client.post("/admin/newsletter/edition/", {**base, "confirm": "1"})
    wait_for(lambda: Edition.objects.get(pk=mailing.pk).status == "sent", timeout=30)
    listing = admin_client.get("/admin/newsletter/edition/").content.decode()
    assert "100 % · 12 sent, 0 failed, 0 bounced, 0 waiting, of 12" in listing
    admin_client.post(
        "/admin/newsletter/edition/", {"action": "send_test", "_selected_action": [mailing.pk]}
    )
    test_copy = wait_for(lambda: [m for m in smtp_server.messages if "[TEST]" in m["Subject"]])
    assert "List-Unsubscribe" not in test_copy[0]


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
    from datetime import UTC, date, datetime, timedelta

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
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

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


@pytest.mark.django_db
def test_sent_editions_are_in_the_public_archive_and_linked_from_the_mail(client, smtp_server):
    subscribers(1)
    draft = Edition.objects.create(subject="Not sent yet")
    mailing = edition()
    ledger.deliveries_create(edition=mailing)
    Edition.objects.filter(pk=mailing.pk).update(status="sending", started_at=mailing.created_at)
    delivery.send_batch(edition_id=mailing.pk)
    listing = client.get("/newsletter/archive/").content.decode()
    assert "This week in precision oncology" in listing
    assert "Not sent yet" not in listing
    page = client.get(f"/newsletter/archive/{mailing.pk}/").content.decode()
    assert "<em>Hello</em>" in page
    assert "Basket trials explained" in page
    assert client.get(f"/newsletter/archive/{draft.pk}/").status_code == 404
    text = smtp_server.wait_for_message("s0@example.org").get_body(("plain",)).get_content()
    assert f"View in your browser: http://testserver/newsletter/archive/{mailing.pk}/" in text


@pytest.mark.django_db
def test_the_edition_list_costs_the_same_queries_for_many_editions(admin_client):
    from django.test.utils import CaptureQueriesContext

    subscribers(3)
    first = edition()
    ledger.deliveries_create(edition=first)
    with CaptureQueriesContext(connection) as one:
        admin_client.get("/admin/newsletter/edition/")
    for _ in range(5):
        ledger.deliveries_create(edition=edition())
    with CaptureQueriesContext(connection) as six:
        page = admin_client.get("/admin/newsletter/edition/").content.decode()
    assert len(one) == len(six)
    assert "0 % · 0 sent, 0 failed, 0 bounced, 3 waiting, of 3" in page


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

    from config.mail import Fault, MailDeferred, MailRefused, deliver

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
    wait_for(lambda: Edition.objects.get(pk=alert_id).status == "cancelled", timeout=30)
    assert not received_per_recipient(smtp_server)
    assert set(Delivery.objects.filter(edition_id=alert_id).values_list("status", flat=True)) == {
        "cancelled"
    }


@pytest.mark.django_db
def test_each_article_in_the_mail_has_a_read_link_and_its_reading_time(smtp_server):
    subscribers(1)
    mailing = Edition.objects.create(subject="Week 49", intro="Two reads.")
    article = ArticleFactory(title="Basket trials explained", slug="basket-trials")
    Article.objects.filter(pk=article.pk).update(reading_minutes=7)
    mailing.featured.add(article)
    sending(mailing)
    delivery.send_batch(edition_id=mailing.pk)

    message = smtp_server.wait_for_message("s0@example.org")
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Read (7 min): http://testserver/articles/basket-trials/" in text
    read = re.search(
        r'<a href="http://testserver/articles/basket-trials/"[^>]*>Read the article</a> · 7 min read',
        html,
    )
    assert read, html
