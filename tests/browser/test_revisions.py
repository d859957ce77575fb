"""An editor's revisions in the admin: two edits of a live article with notes (its unpublished
changes, previewed and then published), the history, a comparison chosen with the keyboard, and a
restore that, once published, brings the old text back to readers."""

import re

import pytest
from playwright.sync_api import expect

from articles import review
from articles.models import Article, ReviewStep
from tests.factories import (
    PASSWORD,
    ArticleFactory,
    FAQEntryFactory,
    ReviewerFactory,
    UserFactory,
)


def submitted_and_approved(page, article: Article, reviewer) -> None:
    """The editor submits the changes from the change form; a medical reviewer approves them."""
    page.get_by_role("button", name="Submit for review").click()
    expect(page.locator(".messagelist")).to_contain_text("is submitted for review")
    review.article_review_step(
        article=article,
        revision=review.article_review(article).revision,
        by=reviewer,
        action=ReviewStep.Action.APPROVED,
    )
    page.reload()


pytestmark = pytest.mark.django_db(transaction=True)


def test_editor_edits_twice_compares_and_restores_the_old_text(
    page, live_server, axe_check, staff_groups
):
    editor = UserFactory(email="editor@example.org", is_staff=True, display_name="Eda Editor")
    editor.groups.add(staff_groups["Editors"])
    article = ArticleFactory(
        title="Basket trials, explained",
        body="## What a basket trial is\n\nOne driver, many tumour sites.",
    )
    FAQEntryFactory(article=article, question="Who can join one?", answer="People with the driver.")

    page.goto(live_server.url + f"/admin/articles/article/{article.pk}/change/")
    page.get_by_label("Email:", exact=True).fill("editor@example.org")
    page.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()

    # Two edits, each with its note.
    page.get_by_label("Body:").fill("## What a basket trial is\n\nOne driver, several cancers.")
    page.get_by_label("Change note:").fill("Plainer wording")
    axe_check(page, context="change form with a change note")
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    expect(page.get_by_label("Change note:")).to_have_value("")  # a note belongs to one save
    page.locator("#id_faqs-0-answer").fill("People whose tumour carries the driver.")
    page.get_by_label("Change note:").fill("A clearer answer")
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("saved as unpublished changes")

    # The article is live: readers still see the published text; staff preview the changes.
    banner = page.locator("#unpublished-changes")
    expect(banner).to_contain_text("This article has unpublished changes (saved")
    expect(banner).to_contain_text("by Eda Editor)")
    axe_check(page, context="change form with unpublished changes")
    page.goto(live_server.url + article.get_absolute_url())
    expect(page.get_by_text("One driver, many tumour sites.")).to_be_visible()
    page.goto(live_server.url + article.get_absolute_url() + "preview/")
    expect(page.get_by_text("Preview — not published.")).to_be_visible()
    expect(page.get_by_text("One driver, several cancers.")).to_be_visible()
    axe_check(page, context="preview of unpublished changes")
    page.get_by_role("link", name="Back to the article in the admin").click()
    expect(banner).to_contain_text("once a medical reviewer approves them")
    reviewer = ReviewerFactory()
    submitted_and_approved(page, article, reviewer)
    page.get_by_label("Minor change (spelling, layout)").check()  # the editor must say which kind
    page.get_by_role("button", name="Publish changes").click()
    expect(page.locator(".messagelist")).to_contain_text("are live")
    expect(page.locator("#unpublished-changes")).to_have_count(0)
    page.goto(live_server.url + article.get_absolute_url())
    expect(page.get_by_text("One driver, several cancers.")).to_be_visible()
    page.goto(live_server.url + f"/admin/articles/article/{article.pk}/change/")

    # The history, newest first.
    page.get_by_role("link", name="History").click()
    expect(
        page.get_by_role("heading", name="History of “Basket trials, explained”")
    ).to_be_visible()
    rows = page.locator("#revision-history tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.nth(0)).to_contain_text("Published the changes of")
    expect(rows.nth(1)).to_contain_text("A clearer answer")
    expect(rows.nth(1)).to_contain_text("Eda Editor")
    expect(rows.nth(2)).to_contain_text("Plainer wording")
    expect(rows.nth(3)).to_contain_text("As it was before revisions were kept")
    axe_check(page, context="history")

    # What the newest edit changed.
    rows.nth(1).get_by_role("link", name=re.compile(r"^Compare")).click()
    changes = page.locator("#revision-changes")
    expect(changes.locator("ins")).to_have_text(["whose tumour carries"])
    expect(changes.locator("del")).to_have_text(["with"])
    axe_check(page, context="compare")

    # Any two, chosen with the keyboard: the oldest against the newest.
    page.get_by_label("Earlier revision").focus()
    page.keyboard.press("End")
    page.keyboard.press("Tab")
    page.keyboard.press("Home")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Compare")).to_be_focused()
    page.keyboard.press("Enter")
    expect(changes.get_by_role("rowheader")).to_have_text(
        ["Body", "Body as readers see it", "FAQ entry 1"]
    )
    expect(changes.locator("ins").first).to_have_text("several cancers")
    expect(changes.locator("del").first).to_have_text("many tumour sites")
    axe_check(page, context="compare any two")

    # Restore the oldest: a confirmation first, then a new revision.
    page.get_by_role("link", name="Back to the history").click()
    rows.nth(3).get_by_role("link", name=re.compile(r"^Restore")).click()
    expect(page.get_by_text("Restoring never changes the publication state")).to_be_visible()
    axe_check(page, context="restore confirmation")
    page.get_by_role("button", name="Yes, restore this revision").click()
    expect(page.locator(".messagelist")).to_contain_text("The publication state is unchanged")
    expect(page.get_by_label("Body:")).to_have_value(
        "## What a basket trial is\n\nOne driver, many tumour sites."
    )
    page.get_by_role("link", name="History").click()
    expect(rows).to_have_count(5)
    expect(rows.nth(0)).to_contain_text("Restored the revision of")

    # Published, readers see the old text again; the article never left the site.
    page.goto(live_server.url + f"/admin/articles/article/{article.pk}/change/")
    submitted_and_approved(page, article, reviewer)
    page.get_by_label("Correction (something was wrong)").check()
    page.get_by_label("Note for readers").fill("We went back to the earlier wording.")
    page.get_by_role("button", name="Publish changes").click()
    expect(page.locator(".messagelist")).to_contain_text("are live")
    assert Article.objects.get(pk=article.pk).is_public
    page.goto(live_server.url + article.get_absolute_url())
    expect(page.get_by_text("One driver, many tumour sites.")).to_be_visible()
    expect(page.get_by_text("We went back to the earlier wording.")).to_be_visible()
    page.get_by_text("Who can join one?").click()
    expect(page.get_by_text("People with the driver.")).to_be_visible()
