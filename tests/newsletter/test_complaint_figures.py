"""An edition's complaint and bounce figures on its admin page, and the warning when the last
edition's complaints reach 1 in 1,000 messages."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from core.suppression import suppression_add
from newsletter import delivery, selectors
from newsletter.models import Delivery, Edition, Subscriber
from newsletter.provider_events import provider_event_record
from tests.newsletter.mailings import edition, sending, subscribers

pytestmark = pytest.mark.django_db


def sent_edition(readers: int, *, subject: str = "Week 49") -> tuple[Edition, list[Delivery]]:
    now = timezone.now()
    mailing = Edition.objects.create(subject=subject, status=Edition.Status.SENT, finished_at=now)
    people = Subscriber.objects.bulk_create(
        Subscriber(email=f"{uuid.uuid4().hex[:10]}@example.org", status="active")
        for _ in range(readers)
    )
    rows = Delivery.objects.bulk_create(
        Delivery(edition=mailing, subscriber=person, status="sent", sent_at=now,
                 provider_message_id=uuid.uuid4().hex)
        for person in people
    )  # fmt: skip
    return mailing, rows


def report(row: Delivery, kind: str) -> None:
    provider_event_record(
        provider="Postmark", kind=kind, event_id=uuid.uuid4().hex,
        message_id=row.provider_message_id, recipient="", occurred_at=None,
    )  # fmt: skip


def page(admin_client, mailing: Edition) -> str:
    return admin_client.get(f"/admin/newsletter/edition/{mailing.pk}/change/").content.decode()


def test_the_edition_page_counts_what_the_provider_reported(admin_client):
    mailing, rows = sent_edition(5)
    for row in rows[:3]:
        report(row, "delivered")
    report(rows[3], "complained")
    report(rows[3], "complained")  # one reader's two complaints are one complaint
    report(rows[4], "bounced")
    progress = selectors.edition_progress(Edition.objects.get(pk=mailing.pk))
    assert (progress["delivered"], progress["complained"], progress["bounced"]) == (3, 1, 1)
    html = page(admin_client, mailing)
    assert "Delivered <strong>3</strong>" in html
    assert "Complaints <strong>1</strong>" in html
    assert "Bounced <strong>1</strong>" in html


def test_an_edition_with_nothing_reported_shows_no_provider_figures(admin_client):
    mailing, _ = sent_edition(2)
    assert "Complaints" not in page(admin_client, mailing)


@pytest.mark.parametrize(("readers", "warned"), [(1000, True), (1001, False)])
def test_the_edition_page_warns_at_one_complaint_in_a_thousand(admin_client, readers, warned):
    older, older_rows = sent_edition(10, subject="An older edition")
    report(older_rows[0], "complained")  # 10 %, but not the last edition
    Edition.objects.filter(pk=older.pk).update(finished_at=timezone.now() - timedelta(days=7))
    _, rows = sent_edition(readers, subject="The last edition")
    report(rows[0], "complained")
    draft = Edition.objects.create(subject="Next week")
    html = page(admin_client, draft)  # the warning is on every edition's page
    assert ("marked it as spam" in html) is warned
    if warned:
        assert "1 of the 1000 readers of the last edition, “The last edition”" in html
        assert "(0.10 %)" in html


def test_no_warning_before_any_edition_has_been_sent(admin_client):
    assert selectors.complaint_warning() is None
    assert "marked it as spam" not in page(admin_client, Edition.objects.create(subject="First"))


def test_the_edition_page_counts_the_addresses_skipped_as_suppressed(admin_client):
    subscribers(4)
    mailing = sending(edition())
    suppression_add(email="s1@example.org", reason="complained")
    suppression_add(email="s2@example.org", reason="bounced")
    Subscriber.objects.filter(email="s3@example.org").update(status="unsubscribed")
    delivery.send_batch(edition_id=mailing.pk)
    progress = selectors.edition_progress(Edition.objects.get(pk=mailing.pk))
    assert (progress["skipped"], progress["suppressed"]) == (3, 2)
    html = page(admin_client, mailing)
    assert "Of them suppressed <strong>2</strong>" in html
