"""The edition lifecycle's rules, each through its service and each with a second edition
beside it, so that a rule which forgot *which* edition it acts on fails here."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from newsletter import services
from newsletter.models import Delivery, Edition
from tests.newsletter.mailings import edition, sending, state, subscribers

pytestmark = pytest.mark.django_db


def test_resuming_carries_on_only_that_edition_and_clears_its_reason():
    subscribers(2)
    stopped, other = sending(edition()), sending(edition())
    Edition.objects.filter(pk__in=[stopped.pk, other.pk]).update(
        status=Edition.Status.ATTENTION, stopped_reason="550 sender refused"
    )

    assert services.edition_resume(edition=stopped) is True

    assert (state(stopped).status, state(stopped).stopped_reason) == ("sending", "")
    assert (state(other).status, state(other).stopped_reason) == (
        "attention",
        "550 sender refused",
    )
    assert services.edition_resume(edition=stopped) is False  # it is not stopped any more


def test_resuming_a_sent_or_draft_edition_does_nothing():
    for status in (Edition.Status.SENT, Edition.Status.DRAFT):
        mailing = edition()
        Edition.objects.filter(pk=mailing.pk).update(status=status)
        assert services.edition_resume(edition=mailing) is False
        assert state(mailing).status == status


def test_retrying_failures_reopens_only_that_edition_with_a_fresh_budget():
    subscribers(2)
    failed, other = sending(edition()), sending(edition())
    finished = timezone.now() - timedelta(hours=1)
    for mailing in (failed, other):
        Delivery.objects.filter(edition=mailing).update(
            status=Delivery.Status.FAILED, retry_until=finished
        )
        Edition.objects.filter(pk=mailing.pk).update(
            status=Edition.Status.FAILURES, finished_at=finished
        )

    assert services.edition_retry_failed(edition=failed) == 2

    assert state(failed).status == "sending"
    assert state(failed).finished_at is None
    assert set(Delivery.objects.filter(edition=failed).values_list("status", "retry_until")) == {
        ("queued", None)
    }
    assert state(other).status == "failures"
    assert state(other).finished_at == finished
    assert set(Delivery.objects.filter(edition=other).values_list("status", flat=True)) == {
        "failed"
    }


def test_scheduling_moves_only_that_edition_and_names_what_will_not_be_public():
    later = timezone.now() + timedelta(days=1)
    mailing, other = edition(), edition()
    draft = mailing.featured.first()
    draft.status, draft.published_at = draft.Status.DRAFT, None
    draft.save()

    late = services.edition_schedule(edition=mailing, at=later)

    assert late == [draft]
    assert (state(mailing).status, state(mailing).scheduled_at) == ("scheduled", later)
    assert (state(other).status, state(other).scheduled_at) == ("draft", None)
    assert services.edition_schedule(edition=other, at=later) == []  # its article is public


def test_cancelling_stops_only_that_editions_queue_and_dates_it():
    subscribers(3)
    cancelled, other = sending(edition()), sending(edition())

    assert services.edition_cancel(edition=cancelled) == 3

    assert state(cancelled).status == "cancelled"
    assert state(cancelled).finished_at is not None
    assert state(other).status == "sending"
    assert set(Delivery.objects.filter(edition=other).values_list("status", flat=True)) == {
        "queued"
    }


def test_a_sent_edition_cannot_be_cancelled():
    subscribers(1)
    mailing = sending(edition())
    Delivery.objects.filter(edition=mailing).update(status=Delivery.Status.SENT)
    Edition.objects.filter(pk=mailing.pk).update(status=Edition.Status.SENT)

    assert services.edition_cancel(edition=mailing) == 0
    assert state(mailing).status == "sent"


def test_only_scheduled_editions_whose_time_has_come_are_sent():
    subscribers(1)
    due, draft, later = edition(), edition(), edition()
    past = timezone.now() - timedelta(minutes=1)
    Edition.objects.filter(pk=due.pk).update(status=Edition.Status.SCHEDULED, scheduled_at=past)
    Edition.objects.filter(pk=draft.pk).update(scheduled_at=past)  # a draft with a stale time
    Edition.objects.filter(pk=later.pk).update(
        status=Edition.Status.SCHEDULED, scheduled_at=timezone.now() + timedelta(hours=1)
    )

    assert services.scheduled_editions_send() == [due.pk]
    assert [state(e).status for e in (due, draft, later)] == ["sending", "draft", "scheduled"]


# --- Handing the edition back to the workers ---------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_a_resumed_edition_and_a_retried_one_are_sent_by_the_workers(smtp_server, celery_worker):
    from tests.conftest import wait_for

    subscribers(3)
    stopped, finished = sending(edition()), sending(edition())
    Edition.objects.filter(pk=stopped.pk).update(status=Edition.Status.ATTENTION)
    Delivery.objects.filter(edition=finished).update(status=Delivery.Status.FAILED)
    Edition.objects.filter(pk=finished.pk).update(status=Edition.Status.FAILURES)

    assert services.edition_resume(edition=stopped)
    assert services.edition_retry_failed(edition=finished) == 3
    for mailing in (stopped, finished):
        wait_for(
            lambda mailing=mailing: state(mailing).status == Edition.Status.SENT,
            timeout=30,
            message=f"edition {mailing.pk} was not sent after being handed back",
        )
    assert len(smtp_server.messages) == 6


def test_a_resumed_or_retried_edition_is_handed_over_by_the_next_sweep_at_once():
    from newsletter import ledger

    subscribers(2)
    stopped, finished = sending(edition()), sending(edition())
    just_now = timezone.now() - timedelta(seconds=5)  # the sweep handed both over 5 s ago
    Edition.objects.filter(pk=stopped.pk).update(status="attention", dispatched_at=just_now)
    Edition.objects.filter(pk=finished.pk).update(status="failures", dispatched_at=just_now)
    Delivery.objects.filter(edition=finished).update(status=Delivery.Status.FAILED)
    services.edition_resume(edition=stopped)
    services.edition_retry_failed(edition=finished)
    # Were the tasks queued on resume lost, the sweep must not wait out DISPATCH_EVERY.
    assert sorted(ledger.editions_to_dispatch()) == sorted([stopped.pk, finished.pk])


def test_retrying_failed_rows_never_resends_what_was_sent_or_bounced():
    readers = subscribers(3)
    mailing = sending(edition())
    rows = {row.subscriber_id: row for row in mailing.deliveries.all()}
    Delivery.objects.filter(pk=rows[readers[0].pk].pk).update(status=Delivery.Status.FAILED)
    Delivery.objects.filter(pk=rows[readers[1].pk].pk).update(status=Delivery.Status.SENT)
    Delivery.objects.filter(pk=rows[readers[2].pk].pk).update(status=Delivery.Status.BOUNCED)
    Edition.objects.filter(pk=mailing.pk).update(status=Edition.Status.FAILURES)
    assert services.edition_retry_failed(edition=mailing) == 1
    statuses = dict(mailing.deliveries.values_list("subscriber_id", "status"))
    assert statuses == {readers[0].pk: "queued", readers[1].pk: "sent", readers[2].pk: "bounced"}


def test_retrying_the_failed_rows_of_a_cancelled_edition_never_restarts_it():
    subscribers(1)
    mailing = sending(edition())
    Delivery.objects.filter(edition=mailing).update(status=Delivery.Status.FAILED)
    Edition.objects.filter(pk=mailing.pk).update(status=Edition.Status.CANCELLED)
    services.edition_retry_failed(edition=mailing)
    assert state(mailing).status == Edition.Status.CANCELLED


def test_an_edition_waiting_for_its_articles_does_not_hold_up_the_next_one():
    from articles.models import Article
    from tests.factories import ArticleFactory

    embargoed = ArticleFactory(status=Article.Status.DRAFT, published_at=None)
    due = timezone.now() - timedelta(minutes=1)
    editions = [edition() for _ in range(3)]
    editions[1].featured.add(embargoed)
    Edition.objects.filter(pk__in=[e.pk for e in editions]).update(
        status=Edition.Status.SCHEDULED, scheduled_at=due
    )
    started = services.scheduled_editions_send()
    assert sorted(started) == sorted([editions[0].pk, editions[2].pk])
    assert state(editions[1]).status == Edition.Status.SCHEDULED
