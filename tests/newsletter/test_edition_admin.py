"""The edition page in the admin: preview, live progress, deliveries, and its buttons."""

import re

import pytest
from django.db import connection

from newsletter import delivery, ledger
from newsletter.models import Delivery, Edition, Subscriber
from tests.conftest import wait_for
from tests.factories import ArticleFactory
from tests.newsletter.mailings import edition, subscribers


@pytest.fixture
def mailing(db) -> Edition:
    Subscriber.objects.bulk_create(
        Subscriber(email=f"a{n}@example.org", status="active") for n in range(5)
    )
    edition = Edition.objects.create(
        subject="Fusions, week 48", preheader="Three things", intro="A *short* note."
    )
    edition.featured.add(ArticleFactory(title="Reading a basket trial"))
    return edition


def change_url(edition: Edition, suffix: str = "change/") -> str:
    return f"/admin/newsletter/edition/{edition.pk}/{suffix}"


def test_the_preview_shows_the_message_without_personal_links(admin_client, mailing):
    html = admin_client.get(change_url(mailing, "preview/html/"))
    assert html.status_code == 200
    body = html.content.decode()
    assert "Fusions, week 48" in body
    assert "Reading a basket trial" in body
    assert re.search(r'<h1 style="[^"]*font-size', body)  # styles inlined, as mailed
    assert "__DRIVERLINE" not in body
    # Framed by the edition page only, and inert: no script, no form, sandboxed.
    policy = html["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in policy
    assert "sandbox" in policy
    assert "script-src 'none'" in policy
    assert "default-src 'none'" in policy
    assert html["X-Frame-Options"] == "SAMEORIGIN"

    text = admin_client.get(change_url(mailing, "preview/text/"))
    assert text["Content-Type"].startswith("text/plain")
    assert "Reading a basket trial" in text.content.decode()
    assert admin_client.get(change_url(mailing, "preview/pdf/")).status_code == 404
    assert admin_client.get("/admin/newsletter/edition/999999/preview/html/").status_code == 404


def test_the_previews_and_progress_are_for_staff_only(client, mailing):
    for suffix in ("preview/html/", "progress/"):
        response = client.get(change_url(mailing, suffix))
        assert response.status_code == 302
        assert "login" in response["Location"]


def test_sending_from_the_edition_page_confirms_the_audience_first(
    admin_client, mailing, smtp_server, celery_worker
):
    page = admin_client.get(change_url(mailing)).content.decode()
    assert "Nothing has been sent yet." in page
    assert 'data-hx-get="' not in page  # a draft has nothing to poll
    confirm = admin_client.get(change_url(mailing, "send/")).content.decode()
    assert "5 subscribers" in confirm
    assert Edition.objects.get(pk=mailing.pk).status == Edition.Status.DRAFT

    response = admin_client.post(change_url(mailing, "send/"), {"confirm": "1"})
    assert response.status_code == 302
    assert response["Location"] == change_url(mailing)
    page = admin_client.get(change_url(mailing)).content.decode()
    assert re.search(r"is sending to 5 subscribers|has been sent", page)  # the worker is quick
    wait_for(lambda: Edition.objects.get(pk=mailing.pk).status == Edition.Status.SENT)

    # Pressing send again changes nothing and says why.
    again = admin_client.post(change_url(mailing, "send/"), {"confirm": "1"}, follow=True)
    assert "already been sent" in again.content.decode()
    assert Delivery.objects.filter(edition=mailing).count() == 5
    # Once sent, the edition is a record: its fields are read-only.
    admin_client.post(change_url(mailing), {"subject": "Rewritten", "intro": "x"})
    assert Edition.objects.get(pk=mailing.pk).subject == "Fusions, week 48"


def test_the_progress_panel_polls_while_sending_and_lists_problems_first(admin_client, mailing):
    ledger.deliveries_create(edition=mailing)
    Edition.objects.filter(pk=mailing.pk).update(status=Edition.Status.SENDING)
    rows = list(Delivery.objects.filter(edition=mailing).order_by("pk"))
    Delivery.objects.filter(pk=rows[0].pk).update(status="sent")
    Delivery.objects.filter(pk=rows[4].pk).update(
        status="failed", attempts=1, last_error="550 5.1.1 No such user here"
    )
    panel = admin_client.get(change_url(mailing, "progress/")).content.decode()
    assert f'data-hx-get="{change_url(mailing, "progress/")}"' in panel
    assert 'data-hx-trigger="every 2s"' in panel
    assert '<progress max="100" value="40"' in panel
    assert re.search(r"Sent <strong>1</strong>.*Failed <strong>1</strong>.*Waiting <strong>3"
                     r"</strong>.*Of <strong>5</strong>", panel, re.S)  # fmt: skip
    recipients = re.findall(r"<td>(a\d@example.org)</td>", panel)
    assert recipients[0] == "a4@example.org"  # the failure comes first, with its error
    assert "550 5.1.1 No such user here" in panel

    Delivery.objects.filter(edition=mailing).exclude(status="failed").update(status="sent")
    Edition.objects.filter(pk=mailing.pk).update(status=Edition.Status.SENT)
    done = admin_client.get(change_url(mailing, "progress/")).content.decode()
    assert 'value="100"' in done
    assert "data-hx-get" not in done  # finished: the page stops asking


def test_cancelling_from_the_edition_page_stops_what_has_not_left(admin_client, mailing):
    ledger.deliveries_create(edition=mailing)
    Edition.objects.filter(pk=mailing.pk).update(status=Edition.Status.SENDING)
    assert admin_client.get(change_url(mailing, "cancel/")).status_code == 405
    admin_client.post(change_url(mailing, "cancel/"))
    assert Edition.objects.get(pk=mailing.pk).status == Edition.Status.CANCELLED
    assert not Delivery.objects.filter(edition=mailing, status="queued").exists()


def test_the_edition_page_costs_the_same_queries_with_more_deliveries(admin_client, mailing):
    from django.test.utils import CaptureQueriesContext

    ledger.deliveries_create(edition=mailing)
    admin_client.get(change_url(mailing))  # warm: the first request loads content types
    with CaptureQueriesContext(connection) as few:
        admin_client.get(change_url(mailing))
    Subscriber.objects.bulk_create(
        Subscriber(email=f"b{n}@example.org", status="active") for n in range(60)
    )
    ledger.deliveries_create(edition=mailing)
    with CaptureQueriesContext(connection) as many:
        admin_client.get(change_url(mailing))
    assert len(few) == len(many)


def test_scheduling_from_the_edition_page_refuses_past_times(admin_client, mailing):
    from datetime import timedelta

    from django.utils import timezone

    url = change_url(mailing, "schedule/")
    assert "Send at" in admin_client.get(url).content.decode()
    past = (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    refused = admin_client.post(url, {"publish_at": past})
    assert refused.status_code == 400
    assert "Choose a time in the future, or use “Send now…”" in refused.content.decode()
    assert Edition.objects.get(pk=mailing.pk).status == Edition.Status.DRAFT
    garbled = admin_client.post(url, {"publish_at": "next tuesday-ish"})
    assert garbled.status_code == 400

    when = timezone.localtime() + timedelta(days=1)
    response = admin_client.post(url, {"publish_at": when.strftime("%Y-%m-%dT%H:%M")})
    assert response["Location"] == change_url(mailing)
    mailing.refresh_from_db()
    assert mailing.status == Edition.Status.SCHEDULED
    assert mailing.scheduled_at.replace(second=0, microsecond=0) == when.replace(
        second=0, microsecond=0
    )


@pytest.mark.django_db
def test_staff_who_may_only_view_editions_can_send_schedule_cancel_or_test_nothing(
    client, mailing, django_capture_on_commit_callbacks
):
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_edition"))
    client.force_login(viewer)
    listing = client.get("/admin/newsletter/edition/")
    assert listing.status_code == 200
    with django_capture_on_commit_callbacks() as queued:
        for action in ("send_now", "schedule", "cancel", "send_test", "resume", "retry_failed"):
            assert f'value="{action}"' not in listing.content.decode()
            answer = client.post(
                "/admin/newsletter/edition/",
                {"action": action, "_selected_action": [mailing.pk], "confirm": "1", "apply": "1"},
            )
            assert answer.status_code in (200, 302)  # "no action selected", nothing done
        for suffix in ("send/", "schedule/", "cancel/", "test/", "resume/", "retry-failed/"):
            assert client.post(change_url(mailing, suffix), {"confirm": "1"}).status_code == 403
    mailing.refresh_from_db()
    assert mailing.status == Edition.Status.DRAFT
    assert not Delivery.objects.exists()
    assert not queued  # no task and no mail, not even a test copy


def tools(page: str) -> list[str]:
    """The labels of the edition page's send buttons and links, in the order they appear."""
    start = page.index('<div class="module edition-tools" role="group"')
    group = page[start : page.index("</div>\n</div>", start)]
    assert 'aria-labelledby="edition-tools-title"' in group
    return [
        " ".join(label.split())
        for label in re.findall(r"<(?:button|a)\b[^>]*>([^<]+)</(?:button|a)>", group)
    ]


def test_the_edition_pages_buttons_are_one_group_in_the_order_of_the_work(admin_client, mailing):
    assert tools(admin_client.get(change_url(mailing)).content.decode()) == [
        "Send a test to admin@example.com",
        "Schedule…",
        "Send now…",
    ]
    Edition.objects.filter(pk=mailing.pk).update(status=Edition.Status.SCHEDULED)
    assert tools(admin_client.get(change_url(mailing)).content.decode()) == [
        "Send a test to admin@example.com",
        "Schedule…",
        "Send now…",
        "Cancel sending",
    ]
    Edition.objects.filter(pk=mailing.pk).update(status=Edition.Status.SENT)
    sent = admin_client.get(change_url(mailing)).content.decode()
    assert tools(sent) == ["Send a test to admin@example.com"]


def panel_replaced(page: str, panel: str) -> str:
    """The page as htmx leaves it after swapping in a fresh progress panel (outerHTML)."""
    start = page.index('<div id="edition-progress"')
    depth, at = 0, start
    for tag in re.finditer(r"<(/?)div\b", page[start:]):
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            at = start + tag.start()
            break
    return page[:start] + panel + page[page.index(">", at) + 1 :]


TOOLS = '<div class="module edition-tools"'


def polled(page: str, answer: str) -> str:
    """The page as htmx leaves it after a poll: the panel replaced, and the send buttons too
    when the answer carries them out of band (data-hx-swap-oob, matched by their id)."""
    panel, found, buttons = answer.partition(TOOLS)
    page = panel_replaced(page, panel)
    if found:
        start = page.index(TOOLS)
        end = page.index("</div>\n</div>", start) + len("</div>\n</div>")
        page = page[:start] + (TOOLS + buttons).strip() + page[end:]
    return page


def test_the_send_buttons_follow_the_edition_status_without_a_reload(admin_client, client, mailing):
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    ledger.deliveries_create(edition=mailing)
    Edition.objects.filter(pk=mailing.pk).update(status=Edition.Status.SENDING)
    page = admin_client.get(change_url(mailing)).content.decode()
    assert tools(page)[-1] == "Cancel sending"
    assert """data-hx-vals='{"shown": "sending"}'""" in page
    progress = change_url(mailing, "progress/")
    same = admin_client.get(progress, {"shown": "sending"}).content.decode()
    assert TOOLS not in same  # nothing changed: no button is replaced under the pointer

    # Stopped for attention: Resume comes, Cancel stays.
    Edition.objects.filter(pk=mailing.pk).update(status=Edition.Status.ATTENTION)
    stopped = polled(page, admin_client.get(progress, {"shown": "sending"}).content.decode())
    assert tools(stopped)[-2:] == ["Resume sending", "Cancel sending"]

    # Sent: Cancel goes with the send it would have cancelled.
    Delivery.objects.filter(edition=mailing).update(status="sent")
    Edition.objects.filter(pk=mailing.pk).update(status=Edition.Status.SENT)
    answer = admin_client.get(progress, {"shown": "sending"}).content.decode()
    assert 'data-hx-swap-oob="true"' in answer
    sent = polled(page, answer)
    assert tools(sent) == ["Send a test to admin@example.com"]
    assert sent.count('id="edition-tools"') == 1
    assert "data-hx-get" not in sent  # and the panel stops asking

    # Staff who may only look get the panel, never buttons they could not use.
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_edition"))
    client.force_login(viewer)
    assert TOOLS not in client.get(progress, {"shown": "sending"}).content.decode()


def test_the_banner_says_sending_while_it_sends_and_sent_once_it_is(
    admin_client, mailing, smtp_server
):
    response = admin_client.post(change_url(mailing, "send/"), {"confirm": "1"}, follow=True)
    page = response.content.decode()
    assert "“Fusions, week 48” is sending to 5 subscribers." in page

    delivery.send_batch(edition_id=mailing.pk)  # the worker's part, here in the test
    assert Edition.objects.get(pk=mailing.pk).status == Edition.Status.SENT
    panel = admin_client.get(change_url(mailing, "progress/")).content.decode()
    seen = panel_replaced(page, panel)  # the page never reloads: only the panel changes
    assert "has been sent" in seen
    assert "is sending" not in seen


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
