"""The article on a phone and on a desktop: the contents, and how deep replies read."""

import pytest
from playwright.sync_api import expect

from tests.factories import ArticleFactory, CommentFactory

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
SECTIONS = ["Background", "The trial", "Who is eligible", "Side effects", "Costs", "What next"]


@pytest.fixture
def long_article():
    body = "\n\n".join(f"## {title}\n\n{'A sentence of the article. ' * 12}" for title in SECTIONS)
    article = ArticleFactory(title="A long explainer", slug="a-long-explainer", body=body)
    top = CommentFactory(article=article, body="A first comment. " * 8)
    reply = CommentFactory(parent=top, body="A reply to it. " * 8)
    CommentFactory(parent=reply, body="A third-level reply, which should still read well. " * 4)
    return article


def toc(page):
    return page.locator("nav.toc details")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_contents_fold_away_on_a_phone_and_stay_open_on_a_desktop(
    page, live_server, long_article, axe_check, viewport
):
    page.set_viewport_size(viewport)
    page.goto(f"{live_server.url}{long_article.get_absolute_url()}")
    # Every section, the FAQ-less article's discussion link: six plus one.
    summary = page.locator("nav.toc summary")
    expect(summary).to_have_text("Contents (7)")
    first_section = page.get_by_role("link", name="Background")
    if viewport is PHONE:
        expect(toc(page)).not_to_have_attribute("open", "")
        expect(first_section).to_be_hidden()
        # The article itself starts on the first screen.
        top = page.locator(".prose h2").first.bounding_box()["y"]
        assert top < viewport["height"], top
        summary.click()
        expect(first_section).to_be_visible()
    else:
        expect(toc(page)).to_have_attribute("open", "")
        expect(first_section).to_be_visible()
    axe_check(page, context=f"article at {viewport['width']} px")


def test_third_level_replies_keep_a_readable_measure_on_a_phone(
    page, live_server, long_article, axe_check
):
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}{long_article.get_absolute_url()}#discussion")
    bodies = page.locator(".comment__body")
    expect(bodies).to_have_count(3)
    widths = [bodies.nth(i).bounding_box()["width"] for i in range(3)]
    # The deepest reply loses little to its indent: still some 30 characters a line.
    assert widths[2] >= 200, widths
    assert widths[2] >= 0.85 * widths[0], widths
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    axe_check(page, context="replies at 360 px")
