"""Starting, waiting and sending, from the mutation run's survivors: the worker's deadline
loop (delivery.deliver_for), editions started and handed to workers (run inline here; the
worker tests in test_engine.py prove the same on a real worker), editions that wait for their
articles, the schedule's warnings, and the figures on the edition page."""

import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.models import Article
from newsletter import delivery, ledger, selectors, services
from newsletter.models import Delivery, Edition
from tests.factories import ArticleFactory
from tests.newsletter.mailings import edition, received_per_recipient, sending, state, subscribers

pytestmark = pytest.mark.django_db


# --- The worker's loop -------------------------------------------------------------------------
def test_a_worker_sends_batch_after_batch_until_nothing_is_due(smtp_server, settings):
    settings.NEWSLETTER_BATCH_SIZE = 2
    subscribers(5)
    mailing = sending(edition())
    assert delivery.deliver_for(edition_id=mailing.pk, seconds=10) == (5, None)
    assert len(received_per_recipient(smtp_server)) == 5
    assert state(mailing).status == Edition.Status.SENT


def test_a_worker_with_no_time_left_sends_nothing_and_says_rows_are_due_now(smtp_server):
    subscribers(2)
    mailing = sending(edition())
    assert delivery.deliver_for(edition_id=mailing.pk, seconds=0) == (0, 0.0)
    assert not smtp_server.messages


@pytest.mark.parametrize(("wait", "countdown"), [(120, 120.0), (300, 300.0), (301, None)])
def test_a_worker_says_when_to_come_back_for_a_retry_within_five_minutes(
    wait, countdown, smtp_server
):
    subscribers(1)
    mailing = sending(edition())
    moment = timezone.now().replace(microsecond=0)
    Delivery.objects.update(next_attempt_at=moment + timedelta(seconds=wait))
    with time_machine.travel(moment, tick=False):
        assert delivery.deliver_for(edition_id=mailing.pk, seconds=5) == (0, countdown)


def test_when_to_come_back_is_about_this_edition_only():
    subscribers(1)
    quiet, busy = sending(edition()), sending(edition())
    Delivery.objects.filter(edition=quiet).update(status=Delivery.Status.SENT)
    assert ledger.seconds_until_due(edition_id=quiet.pk) is None
    assert ledger.seconds_until_due(edition_id=busy.pk) == 0


# --- Starting an edition -----------------------------------------------------------------------
def test_starting_an_edition_dates_it_clears_its_reason_and_workers_send_it(
    smtp_server, tasks_inline
):
    subscribers(3)
    mailing = edition()
    Edition.objects.filter(pk=mailing.pk).update(stopped_reason="Waiting for an article")
    moment = timezone.now().replace(microsecond=0)
    with time_machine.travel(moment, tick=False), tasks_inline():
        assert services.edition_send(edition=mailing) == 3
    mailing = state(mailing)
    assert (mailing.started_at, mailing.stopped_reason) == (moment, "")
    assert mailing.status == Edition.Status.SENT  # handed to the (inline) workers and sent
    assert len(received_per_recipient(smtp_server)) == 3


def test_a_sent_edition_is_never_started_again(smtp_server, tasks_inline):
    subscribers(2)
    mailing = edition()
    with tasks_inline():
        services.edition_send(edition=mailing)
    first = state(mailing).started_at
    with tasks_inline():
        services.edition_send(edition=mailing)
    assert state(mailing).started_at == first
    assert len(smtp_server.messages) == 2


def test_resumed_and_retried_editions_go_to_the_workers(smtp_server, tasks_inline):
    subscribers(2)
    stopped, finished = sending(edition()), sending(edition())
    Edition.objects.filter(pk=stopped.pk).update(status=Edition.Status.ATTENTION)
    Delivery.objects.filter(edition=finished).update(status=Delivery.Status.FAILED)
    Edition.objects.filter(pk=finished.pk).update(status=Edition.Status.FAILURES)
    with tasks_inline():
        services.edition_resume(edition=stopped)
        services.edition_retry_failed(edition=finished)
    assert (state(stopped).status, state(finished).status) == ("sent", "sent")
    assert len(smtp_server.messages) == 4


# --- Waiting for articles ----------------------------------------------------------------------
def test_a_scheduled_edition_waits_for_its_articles_and_tells_the_editors_once(
    smtp_server, tasks_inline, admin_user
):
    subscribers(1)
    waiting, ready = edition(), edition()
    waiting.featured.add(
        ArticleFactory(title="Embargoed B", status=Article.Status.DRAFT, published_at=None),
        ArticleFactory(title="Embargoed A", status=Article.Status.IN_REVIEW, published_at=None),
    )
    due = timezone.now() - timedelta(minutes=1)
    Edition.objects.filter(pk__in=[waiting.pk, ready.pk]).update(
        status=Edition.Status.SCHEDULED, scheduled_at=due
    )
    with tasks_inline():
        assert services.scheduled_editions_send() == [ready.pk]
        assert services.scheduled_editions_send() == []
    reason = (
        "Waiting for “Embargoed A”, “Embargoed B” to be public: the edition goes out once they are."
    )
    assert (state(waiting).status, state(waiting).stopped_reason) == ("scheduled", reason)
    notices = smtp_server.to(admin_user.email)
    assert len(notices) == 1
    assert reason in notices[0].get_body(("plain",)).get_content()
    assert state(ready).stopped_reason == ""


def test_only_the_edition_that_waits_is_marked_waiting_and_its_reason_fits_its_column(
    tasks_inline, smtp_server, admin_user
):
    subscribers(1)
    waiting, later = edition(), edition()
    for letter in "AB":
        waiting.featured.add(
            ArticleFactory(title=letter * 200, status=Article.Status.DRAFT, published_at=None)
        )
    Edition.objects.filter(pk=waiting.pk).update(
        status=Edition.Status.SCHEDULED, scheduled_at=timezone.now() - timedelta(minutes=1)
    )
    Edition.objects.filter(pk=later.pk).update(
        status=Edition.Status.SCHEDULED, scheduled_at=timezone.now() + timedelta(days=1)
    )
    with tasks_inline():
        services.scheduled_editions_send()
    reason = state(waiting).stopped_reason
    assert len(reason) == 300
    [notice] = smtp_server.messages  # the editors' notice, saying the same
    assert "Not sent yet" in notice["Subject"]
    lines = notice.get_body(("plain",)).get_content().splitlines()
    assert reason in lines  # the whole stored reason, on its own line
    assert state(later).stopped_reason == ""  # not due, not waiting for anything


# --- Scheduling --------------------------------------------------------------------------------
def test_scheduling_warns_of_exactly_the_articles_that_will_not_be_public_by_then():
    at = timezone.now().replace(microsecond=0) + timedelta(days=1)
    mailing = Edition.objects.create(subject="Later")
    articles = {
        "draft": ArticleFactory(title="Draft", status="draft", published_at=None),
        "review": ArticleFactory(title="In review", status="review", published_at=None),
        "after": ArticleFactory(title="After", status="scheduled", published_at=at + timedelta(1)),
        "on_time": ArticleFactory(title="On time", status="scheduled", published_at=at),
        "live": ArticleFactory(title="Live"),
    }
    mailing.featured.set(articles.values())
    late = services.edition_schedule(edition=mailing, at=at)
    assert sorted(a.title for a in late) == ["After", "Draft", "In review"]
    assert (state(mailing).status, state(mailing).scheduled_at) == ("scheduled", at)


def test_a_sent_edition_cannot_be_scheduled_again():
    mailing = Edition.objects.create(subject="Gone", status=Edition.Status.SENT)
    services.edition_schedule(edition=mailing, at=timezone.now() + timedelta(days=1))
    assert (state(mailing).status, state(mailing).scheduled_at) == ("sent", None)


# --- What the edition page shows ---------------------------------------------------------------
def test_the_featured_articles_are_listed_newest_first_then_by_title():
    day = timezone.now() - timedelta(days=1)
    mailing = Edition.objects.create(subject="Order")
    mailing.featured.set([
        ArticleFactory(title="Older", published_at=day - timedelta(days=1)),
        ArticleFactory(title="Same day B", published_at=day),
        ArticleFactory(title="Same day A", published_at=day),
    ])  # fmt: skip
    titles = [a.title for a in selectors.featured_articles(mailing)]
    assert titles == ["Same day A", "Same day B", "Older"]


def test_the_progress_counts_waiting_rows_resends_and_a_percentage():
    subscribers(4)
    mailing = sending(edition())
    rows = list(mailing.deliveries.order_by("pk"))
    Delivery.objects.filter(pk=rows[0].pk).update(status="sent", resent=True)
    Delivery.objects.filter(pk=rows[1].pk).update(status="sending")
    progress = selectors.edition_progress(Edition.objects.get(pk=mailing.pk))
    assert (progress["waiting"], progress["resent"], progress["total"]) == (3, 1, 4)
    assert progress["percent"] == 25
    empty = Edition.objects.create(subject="Nobody")
    assert selectors.edition_progress(Edition.objects.get(pk=empty.pk))["percent"] == 0


# --- Who is still in the audience, and how fast ------------------------------------------------
def test_a_reader_who_left_after_the_start_is_skipped_and_the_ledger_says_why(smtp_server):
    from newsletter.models import Subscriber

    subscribers(3)
    mailing = sending(edition())
    Subscriber.objects.filter(email="s1@example.org").update(status="unsubscribed")
    moment = timezone.now().replace(microsecond=0) + timedelta(seconds=1)
    with time_machine.travel(moment, tick=False):
        assert delivery.send_batch(edition_id=mailing.pk) == 3
    skipped = mailing.deliveries.get(subscriber__email="s1@example.org")
    assert (skipped.status, skipped.claim, skipped.lease_until) == ("skipped", "", None)
    assert skipped.last_error == "no longer in the audience"
    assert set(received_per_recipient(smtp_server)) == {"s0@example.org", "s2@example.org"}
    sent = mailing.deliveries.get(subscriber__email="s0@example.org")
    assert (sent.status, sent.handed_at, sent.lease_until) == ("sent", None, None)
    mailing = state(mailing)
    assert (mailing.status, mailing.finished_at) == (Edition.Status.SENT, moment)


def test_a_batch_covers_about_ten_seconds_at_the_configured_rate(settings):
    settings.NEWSLETTER_BATCH_SIZE = 100
    settings.NEWSLETTER_RATE_PER_SECOND = 0
    assert delivery.batch_size() == 100  # no limit: the configured size
    settings.NEWSLETTER_RATE_PER_SECOND = 3
    assert delivery.batch_size() == 30
    settings.NEWSLETTER_RATE_PER_SECOND = 50
    assert delivery.batch_size() == 100  # never more than the configured size


def test_the_send_rate_holds_across_batches_in_one_second_windows(smtp_server, settings):
    settings.NEWSLETTER_RATE_PER_SECOND = 4
    subscribers(10)
    mailing = sending(edition())
    delivery.deliver_for(edition_id=mailing.pk, seconds=10)
    times = sorted(e.received_at for e in smtp_server.envelopes)
    assert len(times) == 10
    per_second = Counter(int(moment) for moment in times)
    assert max(per_second.values()) <= 4 + 1  # one that arrived just after its window
    assert times[-1] - times[0] > 1.0  # 10 at 4 a second take more than two windows


def test_exactly_the_configured_rate_goes_out_in_one_second_and_the_next_waits_for_the_next(
    settings,
):
    """Drawn at the worker, not timed at the server: `rate` messages may go at once in one
    second, and the one after them waits for the next second, not longer."""
    settings.NEWSLETTER_RATE_PER_SECOND = 3
    lease = delivery.Lease(edition_id=0, claim="", until=None)
    second = int(time.time()) + 2
    with time_machine.travel(second + 0.001, tick=True):
        for _ in range(3):
            delivery.wait_for_send_slot(lease)
        assert int(time.time()) == second  # three at once, nobody waited
        waiting = threading.Thread(target=delivery.wait_for_send_slot, args=(lease,), daemon=True)
        waiting.start()
        waiting.join(timeout=3)
        assert not waiting.is_alive()  # the fourth went in the next second...
        assert int(time.time()) == second + 1  # ...and no later


# --- What a batch leaves behind when things go wrong -------------------------------------------
def test_a_batch_of_an_edition_that_is_not_sending_claims_nothing():
    subscribers(1)
    mailing = sending(edition())
    Edition.objects.filter(pk=mailing.pk).update(status=Edition.Status.ATTENTION)
    assert delivery.send_batch(edition_id=mailing.pk) == 0
    assert set(mailing.deliveries.values_list("status", flat=True)) == {"queued"}


@pytest.mark.parametrize("bad", [0, 2, delivery.RECORD_EVERY + 2])
def test_a_row_handed_to_the_server_when_the_worker_died_is_marked_possibly_sent(bad, smtp_server):
    from newsletter.models import Subscriber

    subscribers(delivery.RECORD_EVERY + 5)
    mailing = sending(edition())
    Subscriber.objects.filter(email=f"s{bad}@example.org").update(email=f"s{bad}@exa mple.org")
    with pytest.raises(ValueError, match="Invalid address"):
        delivery.send_batch(edition_id=mailing.pk, size=delivery.RECORD_EVERY + 5)
    # The worker is gone; its lease runs out and the sweep gives the row back.
    Delivery.objects.filter(status="sending").update(
        lease_until=timezone.now() - timedelta(seconds=1)
    )
    assert ledger.requeue_expired() == 1
    row = mailing.deliveries.get(subscriber__email=f"s{bad}@exa mple.org")
    assert (row.status, row.resent) == ("queued", True)


def test_a_temporary_refusal_of_the_message_holds_the_rest_of_the_batch_for_later(
    smtp_server, settings
):
    subscribers(3)
    mailing = sending(edition())
    smtp_server.defer_data = 1  # 451 to the first message, then fine
    before = timezone.now()
    delivery.send_batch(edition_id=mailing.pk, size=3)
    rows = list(mailing.deliveries.all())
    assert {row.status for row in rows} == {"queued"}
    assert all(row.next_attempt_at > before for row in rows)  # nobody is tried again at once
    first_retry = timedelta(seconds=settings.NEWSLETTER_RETRY_BASE_SECONDS)
    assert all(row.next_attempt_at <= timezone.now() + first_retry for row in rows)
    assert all(row.lease_until is None and row.claim == "" for row in rows)
    assert not smtp_server.messages


def test_a_mail_server_that_cannot_be_reached_means_a_retry_for_the_whole_batch(settings):
    from tests.conftest import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    subscribers(2)
    mailing = sending(edition())
    assert delivery.send_batch(edition_id=mailing.pk) == 2
    rows = list(mailing.deliveries.all())
    assert {(row.status, row.attempts) for row in rows} == {("queued", 1)}
    assert all(row.last_error for row in rows)  # what the connection said, for the editor
    assert state(mailing).status == Edition.Status.SENDING  # not a refusal: it carries on


@pytest.mark.django_db(transaction=True)
def test_an_edition_cancelled_while_its_message_is_refused_stays_cancelled(smtp_server):
    subscribers(2)
    mailing = sending(edition())
    smtp_server.refuse_data = "554 5.7.1 Message refused"
    # The editor cancels while the server has the message; then the server refuses it.
    smtp_server.on_data = lambda: services.edition_cancel(edition=state(mailing))
    delivery.send_batch(edition_id=mailing.pk, size=2)
    mailing = state(mailing)
    assert mailing.status == Edition.Status.CANCELLED  # not "needs attention" after all
    assert "554" not in mailing.stopped_reason
    assert set(mailing.deliveries.values_list("status", flat=True)) == {"cancelled"}


# --- The sweep, and a send rate that cannot be held --------------------------------------------
def test_the_sweep_gives_back_a_dead_workers_rows_and_hands_the_edition_on(
    smtp_server, tasks_inline
):
    subscribers(3)
    mailing = sending(edition())
    ledger.claim_batch(edition_id=mailing.pk, size=3)  # a worker that died with them
    Delivery.objects.update(lease_until=timezone.now() - timedelta(seconds=1))
    with tasks_inline():
        assert services.deliveries_recover() == 3
    assert state(mailing).status == Edition.Status.SENT  # the inline worker sent them all
    assert len(received_per_recipient(smtp_server)) == 3


def test_without_the_shared_rate_counter_a_batch_waits_then_gives_its_rows_back(
    smtp_server, settings
):
    from tests.conftest import free_port

    settings.NEWSLETTER_RATE_PER_SECOND = 5
    settings.CACHES = {
        "default": {  # a Redis that is not there: the counter cannot be drawn
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        }
    }
    subscribers(2)
    mailing = sending(edition())
    claimed, _ = delivery.deliver_for(edition_id=mailing.pk, seconds=1.5)
    assert claimed == 2
    rows = list(mailing.deliveries.all())
    assert {(row.status, row.claim, row.attempts) for row in rows} == {("queued", "", 0)}
    assert not smtp_server.messages  # nothing is sent faster than the rate allows


@pytest.mark.django_db(transaction=True)
def test_a_batch_that_outlasts_its_lease_keeps_its_rows_through_the_sweep(smtp_server, settings):
    """A slow batch (here: a low send rate) renews its lease as it goes, so the sweep, run
    while every message is in the server's hands, never gives its rows to another worker,
    and each reader gets the message once."""
    settings.NEWSLETTER_LEASE_SECONDS = 2  # renewed every third of a second
    settings.NEWSLETTER_RATE_PER_SECOND = 2  # eight messages span four one-second windows: 3 s+
    subscribers(8)
    mailing = sending(edition())
    swept = []
    smtp_server.on_data = lambda: swept.append(ledger.requeue_expired())
    assert delivery.send_batch(edition_id=mailing.pk, size=8) == 8
    assert swept == [0] * 8
    assert set(mailing.deliveries.values_list("status", "resent")) == {("sent", False)}
    assert set(received_per_recipient(smtp_server).values()) == {1}


def test_a_session_the_server_refuses_stops_the_edition_for_an_editor_with_its_reason(
    smtp_server, settings
):
    """Our credentials configured, a server that offers no AUTH: every reader would meet
    the same refusal, so nobody is tried, bounced or retried, and the editor reads why."""
    settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = "driverline", "secret"
    subscribers(2)
    mailing = sending(edition())
    assert delivery.send_batch(edition_id=mailing.pk) == 2
    mailing = state(mailing)
    assert mailing.status == Edition.Status.ATTENTION
    assert "AUTH" in mailing.stopped_reason
    rows = set(mailing.deliveries.values_list("status", "attempts", "claim"))
    assert rows == {("queued", 0, "")}
    assert not smtp_server.messages


def test_sent_rows_are_recorded_in_groups_one_update_for_each(smtp_server):
    subscribers(2 * delivery.RECORD_EVERY)
    mailing = sending(edition())
    with CaptureQueriesContext(connection) as queries:
        delivery.send_batch(edition_id=mailing.pk, size=2 * delivery.RECORD_EVERY)
    rows = [q["sql"] for q in queries if q["sql"].startswith('UPDATE "newsletter_delivery" SET')]
    handed = [sql for sql in rows if 'SET "handed_at" = \'' in sql]
    sent = [sql for sql in rows if "SET \"status\" = 'sent'" in sql]
    assert (len(handed), len(sent)) == (2, 2)
    assert set(mailing.deliveries.values_list("status", flat=True)) == {"sent"}
