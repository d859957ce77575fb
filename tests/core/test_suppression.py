"""One suppression list for all mail: what puts an address on it, that every kind of mail
skips it (and says so) but what its holder asks for, and staff lifting one with a reason."""

from __future__ import annotations

import pytest
from allauth.account.adapter import get_adapter
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.db import OperationalError, connection

from comments.services import comment_submit
from core.mail import MailDeferred, MailRefused, deliver, render_mail
from core.models import Suppression
from core.suppression import suppression_add, suppression_lift
from newsletter import delivery, ledger
from newsletter.models import Delivery, Edition, Subscriber
from newsletter.tasks import edition_deliver
from tests.conftest import wait_for
from tests.factories import ArticleFactory, CommentFactory, UserFactory
from tests.newsletter.mailings import edition, sending, subscribers
from tests.newsletter.webhook_posts import WEBHOOK_SECRET, post, postmark_bounce


def notice(to: str):
    return render_mail("account/email/unknown_account", to=to, context={})


@pytest.mark.django_db
def test_a_complaint_suppresses_every_kind_of_mail_but_what_the_reader_asks_for(
    client, smtp_server, tasks_inline, settings
):
    settings.ANYMAIL = {"WEBHOOK_SECRET": WEBHOOK_SECRET}
    settings.COMMENTS_TRUSTED_AFTER = 0
    reader = UserFactory(email="angry@example.org")
    Subscriber.objects.create(email=reader.email, status="active", user=reader)
    complaint = postmark_bounce(
        email=reader.email, message_id="an-account-mail", kind="SpamComplaint"
    )
    assert post(client, "postmark", complaint).status_code == 200
    assert Suppression.objects.get().reason == Suppression.Reason.COMPLAINED

    article = ArticleFactory(title="Small cohorts")
    parent = CommentFactory(article=article, author=reader)
    adapter = get_adapter()
    with tasks_inline():
        comment_submit(article=article, author=UserFactory(), body="A reply", parent=parent)
        adapter.send_mail("account/email/password_changed", reader.email, {"user": reader})
        client.post("/newsletter/", {"email": reader.email, "frequency": "weekly"})
        adapter.send_mail(
            "account/email/password_reset_key",
            reader.email,
            {
                "user": reader,
                "password_reset_url": "http://testserver/accounts/password/reset/key/x/",
            },
        )
    assert ledger.deliveries_create(edition=edition()) == 0  # no edition, alert or digest
    (received,) = smtp_server.to(reader.email)  # the reset they asked for, and nothing else
    assert received["Subject"] == "[Driverline] Reset your password"
    # The reply notice and the password notice were skipped, and counted.
    assert Suppression.objects.get().skipped == 2


@pytest.mark.django_db(transaction=True)
def test_a_suppressed_address_is_skipped_and_recorded_in_a_real_send_on_a_real_worker(
    smtp_server, celery_worker
):
    subscribers(5)
    mailing = sending(edition())  # the rows exist: s2 is suppressed after the start
    suppression_add(email="s2@example.org", reason="manual", detail="Asked by phone")
    edition_deliver.delay(mailing.pk)
    wait_for(lambda: Edition.objects.get(pk=mailing.pk).status == Edition.Status.SENT, timeout=30)
    skipped = Delivery.objects.get(subscriber__email="s2@example.org")
    assert (skipped.status, skipped.last_error) == ("skipped", "suppressed: manual")
    assert Suppression.objects.get().skipped == 1
    mailed = {r for e in smtp_server.envelopes for r in e.rcpt_tos}
    assert mailed == {"s0@example.org", "s1@example.org", "s3@example.org", "s4@example.org"}


@pytest.mark.django_db
def test_an_address_refused_for_good_is_suppressed_for_all_mail(smtp_server):
    smtp_server.refuse = {"gone@example.org"}
    with pytest.raises(MailRefused):
        deliver(notice("gone@example.org"))
    assert Suppression.objects.get().reason == "bounced"
    assert "550" in Suppression.objects.get().detail
    assert deliver(notice("Gone@Example.org")) is False  # never tried again
    assert smtp_server.tried == ["gone@example.org"]


@pytest.mark.django_db
def test_a_newsletter_bounce_over_smtp_suppresses_the_address(smtp_server):
    subscribers(2)
    smtp_server.refuse = {"s1@example.org"}
    delivery.send_batch(edition_id=sending(edition()).pk)
    assert list(Suppression.objects.values_list("email", "reason")) == [
        ("s1@example.org", "bounced")
    ]


@pytest.mark.django_db
def test_an_address_has_one_suppression_at_a_time_and_keeps_its_first_reason():
    assert suppression_add(email="x@example.org", reason="bounced", detail="550")
    assert not suppression_add(email="X@example.org", reason="complained")
    assert Suppression.objects.get().reason == "bounced"


@pytest.mark.django_db
def test_staff_see_why_and_lift_a_suppression_with_a_reason(admin_client, admin_user, smtp_server):
    suppression_add(email="back@example.org", reason="bounced", detail="Postmark: Hard bounce")
    row = Suppression.objects.get()
    listing = admin_client.get("/admin/core/suppression/").content.decode()
    assert "back@example.org" in listing
    assert "Postmark: Hard bounce" in listing
    url = f"/admin/core/suppression/{row.pk}/lift/"
    assert admin_client.get(url).status_code == 200
    assert admin_client.post(url, {"reason": "   "}).status_code == 400  # a reason is required
    assert Suppression.objects.get().active
    answer = admin_client.post(url, {"reason": "The reader fixed their mailbox"})
    assert answer.status_code == 302
    row.refresh_from_db()
    assert (row.lifted_by, row.lift_reason) == (admin_user, "The reader fixed their mailbox")
    assert row.lifted_at is not None
    assert admin_client.post(url, {"reason": "again"}).status_code == 404  # lifted already
    assert deliver(notice("back@example.org")) is True  # mail goes there again
    assert suppression_add(email="back@example.org", reason="complained")  # and may stop again
    assert Suppression.objects.count() == 2


@pytest.mark.django_db
def test_staff_without_the_lift_permission_cannot_lift(client):
    suppression_add(email="kept@example.org", reason="complained")
    row = Suppression.objects.get()
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_suppression"))
    client.force_login(staff)
    assert client.get("/admin/core/suppression/").status_code == 200  # may see why
    assert (
        client.post(f"/admin/core/suppression/{row.pk}/lift/", {"reason": "x"}).status_code == 403
    )
    with pytest.raises(PermissionDenied):
        suppression_lift(suppression=row, by=staff, reason="x")
    with pytest.raises(ValueError, match="reason"):
        suppression_lift(suppression=row, by=UserFactory(is_superuser=True), reason=" ")
    assert Suppression.objects.get().active


@pytest.mark.django_db
def test_mail_waits_for_a_retry_when_the_suppression_list_cannot_be_read(smtp_server):
    def dropped(execute, sql, params, many, context):
        raise OperationalError("server closed the connection unexpectedly")

    with connection.execute_wrapper(dropped), pytest.raises(MailDeferred):
        deliver(notice("reader@example.org"))
    assert smtp_server.tried == []  # nothing sent unchecked
