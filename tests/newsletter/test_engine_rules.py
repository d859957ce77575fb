"""Rules of the delivery engine that a mutation run found unguarded, each through the public
engine (send_batch, the sweep, alerts_create, digest_create) and a real SMTP server."""

import time
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from articles.models import Article
from newsletter import delivery, ledger, services
from newsletter.models import Delivery, Edition, Subscriber
from tests.factories import ArticleFactory
from tests.newsletter.mailings import state

pytestmark = pytest.mark.django_db


def readers(count: int, **fields) -> list[Subscriber]:
    return Subscriber.objects.bulk_create(
        Subscriber(email=f"r{n}@example.org", status="active", **fields) for n in range(count)
    )


def sending(**fields) -> Edition:
    mailing = Edition.objects.create(subject="Rules", **fields)
    ledger.deliveries_create(edition=mailing)
    Edition.objects.filter(pk=mailing.pk).update(status="sending")
    return mailing


def statuses() -> dict[str, str]:
    return dict(Delivery.objects.values_list("subscriber__email", "status"))


def arrived(smtp_server) -> list[str]:
    return [r for envelope in smtp_server.envelopes for r in envelope.rcpt_tos]


# --- The sweep -------------------------------------------------------------------------------
def test_the_sweep_never_requeues_a_row_that_is_not_sending(settings):
    readers(3)
    mailing = sending()
    claimed = ledger.claim_batch(edition_id=mailing.pk, size=3)
    expired = timezone.now() - timedelta(seconds=1)
    Delivery.objects.update(lease_until=expired)
    Delivery.objects.filter(pk=claimed[0].pk).update(status="sent")
    Delivery.objects.filter(pk=claimed[1].pk).update(status="bounced")
    assert ledger.requeue_expired() == 1
    assert sorted(statuses().values()) == ["bounced", "queued", "sent"]


def test_the_claim_leaves_rows_whose_retry_is_not_due_yet():
    readers(3)
    mailing = sending()
    later = timezone.now() + timedelta(minutes=5)
    Delivery.objects.filter(subscriber__email="r0@example.org").update(next_attempt_at=later)
    claimed = ledger.claim_batch(edition_id=mailing.pk, size=10)
    assert sorted(d.subscriber.email for d in claimed) == ["r1@example.org", "r2@example.org"]
    with time_machine.travel(later + timedelta(seconds=1), tick=False):
        [due] = ledger.claim_batch(edition_id=mailing.pk, size=10)
    assert due.subscriber.email == "r0@example.org"


# --- Recording results: only the claim that holds a row may record it -------------------------
LATE_RECORDS = {
    "sent": lambda row: ledger.mark_sent([row]),
    "retry": lambda row: ledger.mark_retry(row, "451 late"),
    "bounced": lambda row: ledger.mark_bounced(row, "550 late"),
    "handed": lambda row: ledger.mark_handed([row]),
    "released": lambda row: ledger.release([row], reason="given back late"),
}


def record_late(mark: str, row: Delivery) -> None:
    """What a worker records about a row it claimed, arriving after things moved on."""
    LATE_RECORDS[mark](row)


@pytest.mark.parametrize("mark", LATE_RECORDS)
def test_a_worker_whose_claim_was_taken_over_records_nothing_over_the_new_claim(mark):
    readers(1)
    mailing = sending()
    [old] = ledger.claim_batch(edition_id=mailing.pk, size=1)
    # The old worker froze, its lease ran out, and another worker claimed the row again.
    Delivery.objects.update(lease_until=timezone.now() - timedelta(seconds=1))
    ledger.requeue_expired()
    [new] = ledger.claim_batch(edition_id=mailing.pk, size=1)
    record_late(mark, old)
    row = Delivery.objects.get()
    assert (row.status, row.claim, row.attempts, row.last_error) == ("sending", new.claim, 0, "")
    assert row.handed_at is None  # the new worker has not handed it to the server yet
    assert Subscriber.objects.get().status == "active"


@pytest.mark.parametrize("mark", LATE_RECORDS)
def test_a_final_state_is_never_overwritten_by_a_late_record(mark):
    readers(1)
    mailing = sending()
    [row] = ledger.claim_batch(edition_id=mailing.pk, size=1)
    ledger.mark_sent([row])
    record_late(mark, row)
    recorded = Delivery.objects.get()
    assert (recorded.status, recorded.attempts, recorded.last_error) == ("sent", 1, "")
    assert (recorded.handed_at, recorded.claim) == (None, row.claim)


def test_a_success_after_a_retry_clears_the_last_error(smtp_server, settings):
    settings.NEWSLETTER_RETRY_BASE_SECONDS = 0
    readers(1)
    mailing = sending()
    smtp_server.defer_data = 1
    delivery.send_batch(edition_id=mailing.pk)
    assert Delivery.objects.get().last_error.startswith("451")
    delivery.send_batch(edition_id=mailing.pk)
    row = Delivery.objects.get()
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, "")


# --- What the server says ----------------------------------------------------------------------
def test_a_temporary_refusal_of_one_recipient_is_retried_and_never_a_bounce(smtp_server):
    readers(3)
    mailing = sending()
    smtp_server.defer_rcpt = {"r1@example.org": 1}
    delivery.send_batch(edition_id=mailing.pk)
    deferred = Delivery.objects.get(subscriber__email="r1@example.org")
    assert (deferred.status, deferred.attempts) == ("queued", 1)
    assert deferred.last_error.startswith("451")
    assert Subscriber.objects.get(email="r1@example.org").status == "active"
    # The connection was fine: the others in the batch went out in the same session.
    assert sorted(arrived(smtp_server)) == ["r0@example.org", "r2@example.org"]


def test_a_permanent_refusal_bounces_only_that_reader(smtp_server):
    readers(3)
    mailing = sending()
    smtp_server.refuse = {"r1@example.org"}
    delivery.send_batch(edition_id=mailing.pk)
    assert statuses() == {
        "r0@example.org": "sent",
        "r1@example.org": "bounced",
        "r2@example.org": "sent",
    }
    assert dict(Subscriber.objects.values_list("email", "status"))["r1@example.org"] == "bounced"


def test_a_dropped_connection_is_a_retry_and_the_rest_of_the_batch_goes_back_unsent(
    smtp_server, settings
):
    readers(6)
    mailing = sending()
    smtp_server.stop_after = 2  # the server hangs up after two messages
    delivery.send_batch(edition_id=mailing.pk)
    counts = {}
    for status in statuses().values():
        counts[status] = counts.get(status, 0) + 1
    assert counts == {"sent": 2, "queued": 4}
    tried = Delivery.objects.filter(status="queued", attempts=1)
    assert tried.count() == 1  # the one in hand when the line dropped, as a retry
    assert tried.get().next_attempt_at > timezone.now()
    untried = Delivery.objects.filter(status="queued", attempts=0)
    assert untried.count() == 3  # released, not sent over the dead connection
    assert not untried.filter(claim__gt="").exists()
    assert len(arrived(smtp_server)) == 2


def test_an_unexpected_error_mid_batch_gives_back_the_rows_not_yet_tried(smtp_server):
    readers(4)
    mailing = sending()
    Subscriber.objects.filter(email="r2@example.org").update(email="r2@exa mple.org")
    with pytest.raises(ValueError, match="Invalid address"):
        delivery.send_batch(edition_id=mailing.pk, size=4)
    assert Delivery.objects.filter(status="sent").count() == 2  # recorded despite the error
    # The rows after the bad one are queued again, unclaimed; the bad one's own fate is
    # left to its lease (it never reached the server, but the engine cannot know that).
    assert Delivery.objects.filter(status="queued", claim="").count() == 1
    assert Delivery.objects.filter(status="sending").count() == 1


# --- Giving up ---------------------------------------------------------------------------------
def test_temporary_failures_are_retried_until_the_budget_and_not_a_moment_longer(
    smtp_server, settings
):
    settings.NEWSLETTER_RETRY_BASE_SECONDS = 60
    settings.NEWSLETTER_RETRY_MAX_SECONDS = 60
    settings.NEWSLETTER_RETRY_MAX_HOURS = 1
    readers(1)
    mailing = sending()
    smtp_server.defer_data = 10_000
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        delivery.send_batch(edition_id=mailing.pk)
    row = Delivery.objects.get()
    assert row.retry_until == start + timedelta(hours=1)
    # Retry delays are 30 to 60 s here: a retry that would still land inside the hour is
    # scheduled; the first one that would land after it fails the row instead.
    with time_machine.travel(start + timedelta(minutes=58), tick=False):
        Delivery.objects.update(next_attempt_at=timezone.now())
        delivery.send_batch(edition_id=mailing.pk)
        assert Delivery.objects.get().status == "queued"
    with time_machine.travel(start + timedelta(minutes=59, seconds=31), tick=False):
        Delivery.objects.update(next_attempt_at=timezone.now())
        delivery.send_batch(edition_id=mailing.pk)
    row = Delivery.objects.get()
    assert row.status == "failed"
    assert row.retry_until == start + timedelta(hours=1)  # the budget never moved


# --- Cancelling --------------------------------------------------------------------------------
def test_a_cancelled_edition_sends_none_of_the_rows_given_back_to_it(smtp_server, settings):
    readers(5)
    mailing = sending()
    claimed = ledger.claim_batch(edition_id=mailing.pk, size=2)
    services.edition_cancel(edition=mailing)
    ledger.release(claimed)  # the worker that held them gives them back
    assert delivery.send_batch(edition_id=mailing.pk) == 0
    assert set(statuses().values()) == {"cancelled"}
    assert not arrived(smtp_server)


# --- Alerts ------------------------------------------------------------------------------------
def test_alerts_are_made_for_recent_public_articles_only(smtp_server):
    now = timezone.now()
    recent = ArticleFactory(title="Recent", published_at=now - timedelta(days=1))
    ArticleFactory(title="Old", published_at=now - timedelta(days=3))
    ArticleFactory(title="Draft", status=Article.Status.DRAFT, published_at=None)
    ArticleFactory(title="Later", status=Article.Status.SCHEDULED, published_at=now + timedelta(1))
    started = services.alerts_create()
    assert [Edition.objects.get(pk=pk).article for pk in started] == [recent]


def test_an_article_with_a_digest_still_gets_its_alert_and_only_one():
    article = ArticleFactory(title="In this week's digest")
    digest = Edition.objects.create(kind=Edition.Kind.DIGEST, subject="Digest", period="2026-W48")
    digest.featured.add(article)
    Edition.objects.create(kind=Edition.Kind.EDITION, subject="An edition", article=article)
    [alert] = services.alerts_create()
    assert Edition.objects.get(pk=alert).kind == Edition.Kind.ALERT
    assert Edition.objects.get(pk=alert).article == article
    assert services.alerts_create() == []


def test_an_alert_features_its_article_and_is_addressed_to_its_topics():
    from tests.factories import TopicFactory

    topic = TopicFactory()
    article = ArticleFactory(title="With topics", topics=[topic])
    [alert_id] = services.alerts_create()
    alert = Edition.objects.get(pk=alert_id)
    assert list(alert.featured.all()) == [article]
    assert list(alert.audience_topics.all()) == [topic]
    assert "With topics" in alert.subject


# --- The weekly digest -------------------------------------------------------------------------
WEEK_47_MONDAY = datetime(2026, 11, 16, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("published", "included"),
    [
        (WEEK_47_MONDAY, True),  # the first instant of the week
        (WEEK_47_MONDAY - timedelta(microseconds=1), False),  # the Sunday before
        (WEEK_47_MONDAY + timedelta(days=7) - timedelta(microseconds=1), True),  # its last
        (WEEK_47_MONDAY + timedelta(days=7), False),  # the next Monday
    ],
)
def test_the_digest_covers_exactly_last_iso_week(published, included, settings):
    settings.TIME_ZONE = "UTC"
    readers(1, frequency="weekly")
    ArticleFactory(title="Edge", published_at=published)
    # Any day of week 48 builds week 47's digest.
    for today in (date(2026, 11, 23), date(2026, 11, 26), date(2026, 11, 29)):
        Edition.objects.filter(kind=Edition.Kind.DIGEST).delete()
        digest_id = services.digest_create(today=today)
        assert (digest_id is not None) is included, today
        if included:
            digest = Edition.objects.get(pk=digest_id)
            assert digest.period == "2026-W47"
            assert [a.title for a in digest.featured.all()] == ["Edge"]


def test_the_digest_leaves_out_articles_that_are_not_public(settings):
    readers(1, frequency="weekly")
    wednesday = WEEK_47_MONDAY + timedelta(days=2)
    ArticleFactory(title="Public", published_at=wednesday)
    ArticleFactory(title="Pulled", status=Article.Status.DRAFT, published_at=wednesday)
    digest = Edition.objects.get(pk=services.digest_create(today=date(2026, 11, 23)))
    assert [a.title for a in digest.featured.all()] == ["Public"]


# --- What the automatic editions say -----------------------------------------------------------
def test_an_alert_is_titled_with_the_site_and_the_article_and_previews_its_standfirst(settings):
    ArticleFactory(title="A new approval", standfirst="What changed for NRG1 fusions.")
    alert = Edition.objects.get(pk=services.alerts_create()[0])
    assert alert.subject == f"New on {settings.SITE_NAME}: A new approval"
    assert alert.preheader == "What changed for NRG1 fusions."


@pytest.mark.parametrize(("count", "subject"), [(1, "1 new article"), (2, "2 new articles")])
def test_the_digest_counts_its_articles_in_its_subject(count, subject, settings):
    readers(1, frequency="weekly")
    for n in range(count):
        ArticleFactory(published_at=WEEK_47_MONDAY + timedelta(days=1, hours=n))
    digest = Edition.objects.get(pk=services.digest_create(today=date(2026, 11, 23)))
    assert digest.subject == f"{settings.SITE_NAME} weekly: {subject}"
    assert digest.preheader == "The week’s new articles in the topics you follow."


# --- An alert whose article went off the site --------------------------------------------------
def test_an_unpublished_articles_alert_is_cancelled_alone_with_its_reason_and_date(smtp_server):
    from articles.services import article_unpublish

    readers(3, frequency="each")
    pulled, kept = ArticleFactory(title="Pulled"), ArticleFactory(title="Kept")
    services.alerts_create()
    alert = Edition.objects.get(article=pulled)
    other = Edition.objects.get(article=kept)
    Delivery.objects.filter(edition=alert, subscriber__email="r0@example.org").update(
        status=Delivery.Status.SENT
    )  # it had already reached one reader
    article_unpublish(article=pulled)
    moment = timezone.now().replace(microsecond=0) + timedelta(minutes=1)
    with time_machine.travel(moment, tick=False):
        assert delivery.send_batch(edition_id=alert.pk, size=1) == 1
    alert.refresh_from_db()
    assert alert.status == Edition.Status.CANCELLED
    assert alert.stopped_reason == (
        "The article was unpublished before the alert had gone to everyone."
    )
    assert alert.finished_at == moment
    by_reader = dict(alert.deliveries.values_list("subscriber__email", "status"))
    assert by_reader == {"r0@example.org": "sent", "r1@example.org": "cancelled",
                         "r2@example.org": "cancelled"}  # fmt: skip
    other.refresh_from_db()
    assert other.status == Edition.Status.SENDING  # the other article's alert goes on
    assert set(other.deliveries.values_list("status", flat=True)) == {"queued"}
    assert not arrived(smtp_server)
    assert delivery.send_batch(edition_id=other.pk) == 3
    assert len(arrived(smtp_server)) == 3


@pytest.mark.parametrize(
    ("today", "period"),
    [
        (date(2026, 1, 12), "2026-W02"),  # a one-digit week, padded: periods sort as text
        (date(2026, 1, 5), "2026-W01"),  # the week began in December: ISO's year, not the date's
    ],
)
def test_the_digest_period_is_the_iso_week_it_covers(today, period, settings):
    settings.TIME_ZONE = "UTC"
    readers(1, frequency="weekly")
    monday = datetime.combine(today - timedelta(days=7), datetime.min.time(), tzinfo=UTC)
    ArticleFactory(published_at=monday + timedelta(hours=10))
    digest = Edition.objects.get(pk=services.digest_create(today=today))
    assert digest.period == period


def test_the_digest_is_addressed_to_the_topics_of_its_articles_only(settings):
    from tests.factories import TopicFactory

    lung, bile, quiet = TopicFactory(), TopicFactory(), TopicFactory()
    readers(1, frequency="weekly")
    ArticleFactory(topics=[lung, bile], published_at=WEEK_47_MONDAY + timedelta(days=1))
    ArticleFactory(topics=[lung], published_at=WEEK_47_MONDAY + timedelta(days=2))
    ArticleFactory(topics=[quiet], published_at=WEEK_47_MONDAY - timedelta(days=3))
    digest = Edition.objects.get(pk=services.digest_create(today=date(2026, 11, 23)))
    assert sorted(t.pk for t in digest.audience_topics.all()) == sorted([lung.pk, bile.pk])
    assert digest.featured.count() == 2


# --- What a row holds after each record --------------------------------------------------------
LONG_REASON = "451 4.3.0 " + "busy " * 100  # servers can say a lot; the column keeps 300


def test_a_retry_due_exactly_when_the_budget_ends_is_still_tried(settings):
    settings.NEWSLETTER_RETRY_BASE_SECONDS = 0  # no backoff: the next attempt is now
    readers(1)
    mailing = sending()
    moment = timezone.now().replace(microsecond=0) + timedelta(seconds=1)
    with time_machine.travel(moment, tick=False):
        [row] = ledger.claim_batch(edition_id=mailing.pk, size=1)
        Delivery.objects.filter(pk=row.pk).update(retry_until=moment)
        row.refresh_from_db()
        ledger.mark_retry(row, "451 busy")
    row.refresh_from_db()
    assert (row.status, row.next_attempt_at, row.retry_until) == ("queued", moment, moment)


def test_a_retried_row_is_let_go_by_its_worker_with_the_servers_words_kept():
    readers(1)
    mailing = sending()
    [row] = ledger.claim_batch(edition_id=mailing.pk, size=1)
    ledger.mark_handed([row])
    ledger.mark_retry(row, LONG_REASON)
    row.refresh_from_db()
    assert row.status == "queued"
    assert (row.claim, row.handed_at, row.lease_until) == ("", None, None)
    assert row.last_error == LONG_REASON[:300]
    assert len(row.last_error) == 300


def test_a_bounced_row_is_let_go_by_its_worker_with_the_servers_words_kept():
    readers(1)
    mailing = sending()
    [row] = ledger.claim_batch(edition_id=mailing.pk, size=1)
    ledger.mark_handed([row])
    ledger.mark_bounced(row, "550 5.1.1 " + "unknown " * 60)
    row.refresh_from_db()
    assert row.status == "bounced"
    assert (row.handed_at, row.lease_until) == (None, None)
    assert len(row.last_error) == 300


def test_the_sweep_gives_back_a_handed_row_as_possibly_sent_and_no_longer_handed():
    readers(2)
    mailing = sending()
    handed, quiet = ledger.claim_batch(edition_id=mailing.pk, size=2)
    ledger.mark_handed([handed])
    Delivery.objects.update(lease_until=timezone.now() - timedelta(seconds=1))
    assert ledger.requeue_expired() == 2
    handed.refresh_from_db()
    quiet.refresh_from_db()
    assert (handed.status, handed.handed_at, handed.resent, handed.claim) == (
        "queued",
        None,
        True,
        "",
    )
    assert (quiet.status, quiet.resent) == ("queued", False)


def test_the_sweep_cancels_what_it_gives_back_to_a_cancelled_edition_and_nothing_else():
    readers(3)
    cancelled = sending()
    going = sending()
    [sent, lost, _] = ledger.claim_batch(edition_id=cancelled.pk, size=3)
    ledger.mark_sent([sent])
    services.edition_cancel(edition=cancelled)
    Delivery.objects.filter(pk=lost.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    ledger.requeue_expired()
    by_row = dict(cancelled.deliveries.values_list("pk", "status"))
    assert by_row[sent.pk] == "sent"  # a final state stays final
    assert by_row[lost.pk] == "cancelled"  # not back in a queue nobody will send
    assert set(going.deliveries.values_list("status", flat=True)) == {"queued"}


# --- A refusal of the message or the sender: the edition stops -----------------------------------
def test_a_refused_message_stops_after_one_try_and_only_its_own_edition(smtp_server):
    readers(3)
    refused, other = sending(), sending()
    smtp_server.refuse_data = "554 5.7.1 " + "Message refused as spam. " * 20
    delivery.send_batch(edition_id=refused.pk, size=3)
    assert len(smtp_server.tried) == 1  # no second reader tried over a refused sender
    refused.refresh_from_db()
    other.refresh_from_db()
    assert refused.status == Edition.Status.ATTENTION
    assert len(refused.stopped_reason) == 300  # the server's words, to the column's size
    assert other.status == Edition.Status.SENDING  # another edition is not stopped with it
    rows = refused.deliveries
    # The row that was refused goes back with the server's answer; nobody's status changed.
    tried = rows.get(subscriber__email=smtp_server.tried[0])
    assert (tried.status, tried.claim, tried.attempts) == ("queued", "", 0)
    assert tried.last_error.startswith("554 5.7.1 Message refused as spam.")
    assert set(rows.values_list("status", flat=True)) == {"queued"}


def test_an_edition_whose_rows_have_all_gone_out_is_not_handed_to_the_workers_again():
    readers(2)
    done, lost = sending(), sending()
    for row in ledger.claim_batch(edition_id=done.pk, size=2):
        ledger.mark_sent([row])  # its finish is not recorded yet: it still says "sending"
    # Its rows were due long ago and nobody holds them, but none is waiting to be sent.
    assert ledger.editions_to_dispatch() == [lost.pk]


# --- The edition page's list of deliveries -----------------------------------------------------
def test_the_edition_page_lists_deliveries_in_trouble_first_then_the_latest_sent():
    from newsletter import selectors

    # Rows in the same trouble keep the order they were made in, failed or bounced alike.
    names = [
        "failed", "bounced", "failed_later", "bounced_later",
        "resent", "retrying", "sent_old", "sent_after_retry", "waiting",
    ]  # fmt: skip
    Subscriber.objects.bulk_create(
        Subscriber(email=f"{name}@example.org", status="active") for name in names
    )
    mailing = sending()
    now = timezone.now()
    rows = {d.subscriber.email.split("@")[0]: d for d in mailing.deliveries.all()}
    changes = {
        "failed": {"status": "failed", "attempts": 3},
        "bounced": {"status": "bounced", "attempts": 1},
        "failed_later": {"status": "failed", "attempts": 3},
        "bounced_later": {"status": "bounced", "attempts": 1},
        "resent": {"status": "sent", "resent": True, "sent_at": now - timedelta(hours=2)},
        "retrying": {"status": "queued", "attempts": 1},
        "sent_old": {"status": "sent", "sent_at": now - timedelta(hours=3)},
        "sent_after_retry": {"status": "sent", "attempts": 1, "sent_at": now - timedelta(hours=1)},
    }
    for name, fields in changes.items():
        Delivery.objects.filter(pk=rows[name].pk).update(**fields)
    listed = [d.subscriber.email.split("@")[0] for d in selectors.deliveries_for_review(mailing)]
    assert listed == [
        "failed", "bounced", "failed_later", "bounced_later",  # in trouble
        "resent", "retrying",  # to watch: possibly sent twice, waiting for a retry
        "sent_after_retry", "sent_old", "waiting",  # the rest, the latest sent first
    ]  # fmt: skip
    assert len(selectors.deliveries_for_review(mailing, limit=3)) == 3


def test_an_alert_for_a_long_title_keeps_within_the_subject_and_preheader_columns():
    ArticleFactory(title="T" * 200, standfirst="S" * 250)  # a full title, prefixed
    alert = Edition.objects.get(pk=services.alerts_create()[0])
    assert (len(alert.subject), len(alert.preheader)) == (200, 200)


# --- The lease a worker keeps on its batch ---------------------------------------------------
def lease_on(batch: list[Delivery], *, age: float) -> delivery.Lease:
    """A worker's lease on `batch`, last renewed `age` seconds ago (time.monotonic, which
    time-machine leaves alone)."""
    lease = delivery.Lease(edition_id=batch[0].edition_id, claim=batch[0].claim, until=None)
    lease.renewed -= age
    return lease


def lease_ends() -> set:
    return set(Delivery.objects.values_list("lease_until", flat=True))


@pytest.mark.parametrize(("age", "renewed"), [(9.5, False), (10.5, True)])
def test_a_lease_is_renewed_once_a_sixth_of_its_length_has_passed(age, renewed, settings):
    settings.NEWSLETTER_LEASE_SECONDS = 60  # renewed after 10 s
    readers(2)
    mailing = sending()
    batch = ledger.claim_batch(edition_id=mailing.pk, size=2)
    Delivery.objects.update(lease_until=timezone.now() + timedelta(seconds=5))
    before = lease_ends()
    lease_on(batch, age=age).keep_alive()
    if renewed:
        [until] = lease_ends()
        assert until > timezone.now() + timedelta(seconds=55)  # a whole lease from now
    else:
        assert lease_ends() == before


def test_a_renewed_lease_waits_another_sixth_before_it_asks_the_database_again(
    settings, django_assert_num_queries
):
    settings.NEWSLETTER_LEASE_SECONDS = 60
    readers(1)
    mailing = sending()
    lease = lease_on(ledger.claim_batch(edition_id=mailing.pk, size=1), age=11)
    with django_assert_num_queries(2):  # the renewal, and is the edition still sending?
        lease.keep_alive()
    with django_assert_num_queries(0):
        lease.keep_alive()


def test_a_lease_renews_only_its_own_rows_that_are_still_being_sent(settings):
    settings.NEWSLETTER_LEASE_SECONDS = 60
    readers(3)
    mailing = sending()
    mine = ledger.claim_batch(edition_id=mailing.pk, size=2)
    theirs = ledger.claim_batch(edition_id=mailing.pk, size=1)
    ledger.mark_sent(mine[:1])
    Delivery.objects.update(lease_until=None)
    Delivery.objects.filter(status="sending").update(lease_until=timezone.now())
    lease_on(mine, age=11).keep_alive()
    leases = dict(Delivery.objects.values_list("pk", "lease_until"))
    assert leases[mine[0].pk] is None  # sent: nothing to renew
    assert leases[mine[1].pk] > timezone.now() + timedelta(seconds=55)
    assert leases[theirs[0].pk] < timezone.now()  # another worker's claim: left alone


@pytest.mark.parametrize(
    "status", [Edition.Status.CANCELLED, Edition.Status.ATTENTION, Edition.Status.SENT]
)
def test_renewing_a_lease_notices_that_the_edition_stopped_sending(status, settings):
    settings.NEWSLETTER_LEASE_SECONDS = 60
    readers(1)
    mailing = sending()
    lease = lease_on(ledger.claim_batch(edition_id=mailing.pk, size=1), age=11)
    Edition.objects.filter(pk=mailing.pk).update(status=status)
    sending()  # another edition still sending is no reason to carry on with this one
    with pytest.raises(delivery.StopSending):
        lease.keep_alive()


def test_renewing_the_lease_of_an_edition_still_sending_lets_the_worker_carry_on(settings):
    settings.NEWSLETTER_LEASE_SECONDS = 60
    readers(1)
    mailing = sending()
    lease = lease_on(ledger.claim_batch(edition_id=mailing.pk, size=1), age=11)
    lease.keep_alive()  # no StopSending
    assert Delivery.objects.get().status == "sending"


def test_a_lease_is_overdue_only_once_the_workers_time_is_spent():
    now = time.monotonic()
    assert not delivery.Lease(edition_id=0, claim="", until=None).overdue()  # no budget
    assert not delivery.Lease(edition_id=0, claim="", until=now + 60).overdue()
    assert delivery.Lease(edition_id=0, claim="", until=now - 0.01).overdue()


# --- A database connection lost while sending ------------------------------------------------
class DroppedOnce:
    """A query whose first `failures` tries meet a dropped connection, as the driver says it."""

    def __init__(self, error: type[Exception], failures: int = 1) -> None:
        self.error, self.failures, self.tries = error, failures, 0

    def __call__(self) -> int:
        self.tries += 1
        if self.tries <= self.failures:
            raise self.error("server closed the connection unexpectedly")
        return Delivery.objects.count()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_a_query_that_lost_its_connection_is_run_again_on_a_new_one(error):
    from django.db import connection

    readers(2)
    sending()
    connection.ensure_connection()
    lost = connection.connection
    query = DroppedOnce(error)
    assert ledger.reconnecting(query) == 2
    assert query.tries == 2
    assert connection.connection is not lost  # closed, and opened afresh for the second try


@pytest.mark.django_db(transaction=True)
def test_a_connection_that_stays_lost_reaches_the_caller_after_four_tries():
    query = DroppedOnce(OperationalError, failures=10)
    with pytest.raises(OperationalError):
        ledger.reconnecting(query)
    assert query.tries == 4


def test_inside_a_transaction_a_lost_connection_is_left_to_the_transactions_owner():
    query = DroppedOnce(OperationalError)
    with pytest.raises(OperationalError):
        ledger.reconnecting(query)  # pytest-django's test transaction is open here
    assert query.tries == 1


# --- Readers who left while the edition was sending -------------------------------------------
def test_a_batch_of_one_reader_who_left_is_skipped():
    readers(1)
    mailing = sending()
    Subscriber.objects.update(status="unsubscribed")
    assert delivery.send_batch(edition_id=mailing.pk) == 1
    assert statuses() == {"r0@example.org": "skipped"}


def test_a_reader_who_left_is_skipped_only_under_the_claim_that_holds_the_row():
    readers(2)
    mailing = sending()
    late = ledger.claim_batch(edition_id=mailing.pk, size=2)  # a worker that froze
    Delivery.objects.update(lease_until=timezone.now() - timedelta(seconds=1))
    ledger.requeue_expired()
    ledger.claim_batch(edition_id=mailing.pk, size=1)  # another worker took one of them
    ledger.mark_sent(ledger.claim_batch(edition_id=mailing.pk, size=1))  # and another sent one
    Subscriber.objects.update(status="unsubscribed")
    assert ledger.skip_lapsed(state(mailing), late) == []
    assert sorted(statuses().values()) == ["sending", "sent"]  # neither is the frozen one's


def test_a_batch_is_never_larger_than_the_configured_size_even_of_one(settings):
    settings.NEWSLETTER_BATCH_SIZE = 1
    settings.NEWSLETTER_RATE_PER_SECOND = 3
    assert delivery.batch_size() == 1


def test_an_alert_already_stopped_for_an_editor_keeps_its_state_when_its_article_goes():
    """The article was unpublished while the alert waited for an editor: what the editor
    sees (stopped, and why) stays; only a sending alert is cancelled for its article."""
    article = ArticleFactory()
    readers(1)
    alert = sending(kind=Edition.Kind.ALERT, article=article)
    Edition.objects.filter(pk=alert.pk).update(
        status=Edition.Status.ATTENTION, stopped_reason="554 refused"
    )
    delivery._cancel_alert(state(alert))
    alert = state(alert)
    assert (alert.status, alert.stopped_reason, alert.finished_at) == (
        Edition.Status.ATTENTION, "554 refused", None,
    )  # fmt: skip


# --- Rows given back to the queue ------------------------------------------------------------
def test_rows_given_back_keep_the_servers_words_within_their_column():
    readers(1)
    mailing = sending()
    batch = ledger.claim_batch(edition_id=mailing.pk, size=1)
    ledger.release(batch, reason="4" * 400)
    row = Delivery.objects.get()
    assert (row.status, row.claim, row.lease_until) == ("queued", "", None)
    assert row.last_error == "4" * 300


def test_rows_held_by_a_shared_fault_start_their_retry_budget_then(settings):
    settings.NEWSLETTER_RETRY_MAX_HOURS = 6
    readers(2)
    mailing = sending()
    batch = ledger.claim_batch(edition_id=mailing.pk, size=2)
    earlier = timezone.now() + timedelta(hours=1)
    Delivery.objects.filter(pk=batch[0].pk).update(retry_until=earlier)  # already retrying
    later = timezone.now() + timedelta(minutes=3)
    ledger.release(batch, not_before=later)
    first, second = Delivery.objects.order_by("pk")
    assert first.next_attempt_at == second.next_attempt_at == later
    assert first.retry_until == earlier  # a budget already running is kept
    budget = second.retry_until - timezone.now()
    assert timedelta(hours=5, minutes=59) < budget <= timedelta(hours=6)


def test_rows_given_back_to_a_cancelled_edition_are_cancelled_and_nothing_else_is():
    readers(3)
    mailing = sending()
    sent, given_back, elsewhere = ledger.claim_batch(edition_id=mailing.pk, size=3)
    ledger.mark_sent([sent])
    Delivery.objects.filter(pk=elsewhere.pk).update(status="queued", claim="")
    Edition.objects.filter(pk=mailing.pk).update(status=Edition.Status.CANCELLED)
    ledger.release([sent, given_back])
    assert dict(Delivery.objects.values_list("pk", "status")) == {
        sent.pk: "sent",  # recorded already: it stays as it is
        given_back.pk: "cancelled",
        elsewhere.pk: "queued",  # not this call's row: the sweep sees to it
    }


def test_a_claim_is_dated_and_leased_from_the_moment_it_is_made(settings):
    settings.NEWSLETTER_LEASE_SECONDS = 30
    readers(2)
    mailing = sending()
    moment = timezone.now().replace(microsecond=0) + timedelta(seconds=1)
    with time_machine.travel(moment, tick=False):
        claimed = ledger.claim_batch(edition_id=mailing.pk, size=2)
    assert {(d.status, d.claimed_at, d.lease_until) for d in claimed} == {
        ("sending", moment, moment + timedelta(seconds=30))
    }
    assert len({d.claim for d in claimed}) == 1


def test_a_claimed_batch_brings_its_readers_and_their_topics_with_it(
    django_assert_num_queries,
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import TopicFactory

    topic = TopicFactory()
    for reader in readers(5):
        reader.topics.add(topic)
    mailing = sending()
    with CaptureQueriesContext(connection) as queries:
        claimed = ledger.claim_batch(edition_id=mailing.pk, size=5)
    # The readers come joined to their rows in the claim's own read, not in a query of their own.
    assert not [q for q in queries if q["sql"].startswith('SELECT "newsletter_subscriber"')]
    with django_assert_num_queries(0):
        assert {d.subscriber.email for d in claimed} == {f"r{n}@example.org" for n in range(5)}
        assert all(list(d.subscriber.topics.all()) == [topic] for d in claimed)


def test_a_row_already_recorded_is_never_skipped_by_its_own_claim():
    readers(2)
    mailing = sending()
    batch = ledger.claim_batch(edition_id=mailing.pk, size=2)
    ledger.mark_sent(batch[:1])
    Subscriber.objects.update(status="unsubscribed")
    ledger.skip_lapsed(state(mailing), batch)
    assert sorted(statuses().values()) == ["sent", "skipped"]
