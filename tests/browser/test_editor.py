"""Editors in the admin: an article written, submitted for clinical review, approved and
published; an edition composed and sent."""

import re

import pytest
from playwright.sync_api import expect

from articles import review
from articles.models import Article, ReviewStep
from newsletter.models import Delivery, Edition, Subscriber
from newsletter.provider_events import provider_event_record
from tests.factories import PASSWORD, ArticleFactory, ReviewerFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def typography(locator) -> dict:
    return locator.evaluate(
        "e => { const s = getComputedStyle(e);"
        " return {family: s.fontFamily, size: s.fontSize, leading: s.lineHeight}; }"
    )


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
    preview = page.frame_locator("iframe[title='Preview of the body']")
    expect(preview.get_by_role("heading", level=2)).to_have_text("What a basket trial is")
    preview_type = typography(preview.locator(".prose p"))
    page.get_by_label("Status:").select_option("published")
    page.get_by_role("button", name="Add another FAQ entry").click()
    page.locator("#id_faqs-0-question").fill("Who can join one?")
    page.locator("#id_faqs-0-answer").fill("People whose tumour carries the driver under study.")
    page.get_by_role("button", name="Save", exact=True).click()
    # New content waits for a medical reviewer: saved, not published.
    expect(page.locator(".messagelist")).to_contain_text("a medical reviewer has not approved")
    axe_check(page, context="admin article list")

    article = Article.objects.get(slug="basket-trials-explained")
    page.goto(live_server.url + f"/admin/articles/article/{article.pk}/change/")
    panel = page.locator("#clinical-review")
    expect(panel).to_contain_text("Clinical review: Draft")
    axe_check(page, context="change form with the review panel")
    page.get_by_label("Note for the reviewers (optional)").fill("Checked against the registry.")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.locator(".messagelist")).to_contain_text("is submitted for review")
    expect(panel).to_contain_text("(submitted by Eda Editor)")
    review.article_review_step(
        article=article,
        revision=review.article_review(article).revision,
        by=ReviewerFactory(display_name="Dr Rhea Reviewer"),
        action=ReviewStep.Action.APPROVED,
    )
    page.reload()
    expect(panel).to_contain_text("Approved by Dr Rhea Reviewer on")
    page.get_by_label("Status:").select_option("published")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("is live")
    article.refresh_from_db()
    assert article.is_public
    page.goto(live_server.url + article.get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_have_text("Basket trials, explained")
    # The preview read as the article does: the site's own type, not the admin's.
    assert preview_type == typography(page.locator(".prose p").first)
    page.get_by_text("Who can join one?").click()
    expect(page.get_by_text("People whose tumour carries the driver")).to_be_visible()
    axe_check(page, context="the new article")


def test_editor_composes_an_edition_sends_it_and_watches_it_finish(
    page, live_server, axe_check, staff_groups, smtp_server, celery_worker, settings
):
    settings.SITE_URL = live_server.url
    settings.NEWSLETTER_RATE_PER_SECOND = 10  # slow enough to watch: about four seconds
    editor = UserFactory(email="editor@example.org", is_staff=True, display_name="Eda Editor")
    editor.groups.add(staff_groups["Editors"])
    ArticleFactory(title="Reading a basket trial")
    Subscriber.objects.bulk_create(
        Subscriber(email=f"reader{n}@example.org", status="active") for n in range(40)
    )

    page.goto(live_server.url + "/admin/newsletter/edition/add/")
    page.get_by_label("Email:", exact=True).fill("editor@example.org")
    page.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Add edition")).to_be_visible()
    axe_check(page, context="compose an edition")
    page.get_by_label("Subject:").fill("Driver fusions, week 48")
    page.get_by_label("Preheader:").fill("One approval and one trial to watch")
    page.get_by_label("Intro:").fill("This week, **one approval** matters most.")
    page.get_by_label("Reading a basket trial").check()
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    preview = page.frame_locator("iframe[title='Preview of the HTML message']")
    expect(preview.get_by_role("heading", name="Driver fusions, week 48")).to_be_visible()
    expect(preview.get_by_text("Reading a basket trial")).to_be_visible()
    axe_check(page, context="edition page before sending")
    tools = page.get_by_role("group", name="Send this edition")
    expect(tools.locator("a, button")).to_have_text(
        ["Send a test to editor@example.org", "Schedule…", "Send now…"]
    )

    tools.get_by_role("link", name="Send now…").click()
    expect(page.get_by_text("Driver fusions, week 48: 40 subscribers")).to_be_visible()
    axe_check(page, context="send confirmation")
    page.get_by_role("button", name="Yes, send now").click()
    progress = page.locator("#edition-progress")
    expect(progress).to_contain_text("“Driver fusions, week 48” is sending to 40 subscribers.")
    expect(tools.get_by_role("button", name="Cancel sending")).to_be_visible()
    page.evaluate("window.stillTheSamePage = true")
    expect(progress).to_contain_text("Sent 40", timeout=30_000)
    expect(progress).to_contain_text("100 % done")
    expect(progress).to_contain_text("“Driver fusions, week 48” has been sent")
    expect(page.get_by_text("is sending")).to_have_count(0)  # nothing on the page says otherwise
    # The buttons followed: Cancel went with the send it would have cancelled.
    expect(tools.locator("a, button")).to_have_text(["Send a test to editor@example.org"])
    expect(progress.get_by_role("progressbar", name="Delivery progress")).to_have_attribute(
        "value", "100"
    )
    # The panel refreshed itself: the page was never reloaded.
    assert page.evaluate("window.stillTheSamePage") is True
    axe_check(page, context="edition page after sending")
    assert Delivery.objects.filter(status="sent").count() == 40
    assert Edition.objects.get().status == Edition.Status.SENT

    # Later a provider's webhooks report a hard bounce and a complaint: the page shows both.
    bounced, complained = Delivery.objects.order_by("pk").select_related("subscriber")[:2]
    for row, kind, detail in (
        (bounced, "bounced", "Hard bounce: mailbox not found"),
        (complained, "complained", ""),
    ):
        provider_event_record(
            provider="Postmark", kind=kind, event_id=f"{kind}-1", message_id=row.message_id,
            recipient=row.subscriber.email, occurred_at=None, description=detail,
        )  # fmt: skip
    page.reload()
    events = page.get_by_role("table", name="What the mail provider reported, latest first")
    expect(events).to_contain_text(bounced.subscriber.email)
    expect(events).to_contain_text("Hard bounce: mailbox not found")
    expect(page.locator("#edition-progress")).to_contain_text("Bounced 1")
    expect(page.locator("#edition-progress")).to_contain_text("Complaints 1")
    expect(page.get_by_role("alert")).to_contain_text("1 of the 40 readers of the last edition")
    axe_check(page, context="edition page with a provider's events")


def test_a_drafts_slug_follows_its_title_but_a_live_articles_stays(
    page, live_server, axe_check, staff_groups
):
    editor = UserFactory(email="editor@example.org", is_staff=True, display_name="Eda Editor")
    editor.groups.add(staff_groups["Editors"])
    draft = ArticleFactory(
        title="Basket trials", slug="basket-trials", status=Article.Status.DRAFT, published_at=None
    )
    live = ArticleFactory(title="Umbrella trials", slug="umbrella-trials")

    page.goto(live_server.url + f"/admin/articles/article/{draft.pk}/change/")
    page.get_by_label("Email:", exact=True).fill("editor@example.org")
    page.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.get_by_label("Title:").fill("Basket trials, explained")
    expect(page.get_by_label("Slug:")).to_have_value("basket-trials-explained")
    axe_check(page, context="a draft's change form")
    # Once the editor chooses a slug, the title no longer touches it.
    page.get_by_label("Slug:").fill("baskets")
    page.get_by_label("Title:").fill("Basket trials, explained again")
    expect(page.get_by_label("Slug:")).to_have_value("baskets")

    page.goto(live_server.url + f"/admin/articles/article/{live.pk}/change/")
    page.get_by_label("Title:").fill("Umbrella trials, explained")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Slug:")).to_have_value("umbrella-trials")  # its address is out
