"""A reader subscribes from an article, confirms by mail, changes preferences and leaves."""

import re

import pytest
from playwright.sync_api import expect

from newsletter.models import Subscriber
from tests.factories import ArticleFactory, TopicFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_subscribe_confirm_manage_and_unsubscribe(
    page, live_server, smtp_server, celery_worker, axe_check, settings
):
    settings.SITE_URL = live_server.url  # the links in mail and on pages point here
    topic = TopicFactory(name="Basket trials", slug="basket-trials")
    article = ArticleFactory(topics=[topic])
    page.goto(live_server.url + article.get_absolute_url())
    signup = page.get_by_role("form", name="Subscribe to new articles")
    signup.get_by_label("Email address").fill("ruth@example.org")
    signup.get_by_label("Each new article").check()
    signup.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    axe_check(page, context="check your inbox")

    mail = smtp_server.wait_for_message("ruth@example.org")
    body = mail.get_body(preferencelist=("plain",)).get_content()
    page.goto(re.search(r"http://\S+/newsletter/confirm/\S+/", body).group(0))
    axe_check(page, context="confirm page")
    page.get_by_role("button", name="Confirm my subscription").click()
    expect(page.get_by_role("heading", name="You’re subscribed")).to_be_visible()
    subscriber = Subscriber.objects.get(email="ruth@example.org")
    assert subscriber.status == Subscriber.Status.ACTIVE
    assert subscriber.consent_source == "article"

    page.get_by_role("link", name="Choose topics and frequency").click()
    axe_check(page, context="preferences")
    page.get_by_role("group", name="How often:").get_by_label("Weekly digest").check()
    page.get_by_role("group", name="Topics:").get_by_label("Basket trials").check()
    page.get_by_role("button", name="Save preferences").click()
    expect(page.get_by_text("Your preferences are saved.")).to_be_visible()
    subscriber.refresh_from_db()
    assert subscriber.frequency == "weekly"
    assert list(subscriber.topics.values_list("slug", flat=True)) == ["basket-trials"]

    page.get_by_role("link", name="Unsubscribe from every newsletter email").click()
    axe_check(page, context="unsubscribe")
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_role("heading", name="You’re unsubscribed")).to_be_visible()
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED


def test_a_subscriber_adds_and_removes_a_combination_on_a_phone(
    browser, live_server, axe_check, settings
):
    from newsletter import tokens

    settings.SITE_URL = live_server.url
    TopicFactory(name="NRG1 fusion", slug="nrg1-fusion", kind="biomarker")
    TopicFactory(name="Pancreatic cancer", slug="pancreatic-cancer", kind="cancer_type")
    subscriber = Subscriber.objects.create(email="phone@example.org", status="active")
    # Script stays on for axe; the page uses none (plain submit buttons, details/summary).
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(tokens.links(subscriber)["preferences_url"])
    page.locator("summary", has_text="Alerts for a biomarker in a cancer type").click()
    page.get_by_label("Biomarker:", exact=True).select_option(label="NRG1 fusion")
    page.get_by_label("Cancer type:", exact=True).select_option(label="Pancreatic cancer")
    axe_check(page, context="preferences, combinations open")
    page.get_by_role("button", name="Add this combination").click()
    expect(page.get_by_text("Added: NRG1 fusion in pancreatic cancer.")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    axe_check(page, context="preferences, combination added")
    assert [str(i) for i in subscriber.interests.all()] == ["NRG1 fusion in pancreatic cancer"]
    page.get_by_role("button", name="Remove NRG1 fusion in pancreatic cancer").click()
    expect(page.get_by_text("The combination is removed.")).to_be_visible()
    assert not subscriber.interests.exists()
    context.close()
