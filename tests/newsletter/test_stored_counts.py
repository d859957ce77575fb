"""A finished edition's counts are stored once, when it finishes; the admin's edition list
reads them and counts only the editions still sending. Deliveries come from one INSERT ...
SELECT of the audience, on SQLite and PostgreSQL alike."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from newsletter import ledger, selectors, services
from newsletter.models import Delivery, Edition, Subscriber
from tests.newsletter.mailings import edition, sending, state, subscribers

pytestmark = pytest.mark.django_db


def finished(*, failed: int = 0) -> Edition:
    """An edition sent to every subscriber, `failed` of them failed, finished by the ledger."""
    mailing = sending(edition())
    rows = mailing.deliveries.order_by("pk")
    Delivery.objects.filter(pk__in=rows.values("pk")[:failed]).update(status="failed")
    rows.filter(status="queued").update(status="sent", sent_at=timezone.now())
    ledger.finish_if_done(mailing.pk)
    return mailing


def test_an_edition_stores_its_counts_once_in_the_step_that_finishes_it():
    subscribers(3)
    mailing = finished(failed=1)
    stored = state(mailing)
    assert stored.status == Edition.Status.FAILURES
    assert stored.counted_at is not None
    assert (stored.count_sent, stored.count_failed, stored.count_left) == (2, 1, 2)
    # Rows changed behind the ledger's back no longer move the figures: nothing counts them.
    Delivery.objects.filter(edition=mailing).update(status="sent")
    ledger.finish_if_done(mailing.pk)
    progress = selectors.edition_progress(state(mailing))
    assert (progress["sent"], progress["failed"], progress["total"]) == (2, 1, 3)


def test_the_edition_list_reads_stored_counts_without_counting_deliveries(admin_client):
    subscribers(3)
    finished()
    with CaptureQueriesContext(connection) as one:
        admin_client.get("/admin/newsletter/edition/")
    for _ in range(5):
        finished(failed=1)
    with CaptureQueriesContext(connection) as six:
        page = admin_client.get("/admin/newsletter/edition/").content.decode()
    assert len(one) == len(six)
    assert not [q for q in six if "newsletter_delivery" in q["sql"]]
    assert "100 % · 3 sent, 0 failed, 0 bounced, 0 waiting, of 3" in page
    assert "100 % · 2 sent, 1 failed, 0 bounced, 0 waiting, of 3" in page


def test_an_edition_still_sending_shows_live_counts_on_the_list(admin_client):
    subscribers(3)
    mailing = sending(edition())
    Delivery.objects.filter(pk=mailing.deliveries.order_by("pk")[0].pk).update(status="sent")
    page = admin_client.get("/admin/newsletter/edition/").content.decode()
    assert "33 % · 1 sent, 0 failed, 0 bounced, 2 waiting, of 3" in page
    assert state(mailing).counted_at is None


def test_a_retried_edition_is_counted_live_again_until_it_finishes_again():
    subscribers(2)
    mailing = finished(failed=1)
    assert services.edition_retry_failed(edition=mailing) == 1
    assert state(mailing).counted_at is None
    assert selectors.edition_progress(state(mailing))["waiting"] == 1
    mailing.deliveries.filter(status="queued").update(status="sent", sent_at=timezone.now())
    ledger.finish_if_done(mailing.pk)
    assert (state(mailing).status, state(mailing).count_sent) == (Edition.Status.SENT, 2)


def test_a_cancelled_edition_with_nothing_in_flight_stores_its_counts():
    subscribers(3)
    mailing = sending(edition())
    services.edition_cancel(edition=mailing)
    assert state(mailing).counted_at is not None
    assert state(mailing).count_cancelled == 3


def test_deliveries_are_exactly_the_audience_and_a_second_run_adds_nothing():
    readers = subscribers(4)
    Subscriber.objects.filter(pk=readers[0].pk).update(status="unsubscribed")
    mailing = edition()
    wanted = set(selectors.audience(mailing).values_list("pk", flat=True))
    assert ledger.deliveries_create(edition=mailing) == 3
    assert ledger.deliveries_create(edition=mailing) == 3
    rows = list(mailing.deliveries.all())
    assert {row.subscriber_id for row in rows} == wanted
    assert {(row.status, row.attempts, row.claim, row.resent) for row in rows} == {
        ("queued", 0, "", False)
    }
    assert all(row.next_attempt_at is not None for row in rows)
