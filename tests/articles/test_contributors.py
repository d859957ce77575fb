"""Contributors (#14, point 4): authors and medical reviewers with public profiles, credited on
the article page and in its JSON-LD, each with a page of their public articles and reviews."""

import importlib
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.apps import apps
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles import review
from articles.models import Article, ArticleRevision, Contributor
from articles.revisions import ArticleContent, article_content, article_revision_save
from articles.services import article_publish, article_revision_publish, article_unpublish
from tests.articles.test_pages import scripts_of
from tests.articles.test_revisions import save
from tests.factories import (
    ArticleFactory,
    ContributorFactory,
    ReviewerFactory,
    TopicFactory,
    UserFactory,
    approve,
)

pytestmark = pytest.mark.django_db

REVIEWED_AT = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def reviewed_article(reviewer, **fields) -> Article:
    """A live article whose content `reviewer` approved, published through the publish service."""
    article = ArticleFactory(status=Article.Status.DRAFT, published_at=None, **fields)
    with time_machine.travel(REVIEWED_AT, tick=False):
        approve(article, reviewer=reviewer)
    article_publish(article=article, at=timezone.now() - timedelta(hours=1))
    article.refresh_from_db()
    return article


def graph_of(client, article) -> dict[str, dict]:
    (block,) = [s for s in scripts_of(client.get(article.get_absolute_url())) if not s.get("src")]
    return {node["@type"]: node for node in json.loads(block["text"])}


def paragraph(html: str, css_class: str) -> str:
    """The text of the first <p class="…"> on the page, tags stripped."""
    start = html.index(f'<p class="{css_class}">')
    return " ".join(re.sub(r"<[^>]+>", "", html[start : html.index("</p>", start)]).split())


@pytest.fixture
def reviewer():
    user = ReviewerFactory(display_name="Account of a reviewer")
    ContributorFactory(
        user=user,
        slug="ada-okafor",
        name="Ada Okafor-Lind",
        credentials="MD, PhD",
        role="Medical reviewer",
        affiliation="Northfield Cancer Centre",
    )
    return user


# The article page ----------------------------------------------------------------------------
def test_the_byline_names_each_author_with_credentials_and_links_to_their_pages(client):
    first = ContributorFactory(name="Bea Amsel", credentials="RN", slug="bea-amsel")
    second = ContributorFactory(name="Cai Dorn", credentials="", slug="cai-dorn")
    article = ArticleFactory(authors=[second, first])
    page = client.get(article.get_absolute_url()).content.decode()
    assert paragraph(page, "byline").startswith("Written by Bea Amsel, RN and Cai Dorn ·")
    assert '<a class="byline__author" href="/contributors/bea-amsel/">Bea Amsel</a>' in page
    assert '<a class="byline__author" href="/contributors/cai-dorn/">Cai Dorn</a>' in page


def test_an_article_naming_no_author_credits_its_author_accounts_profile(client):
    account = UserFactory(is_staff=True, display_name="Dee Account")
    ContributorFactory(user=account, name="Dee Profile", slug="dee-profile")
    article = ArticleFactory(author=account)
    page = client.get(article.get_absolute_url()).content.decode()
    assert 'href="/contributors/dee-profile/">Dee Profile</a>' in page
    assert "Dee Account" not in page


def test_the_page_says_who_medically_reviewed_it_and_on_what_day_with_a_link(client, reviewer):
    article = reviewed_article(reviewer)
    page = client.get(article.get_absolute_url()).content.decode()
    assert paragraph(page, "byline byline--review") == (
        "Medically reviewed by Ada Okafor-Lind, MD, PhD on 20 November 2026"
    )
    assert 'href="/contributors/ada-okafor/">Ada Okafor-Lind</a>' in page
    assert '<time datetime="2026-11-20">' in page


def test_a_reviewer_without_a_profile_is_named_without_a_link(client):
    plain = ReviewerFactory(display_name="Rhea Plain")
    article = reviewed_article(plain)
    response = client.get(article.get_absolute_url())
    assert response.status_code == 200
    line = paragraph(response.content.decode(), "byline byline--review")
    assert line == "Medically reviewed by Rhea Plain on 20 November 2026"
    reviewed_by = graph_of(client, article)["MedicalWebPage"]["reviewedBy"]
    assert reviewed_by == {"@type": "Person", "name": "Rhea Plain"}


def test_the_review_shown_is_the_live_contents_not_an_approved_draft(client, reviewer):
    article = reviewed_article(reviewer)
    second = ReviewerFactory(display_name="Second Reviewer")
    ContributorFactory(user=second, name="Sol Second", slug="sol-second")
    # Unpublished changes, approved by another reviewer, not yet on the site.
    Article.objects.filter(pk=article.pk).update(title="Changed title")
    draft = article_revision_save(
        article=article, by=None, note="A draft", kind=ArticleRevision.Kind.DRAFT
    )
    Article.objects.filter(pk=article.pk).update(title=article.title)
    approve(article, reviewer=second)
    page = client.get(article.get_absolute_url()).content.decode()
    assert "Ada Okafor-Lind" in paragraph(page, "byline byline--review")
    assert "Sol Second" not in page
    assert "Sol Second" not in client.get("/contributors/ada-okafor/").content.decode()
    assert article.title not in client.get("/contributors/sol-second/").content.decode()
    # Once the changes are published, the page credits the review they passed.
    article_revision_publish(article=article, revision=draft, by=None, kind="minor")
    page = client.get(article.get_absolute_url()).content.decode()
    assert "Sol Second" in paragraph(page, "byline byline--review")
    assert "Changed title" in client.get("/contributors/sol-second/").content.decode()


def test_an_article_published_without_a_review_record_shows_no_review_line(client):
    page = client.get(ArticleFactory().get_absolute_url()).content.decode()
    assert "Medically reviewed" not in page


# JSON-LD -------------------------------------------------------------------------------------
def test_json_ld_gives_authors_and_reviewer_as_people_and_the_review_date(client, reviewer):
    writer = ContributorFactory(
        name="Eli Fenn",
        slug="eli-fenn",
        credentials="PharmD",
        role="Oncology pharmacist",
        affiliation="Eastgate Hospital",
    )
    article = reviewed_article(reviewer, authors=[writer], last_reviewed=None)
    graph = graph_of(client, article)
    assert graph["NewsArticle"]["author"] == [
        {
            "@type": "Person",
            "name": "Eli Fenn",
            "url": "http://testserver/contributors/eli-fenn/",
            "jobTitle": "Oncology pharmacist",
            "honorificSuffix": "PharmD",
            "affiliation": {"@type": "Organization", "name": "Eastgate Hospital"},
        }
    ]
    page = graph["MedicalWebPage"]
    assert page["lastReviewed"] == "2026-11-20"
    assert page["reviewedBy"] == {
        "@type": "Person",
        "name": "Ada Okafor-Lind",
        "url": "http://testserver/contributors/ada-okafor/",
        "jobTitle": "Medical reviewer",
        "honorificSuffix": "MD, PhD",
        "affiliation": {"@type": "Organization", "name": "Northfield Cancer Centre"},
    }
    assert "reviewedBy" not in graph["NewsArticle"]


def test_json_ld_escapes_a_contributors_name(client):
    name = "</script><script>alert(1)</script>"
    article = ArticleFactory(authors=[ContributorFactory(name=name, slug="odd")])
    html = client.get(article.get_absolute_url()).content.decode()
    assert "\\u003C/script\\u003E\\u003Cscript\\u003E" in html
    assert graph_of(client, article)["NewsArticle"]["author"][0]["name"] == name


def test_the_profile_page_is_a_profile_page_about_a_person(client, reviewer):
    response = client.get("/contributors/ada-okafor/")
    (block,) = [s for s in scripts_of(response) if not s.get("src")]
    (node,) = json.loads(block["text"])
    assert node["@type"] == "ProfilePage"
    assert node["mainEntity"]["name"] == "Ada Okafor-Lind"
    assert node["mainEntity"]["jobTitle"] == "Medical reviewer"


# Profile pages -------------------------------------------------------------------------------
def test_a_profile_lists_only_public_articles_written_and_reviewed(client, reviewer):
    writer = ContributorFactory(slug="gil-hart", name="Gil Hart")
    ArticleFactory(title="Written and live", authors=[writer])
    ArticleFactory(
        title="Written draft", authors=[writer], status=Article.Status.DRAFT, published_at=None
    )
    ArticleFactory(
        title="Written for later",
        authors=[writer],
        status=Article.Status.SCHEDULED,
        published_at=timezone.now() + timedelta(days=3),
    )
    reviewed_article(reviewer, title="Reviewed and live")
    waiting = ArticleFactory(
        title="Reviewed, not published", status=Article.Status.DRAFT, published_at=None
    )
    approve(waiting, reviewer=reviewer)

    written = client.get("/contributors/gil-hart/").content.decode()
    assert "Written and live" in written
    assert "Written draft" not in written
    assert "Written for later" not in written
    reviews = client.get("/contributors/ada-okafor/").content.decode()
    assert "Reviewed and live" in reviews
    assert "Reviewed, not published" not in reviews
    assert "MD, PhD" in reviews
    assert "Northfield Cancer Centre" in reviews


def test_an_unpublished_article_leaves_its_contributors_pages(client, reviewer):
    writer = ContributorFactory(slug="ivo-lark")
    article = reviewed_article(reviewer, title="Soon withdrawn", authors=[writer])
    assert "Soon withdrawn" in client.get("/contributors/ivo-lark/").content.decode()
    article_unpublish(article=article)
    for url in ("/contributors/ivo-lark/", "/contributors/ada-okafor/"):
        assert "Soon withdrawn" not in client.get(url).content.decode(), url


def test_a_contributor_with_nothing_public_still_has_a_page_with_their_declaration(client):
    ContributorFactory(
        slug="jo-new",
        name="Jo New",
        competing_interests="Advisory board fees from a diagnostics company.",
        bio="Trained in *genetics*. <script>alert(1)</script>",
    )
    response = client.get("/contributors/jo-new/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Advisory board fees from a diagnostics company." in page
    assert "No published articles yet." in page
    assert "No published articles reviewed yet." in page
    assert "<em>genetics</em>" in page
    assert "<script>alert(1)</script>" not in page
    assert "Jo New" in client.get("/contributors/").content.decode()


def test_an_unknown_contributor_is_a_404(client):
    assert client.get("/contributors/no-such-person/").status_code == 404


def test_competing_interests_are_never_left_blank():
    with pytest.raises(IntegrityError):
        Contributor.objects.create(slug="blank", name="Blank", competing_interests="")


# Queries -------------------------------------------------------------------------------------
def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_article_page_stays_flat_whatever_its_number_of_authors(
    client, reviewer, django_assert_num_queries
):
    topic = TopicFactory()
    one = reviewed_article(reviewer, authors=[ContributorFactory()], topics=[topic])
    many = reviewed_article(
        reviewer, authors=[ContributorFactory() for _ in range(5)], topics=[topic]
    )
    expected = count_queries(client, one.get_absolute_url())
    with django_assert_num_queries(expected):
        client.get(many.get_absolute_url())


def test_the_profile_page_stays_flat_whatever_its_number_of_articles(
    client, reviewer, django_assert_num_queries
):
    writer = ContributorFactory(slug="many")
    reviewed_article(reviewer, authors=[writer], topics=[TopicFactory()])
    urls = ("/contributors/many/", "/contributors/ada-okafor/")
    with_one = {url: count_queries(client, url) for url in urls}
    for _ in range(6):
        reviewed_article(reviewer, authors=[writer], topics=[TopicFactory(), TopicFactory()])
    for url in urls:
        with django_assert_num_queries(with_one[url]):
            assert client.get(url).content.decode().count('class="card"') == 7


# Editing: authors are content, reviewed like any other field ---------------------------------
def test_a_new_byline_on_a_live_article_waits_as_unpublished_changes_for_review(
    client, editor, reviewer
):
    article = reviewed_article(reviewer, title="Live piece")
    writer = ContributorFactory(name="Kit Vale", slug="kit-vale")
    save(client, article, authors=[str(writer.pk)])
    assert list(article.authors.all()) == []  # readers keep the published byline
    assert "Kit Vale" not in client.get(article.get_absolute_url()).content.decode()
    working = review.article_review(article)
    assert working is not None
    assert working.state == review.State.DRAFT
    approve(article, reviewer=ReviewerFactory())
    article_revision_publish(article=article, revision=working.revision, by=editor, kind="minor")
    assert list(article.authors.all()) == [writer]
    assert "Kit Vale" in client.get(article.get_absolute_url()).content.decode()


def test_content_without_authors_keeps_the_fingerprint_it_had_before_they_existed():
    article = ArticleFactory()
    now = article_content(article)
    before_authors = ArticleContent(
        fields={k: v for k, v in now.fields.items() if k != "authors"},
        faqs=now.faqs,
        references=now.references,
    )
    assert now.digest() == before_authors.digest()
    article.authors.set([ContributorFactory()])
    assert article_content(article).digest() != now.digest()


def test_a_reviewer_named_among_the_authors_may_not_approve(reviewer):
    article = ArticleFactory(
        status=Article.Status.DRAFT,
        published_at=None,
        authors=[Contributor.objects.get(user=reviewer)],
    )
    working = review.article_review(article)
    review.review_step_record(
        article=article, revision=working.revision, by=None, action=review.Action.SUBMITTED
    )
    with pytest.raises(review.ReviewError, match="you are its author"):
        review.review_step_record(
            article=article, revision=working.revision, by=reviewer, action=review.Action.APPROVED
        )


# Admin ---------------------------------------------------------------------------------------
CONTRIBUTOR_FORM = {
    "name": "Lou Marsh",
    "slug": "lou-marsh",
    "credentials": "MD",
    "role": "Medical reviewer",
    "affiliation": "Southbank Clinic",
    "bio": "A *short* bio.",
    "competing_interests": "None declared",
    "user": "",
}


def test_an_editor_creates_a_contributor_in_the_admin(client, editor):
    response = client.post("/admin/articles/contributor/add/", CONTRIBUTOR_FORM)
    assert response.status_code == 302, response.content.decode()[:2000]
    lou = Contributor.objects.get(slug="lou-marsh")
    assert (lou.credentials, lou.competing_interests) == ("MD", "None declared")
    assert lou.bio_html.strip() == "<p>A <em>short</em> bio.</p>"
    assert (
        client.get("/admin/articles/contributor/?q=Southbank").content.decode().count("Lou Marsh")
    )


def test_the_admin_refuses_a_contributor_without_a_competing_interests_statement(client, editor):
    response = client.post(
        "/admin/articles/contributor/add/", {**CONTRIBUTOR_FORM, "competing_interests": "  "}
    )
    assert response.status_code == 200
    assert not Contributor.objects.exists()


def test_readers_and_staff_without_the_permission_cannot_create_contributors(client):
    client.force_login(UserFactory(is_staff=False))
    response = client.post("/admin/articles/contributor/add/", CONTRIBUTOR_FORM)
    assert response.status_code == 302
    assert "/login/" in response["Location"]
    client.force_login(UserFactory(is_staff=True))
    assert client.post("/admin/articles/contributor/add/", CONTRIBUTOR_FORM).status_code == 403
    assert not Contributor.objects.exists()


def test_editors_pick_authors_in_the_article_form(client, editor):
    ContributorFactory(name="Mo Pick")
    page = client.get("/admin/articles/article/add/").content.decode()
    assert 'name="authors"' in page
    assert "Mo Pick" in page


# The data migration --------------------------------------------------------------------------
migration = importlib.import_module("articles.migrations.0010_contributors")


def test_the_migration_gives_every_bylined_account_a_profile_and_keeps_each_approval(reviewer):
    named = UserFactory(is_staff=True, display_name="Nia Old")
    editors = UserFactory(is_staff=True, display_name="Driverline editors")
    ArticleFactory(author=named)
    ArticleFactory(author=editors)
    ArticleFactory(author=UserFactory(is_staff=True, display_name=""))
    live = reviewed_article(reviewer, author=None)
    Article.objects.filter(pk=live.pk).update(approval=None)  # as before the migration

    migration.profiles_for_bylines(apps, None)
    migration.approvals_of_public_articles(apps, None)

    profile = Contributor.objects.get(user=named)
    assert (profile.name, profile.competing_interests) == ("Nia Old", "Not yet declared.")
    assert not Contributor.objects.filter(user=editors).exists()
    assert Contributor.objects.count() == 2  # Nia and the reviewer who had one already
    live.refresh_from_db()
    assert live.approval.by == reviewer
