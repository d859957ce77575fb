"""The public archive of sent editions, and the mail's link to it."""

import pytest

from newsletter import delivery, ledger
from newsletter.models import Edition
from tests.newsletter.mailings import (
    edition,
    subscribers,
)


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
def test_alerts_and_digests_are_personal_and_never_in_the_archive(client):
    from django.utils import timezone

    from tests.factories import ArticleFactory

    article = ArticleFactory(title="A news alert's article")
    now = timezone.now()
    alert = Edition.objects.create(
        kind=Edition.Kind.ALERT, article=article, subject="Alert: new article",
        status=Edition.Status.SENT, started_at=now,
    )  # fmt: skip
    digest = Edition.objects.create(
        kind=Edition.Kind.DIGEST, period="2026-W47", subject="Weekly digest of week 47",
        status=Edition.Status.SENT, started_at=now,
    )  # fmt: skip
    listing = client.get("/newsletter/archive/").content.decode()
    assert "Alert: new article" not in listing
    assert "Weekly digest of week 47" not in listing
    for mailing in (alert, digest):
        assert client.get(f"/newsletter/archive/{mailing.pk}/").status_code == 404
