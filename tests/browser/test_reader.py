"""A reader on a phone and on a desktop: home, article, FAQ, search."""

import pytest
from playwright.sync_api import expect

from tests.factories import ArticleFactory, FAQEntryFactory, ReferenceFactory, TopicFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def founding_article():
    topic = TopicFactory(name="Cholangiocarcinoma", slug="cholangiocarcinoma", kind="cancer_type")
    article = ArticleFactory(
        title="FDA approves zenocutuzumab for NRG1-positive bile duct cancer",
        slug="zenocutuzumab-cholangiocarcinoma",
        standfirst="A targeted antibody wins approval for a rare genetic driver.",
        body="## What was approved\n\nText.\n\n## The evidence\n\nThe eNRGy trial, NCT02912949.",
        topics=[topic],
        discussion_prompt="Are we moving too fast with small-cohort approvals?",
    )
    FAQEntryFactory(
        article=article,
        question="What is an NRG1 fusion?",
        answer="NRG1 joins another gene and the resulting protein drives growth.",
    )
    ReferenceFactory(article=article, label="The eNRGy trial on the registry")
    ArticleFactory(title="Basket trials explained", topics=[topic])
    return article


@pytest.mark.parametrize(
    "viewport", [{"width": 360, "height": 740}, {"width": 1280, "height": 900}]
)
def test_reader_reads_an_article_opens_an_faq_and_finds_it_by_search(
    page, live_server, founding_article, axe_check, viewport
):
    page.set_viewport_size(viewport)
    page.goto(live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    axe_check(page, context="home")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]

    page.get_by_role("link", name=founding_article.title).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(founding_article.title)
    expect(page.get_by_text("Are we moving too fast with small-cohort approvals?")).to_be_visible()
    answer = page.get_by_text("NRG1 joins another gene")
    expect(answer).to_be_hidden()
    page.get_by_text("What is an NRG1 fusion?").click()
    expect(answer).to_be_visible()
    axe_check(page, context="article")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]

    page.get_by_role("link", name="Search", exact=True).click()
    page.get_by_role("searchbox", name="Search articles").fill("zenocutuzumab")
    page.get_by_role("searchbox", name="Search articles").press("Enter")
    expect(page.get_by_text("1 result for “zenocutuzumab”")).to_be_visible()
    axe_check(page, context="search results")
    page.get_by_role("link", name=founding_article.title).click()
    expect(page).to_have_url(live_server.url + founding_article.get_absolute_url())


def test_faq_works_from_the_keyboard(page, live_server, founding_article):
    page.goto(live_server.url + founding_article.get_absolute_url())
    summary = page.get_by_text("What is an NRG1 fusion?")
    summary.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("NRG1 joins another gene")).to_be_visible()


def test_topic_page_and_friendly_404_pass_axe(page, live_server, founding_article, axe_check):
    page.goto(live_server.url + "/topics/")
    axe_check(page, context="topics")
    page.get_by_role("link", name="Cholangiocarcinoma").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cholangiocarcinoma")
    axe_check(page, context="topic page")
    response = page.goto(live_server.url + "/articles/not-a-real-article/")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("We couldn’t find that page")
    axe_check(page, context="404")


@pytest.mark.parametrize("width", [360, 1280])
def test_an_articles_corrections_and_the_corrections_page_pass_axe_and_fit_a_phone(
    page, live_server, founding_article, axe_check, width
):
    from articles.models import ArticleChange
    from articles.revisions import article_revision_save

    revision = article_revision_save(
        article=founding_article, by=None, note="Published", kind="publication"
    )
    ArticleChange.objects.create(
        article=founding_article,
        revision=revision,
        kind=ArticleChange.Kind.CORRECTION,
        note="The trial enrolled *55* people, not 550 ([registry](https://clinicaltrials.gov/)).",
    )
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(live_server.url + founding_article.get_absolute_url())
    expect(page.get_by_role("heading", name="Corrections and updates")).to_be_visible()
    page.get_by_role("link", name="Corrected").click()  # the byline leads to the note
    axe_check(page, context="article with a correction")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.get_by_role("link", name="All corrections and updates").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Corrections and updates")
    expect(page.get_by_text("people, not 550")).to_be_visible()
    axe_check(page, context="corrections page")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
