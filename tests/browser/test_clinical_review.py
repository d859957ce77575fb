"""A correction through clinical review, end to end in a real browser (#14): an editor edits a
live article and submits the change; a medical reviewer, signed in elsewhere, asks for a fix;
the editor fixes it and submits again; the reviewer approves; the editor publishes it as a
correction; a reader sees the new text with its dated note, and the article's overdue review
is answered by the new approval. Every screen on the way passes axe."""

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from articles.models import Article
from articles.review_dates import due_after
from tests.factories import PASSWORD, ArticleFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

# Made-up figures: the test is about the workflow, not the trial.
WRONG = "The study enrolled 550 people with NRG1 fusions."
HALF_FIXED = "The study enrolled 55 people with NRG1 fusions."
FIXED = "The cholangiocarcinoma group of the study enrolled 19 people with NRG1 fusions."


def signed_in(page, live_server, email: str, url: str):
    page.set_default_timeout(10_000)
    page.goto(live_server.url + url)
    page.get_by_label("Email:", exact=True).fill(email)
    page.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    return page


def test_a_correction_goes_through_review_and_readers_see_its_note(
    page, browser, live_server, axe_check, staff_groups
):
    editor = UserFactory(email="editor@example.org", is_staff=True, display_name="Eda Editor")
    editor.groups.add(staff_groups["Editors"])
    reviewer = UserFactory(email="rhea@example.org", is_staff=True, display_name="Rhea Reviewer")
    reviewer.groups.add(staff_groups["Medical reviewers"])
    article = ArticleFactory(
        title="Zenocutuzumab in cholangiocarcinoma",
        body=f"## The evidence\n\n{WRONG}",
        next_review=date(2026, 1, 5),  # long overdue
    )
    change_url = f"/admin/articles/article/{article.pk}/change/"

    # The reader meets the overdue article, quietly marked.
    reader = browser.new_page()
    reader.goto(live_server.url + article.get_absolute_url())
    expect(reader.get_by_text("Due for its scheduled medical review since")).to_be_visible()

    # The editor fixes the number and submits the change for review.
    signed_in(page, live_server, "editor@example.org", change_url)
    expect(page.get_by_text("Medical review overdue:")).to_be_visible()
    page.get_by_label("Body:").fill(f"## The evidence\n\n{HALF_FIXED}")
    page.get_by_label("Change note:").fill("Enrolment figure")
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("saved as unpublished changes")
    page.get_by_label("Note for the reviewers (optional)").fill("The enrolment was wrong.")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.locator(".messagelist")).to_contain_text("is submitted for review")
    axe_check(page, context="change form, changes in review")

    # The reviewer, in a browser of their own, asks for a fix.
    desk = browser.new_context()
    other = signed_in(desk.new_page(), live_server, "rhea@example.org", change_url)
    panel = other.locator("#clinical-review")
    expect(panel).to_contain_text("Clinical review of the unpublished changes: In review")
    expect(panel).to_contain_text("The enrolment was wrong.")
    axe_check(other, context="review panel, as the reviewer")
    other.get_by_label("Note (required to request changes)").fill(
        "55 is the whole study; the cholangiocarcinoma group was 19."
    )
    other.get_by_role("button", name="Request changes").click()
    expect(other.locator(".messagelist")).to_contain_text("sent back with your request")

    # The editor sees the request and makes the fix; the change goes back to review.
    page.reload()
    expect(page.locator("#clinical-review")).to_contain_text("Changes requested by Rhea Reviewer")
    expect(page.locator("#clinical-review")).to_contain_text("the cholangiocarcinoma group was 19")
    page.get_by_label("Body:").fill(f"## The evidence\n\n{FIXED}")
    page.get_by_label("Change note:").fill("The group's own figure")
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("saved as unpublished changes")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.locator(".messagelist")).to_contain_text("is submitted for review")

    # The reviewer approves exactly that text.
    other.reload()
    expect(panel).to_contain_text("In review")
    other.get_by_role("button", name="Approve").click()
    expect(other.locator(".messagelist")).to_contain_text("approved: it may be published now")
    desk.close()

    # Readers still see the old text until the editor publishes it, as a correction.
    reader.reload()
    expect(reader.get_by_text(WRONG)).to_be_visible()
    page.reload()
    page.get_by_label("Correction (something was wrong)").check()
    page.get_by_label("Note for readers").fill(
        "We gave the whole study's enrolment; the cholangiocarcinoma group had 19 people."
    )
    axe_check(page, context="publishing approved changes")
    page.get_by_role("button", name="Publish changes").click()
    expect(page.locator(".messagelist")).to_contain_text("are live")

    # The reader sees the fix, the dated note, the new review, and no overdue mark.
    reader.reload()
    expect(reader.get_by_text(FIXED)).to_be_visible()
    expect(reader.get_by_text(WRONG)).to_have_count(0)
    notes = reader.locator("section.changes")
    expect(notes).to_contain_text("Correction")
    expect(notes).to_contain_text("the cholangiocarcinoma group had 19 people")
    expect(reader.get_by_role("link", name="Corrected")).to_be_visible()
    expect(reader.locator(".byline--review")).to_contain_text("Rhea Reviewer")
    expect(reader.get_by_text("Due for its scheduled medical review")).to_have_count(0)
    axe_check(reader, context="article with its correction")
    article.refresh_from_db()
    assert article.next_review == due_after(article.approval.at.date())  # a year on
    assert article.approval.by == reviewer
    assert Article.objects.get(pk=article.pk).is_public
