"""Drafts of live articles (#14, point 2): editing a published article saves the next revision's
draft; readers keep the published text until the changes are published. Staff see that the
article has unpublished changes, preview them on the site, compare, publish or discard them."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles import drafts
from articles.models import ArticleRevision
from articles.revisions import article_revision_save
from articles.services import article_unpublish
from tests.articles.test_revisions import BODY, change_form, content, history_of, save
from tests.factories import (
    ArticleFactory,
    FAQEntryFactory,
    ModeratorFactory,
    ReferenceFactory,
    TopicFactory,
    UserFactory,
    approve,
)

pytestmark = pytest.mark.django_db

SAVED_AT = datetime(2026, 12, 2, 15, 15, tzinfo=UTC)


@pytest.fixture
def article():
    """A live article with one FAQ entry and one reference, and the revision of its publication."""
    article = ArticleFactory(
        title="Basket trials",
        slug="basket-trials",
        body=BODY,
        topics=[TopicFactory(name="NRG1 fusions")],
        published_at=datetime(2026, 11, 2, 9, 30, tzinfo=UTC),
    )
    FAQEntryFactory(article=article, question="Who can join?", answer="People with the driver.")
    ReferenceFactory(article=article, label="The basket trial", identifier="NCT02912949")
    article_revision_save(
        article=article, by=None, note="Published", kind=ArticleRevision.Kind.PUBLICATION
    )
    return article


def edit(client, article, **overrides):
    """An editor's save of the change form, at SAVED_AT unless told otherwise."""
    with time_machine.travel(SAVED_AT, tick=False):
        return save(client, article, **overrides)


DRAFT_EDIT = {
    "title": "Basket trials, explained",
    "body": BODY.replace("many tumour sites", "several cancer sites"),
    "faqs-0-answer": "People whose tumour carries the fusion.",
    "references-0-label": "The basket trial, as registered",
}


def change_page(client, article) -> str:
    return client.get(f"/admin/articles/article/{article.pk}/change/").content.decode()


def without_tokens(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)


# What readers see ----------------------------------------------------------------------------
def test_saving_a_live_article_leaves_its_page_search_feeds_and_sitemap_and_makes_a_draft(
    client, editor, article
):
    reader = Client()
    urls = [
        "/articles/basket-trials/",
        "/search/?q=basket",
        "/search/?q=several",
        "/feed/rss/",
        "/feed/atom/",
        "/sitemap.xml",
    ]
    before = {url: without_tokens(reader.get(url).content.decode()) for url in urls}
    assert "Basket trials" in before["/articles/basket-trials/"]

    edit(client, article, change_note="Plainer words", **DRAFT_EDIT)

    for url in urls:
        assert without_tokens(reader.get(url).content.decode()) == before[url], url
    page = reader.get("/articles/basket-trials/").content.decode()
    assert "several cancer sites" not in page
    assert "People with the driver." in page
    # Staff reading the site see what readers see, too.
    assert "several cancer sites" not in client.get("/articles/basket-trials/").content.decode()
    article.refresh_from_db()
    assert article.title == "Basket trials"
    assert article.faqs.get().answer == "People with the driver."
    assert article.references.get().label == "The basket trial"

    draft = history_of(article)[0]
    assert (draft.kind, draft.note, draft.by) == ("draft", "Plainer words", "Eda Editor")
    assert drafts.article_draft(article) == draft
    saved = content(draft)
    assert saved.fields["title"] == "Basket trials, explained"
    assert saved.faqs[0].values["answer"] == "People whose tumour carries the fusion."
    assert saved.references[0].values["label"] == "The basket trial, as registered"


def test_a_draft_article_still_saves_straight_to_its_rows(client, editor, article):
    article_unpublish(article=article, by=editor)
    edit(client, article, **DRAFT_EDIT)
    article.refresh_from_db()
    assert article.title == "Basket trials, explained"
    assert article.faqs.get().answer == "People whose tumour carries the fusion."
    assert history_of(article)[0].kind == "edit"
    assert drafts.article_draft(article) is None
    assert "unpublished changes" not in change_page(client, article)


# The change form -----------------------------------------------------------------------------
def test_the_change_form_shows_the_draft_says_so_and_a_second_save_continues_it(
    client, editor, article
):
    with timezone.override("Europe/Paris"):
        editor.time_zone = "Europe/Paris"
        editor.save()
        edit(client, article, **DRAFT_EDIT)
    page = change_page(client, article)
    assert (
        "This article has unpublished changes (saved 2 Dec 2026, 16:15 CET by Eda Editor)" in page
    )
    assert "The form below shows these changes" in page
    assert 'value="Basket trials, explained"' in page
    assert "several cancer sites" in page
    assert "People whose tumour carries the fusion." in page
    assert 'href="/articles/basket-trials/preview/"' in page
    assert ">Compare with live</a>" in page
    # Publishing waits for a medical reviewer's approval of exactly these changes.
    assert 'value="Publish changes"' not in page
    assert "They can be published once a medical reviewer approves them" in page
    assert 'value="Discard changes"' in page
    approve(article)
    assert 'value="Publish changes"' in change_page(client, article)

    # A second save starts from the draft: the first save's changes are kept.
    with time_machine.travel(SAVED_AT + timedelta(hours=1), tick=False):
        save(client, article, standfirst="A new standfirst.")
    second = history_of(article)[0]
    assert (second.kind, second.note) == ("draft", "Changed standfirst")
    saved = content(second)
    assert saved.fields["standfirst"] == "A new standfirst."
    assert saved.fields["title"] == "Basket trials, explained"
    assert saved.faqs[0].values["answer"] == "People whose tumour carries the fusion."
    article.refresh_from_db()
    assert (article.title, article.standfirst) != ("Basket trials, explained", "A new standfirst.")
    assert "(saved 2 Dec 2026, 17:15 CET by Eda Editor)" in change_page(client, article)


def test_the_saved_message_says_readers_still_see_the_published_version(client, editor, article):
    response = client.post(
        f"/admin/articles/article/{article.pk}/change/",
        change_form(client, article, title="Renamed"),
        follow=True,
    )
    assert "saved as unpublished changes: readers see the published version" in (
        response.content.decode()
    )


def test_compare_with_live_marks_the_changed_words(client, editor, article):
    edit(client, article, **DRAFT_EDIT)
    link = re.search(r'href="([^"]*)">Compare with live<', change_page(client, article)).group(1)
    page = client.get(link.replace("&amp;", "&"))
    assert page.status_code == 200
    assert page.context["newer"] == history_of(article)[0]
    assert (
        page.context["older"].content_digest
        == drafts.live_revision(article, live=drafts.article_content(article)).content_digest
    )
    changes = {change.label: change for change in page.context["changes"]}
    assert "<del>many tumour</del>" in changes["Body"].old
    assert "<ins>several cancer</ins>" in changes["Body"].new
    assert "<ins>, explained</ins>" in changes["Title"].new
    assert (
        "People <ins>whose tumour carries</ins> the <ins>fusion</ins>."
        in changes["FAQ entry 1"].new
    )


# Preview -------------------------------------------------------------------------------------
def test_staff_preview_the_draft_on_the_site_never_indexed_never_cached(client, editor, article):
    edit(client, article, **DRAFT_EDIT)
    response = client.get("/articles/basket-trials/preview/")
    assert response.status_code == 200
    assert response["X-Robots-Tag"] == "noindex"
    assert response["Cache-Control"] == "private, no-store"
    html = response.content.decode()
    assert "Preview — not published." in html
    assert "saved 2 Dec 2026, 15:15 UTC by Eda Editor" in html
    assert '<h1 id="article-title">Basket trials, explained</h1>' in html
    assert "several cancer sites" in html
    assert "People whose tumour carries the fusion." in html
    assert "The basket trial, as registered" in html
    assert '<meta name="robots" content="noindex">' in html
    # Nothing was saved by looking.
    article.refresh_from_db()
    assert article.title == "Basket trials"
    assert len(history_of(article)) == 2
    # The article's own address shows the live text, to staff as to everyone.
    live = client.get("/articles/basket-trials/").content.decode()
    assert "several cancer sites" not in live
    assert "Preview — not published" not in live


def test_the_preview_of_an_article_without_changes_says_it_shows_the_live_text(
    client, editor, article
):
    html = client.get("/articles/basket-trials/preview/").content.decode()
    assert "This article has no unpublished changes: this is the text readers see." in html
    assert "many tumour sites" in html


@pytest.mark.parametrize("who", ["anonymous", "reader", "moderator", "staff without rights"])
def test_the_preview_does_not_exist_for_anyone_but_staff_who_may_change_articles(
    client, editor, article, staff_groups, who
):
    edit(client, article, **DRAFT_EDIT)
    visitor = Client()
    if who == "reader":
        visitor.force_login(UserFactory())
    elif who == "moderator":
        moderator = ModeratorFactory()
        moderator.groups.add(staff_groups["Moderators"])  # may view articles, not change them
        visitor.force_login(moderator)
    elif who == "staff without rights":
        visitor.force_login(UserFactory(is_staff=True))
    response = visitor.get("/articles/basket-trials/preview/")
    assert response.status_code == 404
    assert "several cancer sites" not in response.content.decode()


# Publishing and discarding -------------------------------------------------------------------
def test_publishing_the_changes_puts_them_on_the_page_and_records_a_publication(
    client, editor, article
):
    reader = Client()
    assert (
        "The discussion on this article is closed."
        not in reader.get("/articles/basket-trials/").content.decode()
    )  # the discussion is now in the cache for anonymous readers
    edit(client, article, comments_open=None, **DRAFT_EDIT)  # unticked: closes the discussion
    draft = history_of(article)[0]
    approve(article)
    response = client.post(
        f"/admin/articles/article/{article.pk}/changes/{draft.pk}/publish/",
        {"kind": "minor"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == f"/admin/articles/article/{article.pk}/change/"
    html = response.content.decode()
    assert "The changes to “Basket trials, explained” are live." in html
    assert "This article has unpublished changes" not in html

    page = reader.get("/articles/basket-trials/").content.decode()
    assert '<h1 id="article-title">Basket trials, explained</h1>' in page
    assert "several cancer sites" in page
    assert "People whose tumour carries the fusion." in page
    assert "The basket trial, as registered" in page
    assert "The discussion on this article is closed." in page  # the cached discussion followed
    assert "Basket trials, explained" in reader.get("/feed/rss/").content.decode()

    published = history_of(article)[0]
    assert published.kind == ArticleRevision.Kind.PUBLICATION
    assert published.note == (
        "Published the changes of 2 Dec 2026, 15:15 UTC by Eda Editor, as a minor change"
    )
    assert published.revision.user == editor
    assert published.content_digest == draft.content_digest
    assert drafts.article_draft(article) is None
    article.refresh_from_db()
    assert article.is_public


def test_an_editor_who_may_not_publish_is_refused_with_a_message_and_the_draft_stays(
    client, editor, writer, article
):
    edit(client, article, **DRAFT_EDIT)
    draft = history_of(article)[0]
    client.force_login(writer)
    page = change_page(client, article)
    assert "This article has unpublished changes" in page
    assert 'value="Publish changes"' not in page
    assert "An editor who may publish can put them on the site." in page
    response = client.post(
        f"/admin/articles/article/{article.pk}/changes/{draft.pk}/publish/", follow=True
    )
    assert response.status_code == 200
    assert "Only editors who may publish can put changes on the site" in response.content.decode()
    article.refresh_from_db()
    assert article.title == "Basket trials"
    assert drafts.article_draft(article) == draft


def test_discarding_the_changes_shows_the_live_article_in_the_form_again(client, editor, article):
    edit(client, article, **DRAFT_EDIT)
    draft = history_of(article)[0]
    response = client.post(
        f"/admin/articles/article/{article.pk}/changes/{draft.pk}/discard/", follow=True
    )
    html = response.content.decode()
    assert "The unpublished changes to “Basket trials” were discarded" in html
    assert "This article has unpublished changes" not in html
    assert 'value="Basket trials"' in html
    assert "several cancer sites" not in html
    discarded = history_of(article)[0]
    assert discarded.kind == ArticleRevision.Kind.DISCARD
    assert (
        discarded.note == "Discarded the unpublished changes of 2 Dec 2026, 15:15 UTC by Eda Editor"
    )
    assert discarded.revision.user == editor  # who set the changes aside
    assert history_of(article)[1] == draft  # still in the history
    assert drafts.article_draft(article) is None
    # The next save starts from the live text.
    save(client, article, standfirst="Fresh.")
    assert content(history_of(article)[0]).fields["title"] == "Basket trials"


def test_restoring_an_old_revision_of_a_live_article_makes_unpublished_changes(
    client, editor, article
):
    first = history_of(article)[0]
    edit(client, article, **DRAFT_EDIT)
    approve(article)
    client.post(
        f"/admin/articles/article/{article.pk}/changes/{history_of(article)[0].pk}/publish/",
        {"kind": "minor"},
    )
    client.post(f"/admin/articles/article/{article.pk}/history/{first.pk}/restore/")
    article.refresh_from_db()
    assert article.title == "Basket trials, explained"  # still what readers see
    restored = drafts.article_draft(article)
    assert (restored.kind, restored.restored_from) == ("restore", first)
    assert 'value="Basket trials"' in change_page(client, article)


def test_unpublishing_an_article_brings_its_unpublished_changes_into_it(client, editor, article):
    edit(client, article, **DRAFT_EDIT)
    article_unpublish(article=article, by=editor)
    article.refresh_from_db()
    assert (article.status, article.title) == ("draft", "Basket trials, explained")
    assert history_of(article)[0].note == "Unpublished, with its unpublished changes"
    assert drafts.article_draft(article) is None


def test_a_publisher_who_edits_and_unpublishes_in_one_save_edits_the_rows(client, editor, article):
    edit(client, article, status="draft", **DRAFT_EDIT)
    article.refresh_from_db()
    assert (article.status, article.title) == ("draft", "Basket trials, explained")
    assert [r.kind for r in history_of(article)][:2] == ["publication", "edit"]
    assert drafts.article_draft(article) is None


# Bad requests --------------------------------------------------------------------------------
@pytest.mark.parametrize("action", ["publish", "discard"])
def test_draft_actions_refuse_a_get_an_unknown_or_another_articles_revision(
    client, editor, article, action
):
    edit(client, article, **DRAFT_EDIT)
    draft = history_of(article)[0]
    other = ArticleFactory()
    others = article_revision_save(article=other, by=None, note="Someone else’s")
    base = f"/admin/articles/article/{article.pk}/changes"
    # Publishing asks first what kind of change it is (tests/articles/test_corrections.py).
    assert client.get(f"{base}/{draft.pk}/{action}/").status_code == (
        200 if action == "publish" else 405
    )
    kind = {"kind": "minor"}
    assert client.post(f"{base}/999999/{action}/", kind).status_code == 404
    assert client.post(f"{base}/99999999999999999999999/{action}/", kind).status_code == 404
    assert client.post(f"{base}/{others.pk}/{action}/", kind).status_code == 404
    assert (
        client.post(
            f"/admin/articles/article/999999/changes/{draft.pk}/{action}/", kind
        ).status_code
        == 404
    )
    # An older revision of this article is not its draft: refused, with a message.
    older = history_of(article)[1]
    response = client.post(f"{base}/{older.pk}/{action}/", kind, follow=True)
    assert "no longer the unpublished changes" in response.content.decode()
    if action == "discard":
        assert "nothing was discarded. Look at the article again." in response.content.decode()
    article.refresh_from_db()
    assert article.title == "Basket trials"
    assert drafts.article_draft(article) == draft


def test_a_moderator_cannot_publish_or_discard_changes(client, editor, article, staff_groups):
    edit(client, article, **DRAFT_EDIT)
    draft = history_of(article)[0]
    moderator = ModeratorFactory()
    moderator.groups.add(staff_groups["Moderators"])
    client.force_login(moderator)
    for action in ("publish", "discard"):
        url = f"/admin/articles/article/{article.pk}/changes/{draft.pk}/{action}/"
        assert client.post(url).status_code == 403
    assert "several cancer sites" not in change_page(client, article)  # they read the live text
    assert drafts.article_draft(article) == draft


# Cost ----------------------------------------------------------------------------------------
@pytest.mark.cost
def test_the_change_form_and_the_page_cost_no_more_queries_with_a_draft_or_many(
    client, editor, article, django_assert_max_num_queries, django_assert_num_queries
):
    reader = Client()
    url = f"/admin/articles/article/{article.pk}/change/"
    client.get(url)  # warm the content types and the session
    reader.get("/articles/basket-trials/")
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    form_without = len(queries)
    with CaptureQueriesContext(connection) as queries:
        reader.get("/articles/basket-trials/")
    page_without = len(queries)

    edit(client, article, **DRAFT_EDIT)
    # Writing the draft into the rows for the form costs a bounded number of queries...
    with CaptureQueriesContext(connection) as queries:
        assert "several cancer sites" in client.get(url).content.decode()
    form_with_one = len(queries)
    assert form_with_one <= form_without + 12
    for number in range(20):
        save(client, article, standfirst=f"Version {number}.")
    # ...whatever the number of drafts before it.
    with django_assert_max_num_queries(form_with_one):
        assert "Version 19." in client.get(url).content.decode()
    with django_assert_num_queries(page_without):
        assert "Version 19." not in reader.get("/articles/basket-trials/").content.decode()


# The publish service's refusals, word for word ----------------------------------------------
def test_changes_that_move_the_article_to_a_new_address_move_it_when_published(
    client, editor, article
):
    from articles.services import article_revision_publish

    edit(client, article, slug="basket-trials-explained", **DRAFT_EDIT)
    approve(article)
    article_revision_publish(
        article=article, revision=history_of(article)[0], by=editor, kind="minor"
    )
    article.refresh_from_db()
    assert article.slug == "basket-trials-explained"
    assert Client().get("/articles/basket-trials-explained/").status_code == 200


def test_a_new_address_taken_meanwhile_is_refused_and_nothing_changes(client, editor, article):
    from articles.services import PublishError, article_revision_publish

    edit(client, article, slug="basket-trials-explained", **DRAFT_EDIT)
    approve(article)
    ArticleFactory(slug="basket-trials-explained")
    with pytest.raises(PublishError) as refusal:
        article_revision_publish(
            article=article, revision=history_of(article)[0], by=editor, kind="minor"
        )
    assert str(refusal.value) == (
        "The changes give “Basket trials” the address “basket-trials-explained”, which another "
        "article has taken since; nothing was done. Change the address in the article and try "
        "again."
    )
    article.refresh_from_db()
    assert (article.slug, article.title) == ("basket-trials", "Basket trials")


def test_publishing_changes_is_refused_in_words_for_each_reason(client, editor, writer, article):
    from articles.services import PublishError, article_draft_discard, article_revision_publish

    def refusal(**kwargs) -> str:
        with pytest.raises(PublishError) as error:
            article_revision_publish(article=article, kind="minor", **kwargs)
        return str(error.value)

    edit(client, article, **DRAFT_EDIT)
    first = history_of(article)[0]
    assert refusal(revision=first, by=writer) == (
        "Only editors who may publish can put changes on the site; the live article is "
        "unchanged and the changes are kept."
    )
    others = article_revision_save(article=ArticleFactory(), by=None, note="Elsewhere")
    assert refusal(revision=others, by=editor) == "Those changes belong to another article."
    edit(client, article, standfirst="A second go.")
    assert refusal(revision=first, by=editor) == (
        "Those are no longer the unpublished changes of “Basket trials”: newer ones were saved "
        "meanwhile. Nothing was published; look at the article again."
    )
    article_draft_discard(article=article, revision=history_of(article)[0], by=editor)
    assert refusal(revision=first, by=editor) == (
        "Those are no longer the unpublished changes of “Basket trials”. Nothing was "
        "published; look at the article again."
    )
    article.refresh_from_db()
    assert article.title == "Basket trials"
