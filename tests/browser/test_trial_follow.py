"""A reader follows a trial from its card: by email (confirmed from the mail), and signed in
with one click; the card shows the trial's latest change. Checked by axe on a phone and a
desktop."""

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from evidence.models import Trial, TrialChange
from newsletter.models import TrialFollow
from tests.browser.test_comments import sign_in
from tests.factories import ArticleFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def changed_trial():
    trial = Trial.objects.create(
        nct_id="NCT09000001", title="A Study of Drug A in NRG1 Fusions",
        overall_status="ACTIVE_NOT_RECRUITING", phases=["PHASE2"], sponsor="Example Oncology",
        as_of=timezone.now() - timedelta(hours=2),
    )  # fmt: skip
    TrialChange.objects.create(
        trial=trial, kind="status", old_status="RECRUITING", new_status="ACTIVE_NOT_RECRUITING",
        registry_date=date(2026, 12, 1), key="status:ACTIVE_NOT_RECRUITING:2026-12-01",
    )  # fmt: skip
    return trial


@pytest.mark.parametrize(
    "viewport", [{"width": 360, "height": 740}, {"width": 1280, "height": 900}]
)
def test_a_reader_follows_a_trial_by_email_from_its_card(
    page, live_server, smtp_server, celery_worker, axe_check, settings, changed_trial, viewport
):
    settings.SITE_URL = live_server.url
    page.set_viewport_size(viewport)
    article = ArticleFactory(body="The study NCT09000001 is recruiting no longer.")
    page.goto(live_server.url + article.get_absolute_url())
    card = page.get_by_role("article", name="A Study of Drug A in NRG1 Fusions")
    expect(card).to_contain_text(
        "Status changed from Recruiting to Active, not recruiting on 1 Dec 2026"
    )
    axe_check(page, context="article with a trial card")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]

    form = card.get_by_role("form", name="Follow NCT09000001 by email")
    form.get_by_label("Email me when this trial’s status changes").fill("ruth@example.org")
    form.get_by_role("button", name="Follow this trial").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    axe_check(page, context="check your inbox")

    mail = smtp_server.wait_for_message("ruth@example.org")
    body = mail.get_body(preferencelist=("plain",)).get_content()
    page.goto(re.search(r"http://\S+/newsletter/trials/confirm/\S+", body).group(0))
    axe_check(page, context="confirm following")
    page.get_by_role("button", name="Follow this trial").click()
    expect(page.get_by_role("heading", name="You follow NCT09000001")).to_be_visible()
    axe_check(page, context="following")
    assert TrialFollow.objects.get().status == "active"
    page.get_by_role("link", name="Back to where you were").click()
    expect(page).to_have_url(re.compile(re.escape(article.get_absolute_url())))


def test_a_signed_in_reader_follows_with_one_click_and_stops(
    page, live_server, axe_check, changed_trial
):
    reader = UserFactory(email="kofi@example.org")
    article = ArticleFactory(body="NCT09000001.")
    sign_in(page, live_server, reader.email, article.get_absolute_url())
    card = page.get_by_role("article", name="A Study of Drug A in NRG1 Fusions")
    card.get_by_role("button", name="Follow this trial").click()
    expect(
        page.get_by_text("You follow NCT09000001: we’ll email you when it changes.")
    ).to_be_visible()
    axe_check(page, context="following from the card")
    assert TrialFollow.objects.get().user == reader
    stop = page.get_by_role("button", name="Stop following NCT09000001")
    stop.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("You no longer follow NCT09000001.")).to_be_visible()
    assert TrialFollow.objects.get().status == "unfollowed"
