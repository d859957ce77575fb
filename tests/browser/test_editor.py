"""An editor signs in, writes an article with an FAQ entry in the admin and publishes it."""

import re

import pytest
from playwright.sync_api import expect

from articles.models import Article
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_editor_writes_publishes_and_sees_the_article_live(
    page, live_server, axe_check, staff_groups
):
    editor = UserFactory(email="editor@example.org", is_staff=True, display_name="Eda Editor")
    editor.groups.add(staff_groups["Editors"])

    page.goto(live_server.url + "/admin/")
    expect(page).to_have_url(re.compile(r".*/accounts/login/.*"))
    axe_check(page, context="login")
    page.get_by_label("Email:", exact=True).fill("editor@example.org")
    page.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Publishing and moderation")).to_be_visible()
    axe_check(page, context="admin index")

    page.goto(live_server.url + "/admin/articles/article/add/")
    axe_check(page, context="admin add article")
    page.get_by_label("Title:").fill("Basket trials, explained")
    page.keyboard.press("Tab")  # the admin fills the slug in on change
    expect(page.get_by_label("Slug:")).to_have_value("basket-trials-explained")
    page.get_by_label("Standfirst:").fill("Why one trial can test many cancers at once.")
    page.get_by_label("Body:").fill("## What a basket trial is\n\nOne driver, many tumour sites.")
    page.get_by_role("button", name="Preview the body").click()
    expect(page.locator(".md-preview__output h2")).to_have_text("What a basket trial is")
    page.get_by_label("Status:").select_option("published")
    page.get_by_role("button", name="Add another FAQ entry").click()
    page.locator("#id_faqs-0-question").fill("Who can join one?")
    page.locator("#id_faqs-0-answer").fill("People whose tumour carries the driver under study.")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("is live")
    axe_check(page, context="admin article list")

    article = Article.objects.get(slug="basket-trials-explained")
    assert article.is_public
    page.goto(live_server.url + article.get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_have_text("Basket trials, explained")
    page.get_by_text("Who can join one?").click()
    expect(page.get_by_text("People whose tumour carries the driver")).to_be_visible()
    axe_check(page, context="the new article")
