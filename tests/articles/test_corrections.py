"""Public corrections and updates (#14, point 5): publishing a live article's changes asks what
kind of change it is. A minor change is published quietly; an update or a correction carries a
dated public note, shown on the article, on /corrections/ and its feed, in the article's feed
entry and in its dateModified, once (and only once) its changes are live."""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client

from articles import drafts
from articles.models import ArticleChange, ArticleRevision
from articles.revisions import article_revision_save
from articles.services import PublishError, article_revision_publish, article_unpublish
from tests.articles.test_pages import scripts_of
from tests.articles.test_revisions import BODY, save
from tests.factories import ArticleFactory, ModeratorFactory, TopicFactory, UserFactory, approve

pytestmark = pytest.mark.django_db

PUBLISHED = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
SAVED_AT = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
CORRECTED_AT = datetime(2026, 12, 2, 15, 15, tzinfo=UTC)
NOTE = "We gave the wrong trial number; it is [NCT02912949](https://clinicaltrials.gov/)."


@pytest.fixture(autouse=True)
def utc(settings):
    settings.TIME_ZONE = "UTC"


@pytest.fixture
def article():
    """A live article, with the revision of its publication."""
    article = ArticleFactory(
        title="Basket trials",
        slug="basket-trials",
        body=BODY,
        topics=[TopicFactory(name="NRG1 fusions")],
        published_at=PUBLISHED,
    )
    article_revision_save(
        article=article, by=None, note="Published", kind=ArticleRevision.Kind.PUBLICATION
    )
    return article


def draft_of(client, article, *, approved: bool = True) -> ArticleRevision:
    """Unpublished changes to the live article, saved in the admin (and approved)."""
    with time_machine.travel(SAVED_AT, tick=False):
        save(client, article, body=BODY.replace("many tumour sites", "several cancer sites"))
    if approved:
        approve(article)
    return drafts.article_draft(article)


def publish_url(article, draft) -> str:
    return f"/admin/articles/article/{article.pk}/changes/{draft.pk}/publish/"


def publish(client, article, draft, **data):
    with time_machine.travel(CORRECTED_AT, tick=False):
        return client.post(publish_url(article, draft), data, follow=True)


def page_of(client=None) -> str:
    return (client or Client()).get("/articles/basket-trials/").content.decode()


def graph_of(html_response) -> dict:
    (block,) = [s for s in scripts_of(html_response) if not s.get("src")]
    return {node["@type"]: node for node in json.loads(block["text"])}


def moment(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def atom_entry(feed: str, title: str) -> str:
    """The <entry> of a feed whose title is `title`."""
    for entry in re.findall(r"<entry>.*?</entry>", feed, flags=re.S):
        if f"<title>{title}</title>" in entry:
            return entry
    raise AssertionError(f"no entry {title!r} in {feed[:2000]}")


def live_and_unchanged(article) -> bool:
    article.refresh_from_db()
    return "several cancer sites" not in page_of() and drafts.article_draft(article) is not None


# Asking what kind of change it is -------------------------------------------------------------
def test_the_publish_form_asks_for_the_kind_with_none_chosen_and_a_note(client, editor, article):
    draft = draft_of(client, article)
    for html in (
        client.get(f"/admin/articles/article/{article.pk}/change/").content.decode(),
        client.get(publish_url(article, draft)).content.decode(),
    ):
        assert "What kind of change is this?" in html
        for kind in ("minor", "update", "correction"):
            assert re.search(rf'<input type="radio" name="kind" value="{kind}"[^>]*>', html)
        assert not re.search(r'name="kind"[^>]*checked', html)
        assert 'name="note"' in html
        assert 'value="Publish changes"' in html


def test_publishing_without_a_kind_is_a_form_error_and_nothing_is_published(
    client, editor, article
):
    draft = draft_of(client, article)
    response = publish(client, article, draft, note="Typed, and kept.")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Choose what kind of change this is: minor, an update or a correction." in html
    assert "Typed, and kept.</textarea>" in html
    empty = publish(client, article, draft).content.decode()  # a bare POST, as an old button
    assert "Choose what kind of change this is" in empty
    assert live_and_unchanged(article)
    assert not ArticleChange.objects.exists()


def test_an_unknown_kind_is_a_form_error_and_nothing_is_published(client, editor, article):
    draft = draft_of(client, article)
    response = publish(client, article, draft, kind="retraction", note="Gone.")
    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
    assert live_and_unchanged(article)
    assert not ArticleChange.objects.exists()


@pytest.mark.parametrize("kind", ["update", "correction"])
def test_an_update_or_a_correction_without_a_note_is_refused_keeping_the_choice(
    client, editor, article, kind
):
    draft = draft_of(client, article)
    response = publish(client, article, draft, kind=kind, note="   ")
    assert response.status_code == 200
    html = response.content.decode()
    article_ = {"update": "An update", "correction": "A correction"}[kind]
    assert f"{article_} needs a note for readers: say what changed." in html
    assert re.search(rf'value="{kind}"[^>]*checked', html)
    assert live_and_unchanged(article)
    assert not ArticleChange.objects.exists()


def test_a_minor_change_with_a_note_is_refused_so_the_note_is_not_silently_lost(
    client, editor, article
):
    draft = draft_of(client, article)
    html = publish(client, article, draft, kind="minor", note="Fixed a typo.").content.decode()
    assert "A minor change has no public note" in html
    assert "Fixed a typo.</textarea>" in html
    assert live_and_unchanged(article)


def test_the_service_itself_refuses_a_missing_kind_or_note(editor, client, article):
    draft = draft_of(client, article)
    for kind, note, said in [
        ("", "", "Choose what kind of change this is"),
        ("erratum", "Wrong.", "Choose what kind of change this is"),
        ("correction", "", "A correction needs a note for readers"),
        ("update", "\n ", "An update needs a note for readers"),
        ("correction", "x" * 2001, "Keep the note to 2000 characters."),
    ]:
        with pytest.raises(PublishError) as refusal:
            article_revision_publish(
                article=article, revision=draft, by=editor, kind=kind, note=note
            )
        assert said in str(refusal.value)
        assert str(refusal.value).endswith("Nothing was published.")
    assert live_and_unchanged(article)
    assert not ArticleChange.objects.exists()


# Who may publish ------------------------------------------------------------------------------
def test_only_editors_who_may_publish_can_publish_changes_and_their_note(
    client, editor, article, staff_groups
):
    draft = draft_of(client, article)
    data = {"kind": "correction", "note": NOTE}
    moderator = ModeratorFactory()
    moderator.groups.add(staff_groups["Moderators"])
    moderators = Client()
    moderators.force_login(moderator)
    assert moderators.post(publish_url(article, draft), data).status_code == 403
    assert moderators.get(publish_url(article, draft)).status_code == 403
    readers = Client()
    readers.force_login(UserFactory())
    assert readers.post(publish_url(article, draft), data).status_code == 302  # to the login
    writer = UserFactory(is_staff=True)
    writer.user_permissions.set(
        staff_groups["Editors"].permissions.exclude(codename="publish_article")
    )
    writers = Client()
    writers.force_login(writer)
    refused = writers.post(publish_url(article, draft), data, follow=True).content.decode()
    assert "Only editors who may publish can put changes on the site" in refused
    assert live_and_unchanged(article)
    assert not ArticleChange.objects.exists()
    assert "wrong trial number" not in Client().get("/corrections/").content.decode()


# A minor change -------------------------------------------------------------------------------
def test_a_minor_change_is_published_without_any_public_note(client, editor, article):
    draft = draft_of(client, article)
    response = publish(client, article, draft, kind="minor")
    assert "The changes to “Basket trials” are live." in response.content.decode()
    reader = Client()
    page = reader.get("/articles/basket-trials/")
    html = page.content.decode()
    assert "several cancer sites" in html
    assert "Corrections and updates</h2>" not in html
    assert "Corrected" not in html
    assert "Updated" not in html
    # A minor change does not make the article newer to search engines or feed readers.
    assert moment(graph_of(page)["NewsArticle"]["dateModified"]) == PUBLISHED
    assert "<updated>2026-11-02T09:30:00+00:00</updated>" in atom_entry(
        reader.get("/feed/atom/").content.decode(), "Basket trials"
    )
    assert "<entry>" not in reader.get("/corrections/feed/").content.decode()
    assert "No corrections or updates yet." in reader.get("/corrections/").content.decode()
    change = ArticleChange.objects.get()
    assert (change.kind, change.note, change.by) == ("minor", "", editor)
    assert change.revision == ArticleRevision.objects.filter(article=article).first()
    assert change.revision.kind == ArticleRevision.Kind.PUBLICATION


# Updates and corrections ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "label", "verb"),
    [("correction", "Correction", "Corrected"), ("update", "Update", "Updated")],
)
def test_a_note_is_shown_dated_on_the_page_the_corrections_page_the_feeds_and_date_modified(
    client, editor, article, kind, label, verb
):
    draft = draft_of(client, article)
    publish(client, article, draft, kind=kind, note=NOTE + " <script>alert(1)</script>")
    change = ArticleChange.objects.get()
    assert (change.kind, change.published_at, change.by) == (kind, CORRECTED_AT, editor)
    # The history says how the editor judged it.
    assert change.revision.note == (
        f"Published the changes of 1 Dec 2026, 10:00 UTC by Eda Editor, as a {kind}"
        if kind == "correction"
        else "Published the changes of 1 Dec 2026, 10:00 UTC by Eda Editor, as an update"
    )
    reader = Client()

    page = reader.get("/articles/basket-trials/")
    html = page.content.decode()
    assert "several cancer sites" in html
    assert '<h2 id="corrections">Corrections and updates</h2>' in html
    assert (
        f'<li class="changes__item changes__item--{kind}" id="change-{change.pk}">'
        f'\n              <p class="changes__when"><strong class="changes__kind">{label}</strong>, '
        '<time datetime="2026-12-02T15:15:00+00:00">2 December 2026</time></p>'
    ) in html
    assert '<a href="https://clinicaltrials.gov/"' in html
    assert "<script>alert(1)" not in html  # through the one sanitiser
    assert f'{verb} <time datetime="2026-12-02T15:15:00+00:00">2 December 2026</time>' in html
    assert moment(graph_of(page)["NewsArticle"]["dateModified"]) == CORRECTED_AT
    assert moment(graph_of(page)["NewsArticle"]["datePublished"]) == PUBLISHED
    assert '<meta property="article:modified_time" content="2026-12-02T15:15:00+00:00">' in html

    listing = reader.get("/corrections/").content.decode()
    assert f'href="/articles/basket-trials/#change-{change.pk}">Basket trials</a>' in listing
    assert f'<strong class="changes__kind">{label}</strong>' in listing
    assert "wrong trial number" in listing

    feed = reader.get("/corrections/feed/").content.decode()
    entry = atom_entry(feed, f"{label}: Basket trials")
    assert f"http://testserver/articles/basket-trials/#change-{change.pk}" in entry
    assert "<updated>2026-12-02T15:15:00+00:00</updated>" in entry
    assert "wrong trial number" in entry

    article_entry = atom_entry(reader.get("/feed/atom/").content.decode(), "Basket trials")
    assert "<updated>2026-12-02T15:15:00+00:00</updated>" in article_entry
    assert f"{label}, 2 December 2026: We gave the wrong trial number" in article_entry
    rss = reader.get("/feed/rss/").content.decode()
    assert f"{label}, 2 December 2026: We gave the wrong trial number" in rss


def test_the_newest_note_comes_first_and_dates_the_article(client, editor, article):
    publish(client, article, draft_of(client, article), kind="update", note="New data.")
    with time_machine.travel(CORRECTED_AT + timedelta(days=1), tick=False):
        save(client, article, standfirst="A corrected standfirst.")
    approve(article)
    with time_machine.travel(CORRECTED_AT + timedelta(days=2), tick=False):
        client.post(
            publish_url(article, drafts.article_draft(article)),
            {"kind": "correction", "note": "The dose was wrong."},
        )
    page = page_of()
    assert page.index("The dose was wrong.") < page.index("New data.")
    assert 'Corrected <time datetime="2026-12-04T15:15:00+00:00">' in page
    listing = Client().get("/corrections/").content.decode()
    assert listing.index("The dose was wrong.") < listing.index("New data.")


# Readers never see a note before its changes ---------------------------------------------------
def test_a_note_whose_changes_are_not_published_appears_nowhere(client, editor, article):
    draft = draft_of(client, article, approved=False)
    refused = publish(client, article, draft, kind="correction", note="Not yet reviewed.")
    assert "a medical reviewer has not approved" in refused.content.decode()
    assert "Not yet reviewed.</textarea>" in refused.content.decode()  # kept for another go
    assert not ArticleChange.objects.exists()
    reader = Client()
    for url in (
        "/articles/basket-trials/",
        "/corrections/",
        "/corrections/feed/",
        "/feed/atom/",
        "/feed/rss/",
    ):
        assert "Not yet reviewed." not in reader.get(url).content.decode(), url


def test_the_notes_of_an_article_taken_off_the_site_leave_the_corrections_page_and_feed(
    client, editor, article
):
    publish(client, article, draft_of(client, article), kind="correction", note=NOTE)
    reader = Client()
    assert "wrong trial number" in reader.get("/corrections/").content.decode()
    article_unpublish(article=article, by=editor)
    assert "wrong trial number" not in reader.get("/corrections/").content.decode()
    assert "wrong trial number" not in reader.get("/corrections/feed/").content.decode()
    assert reader.get("/articles/basket-trials/").status_code == 404


def test_a_note_can_only_ever_be_recorded_with_a_publication_of_changes(editor, article):
    from django.db import IntegrityError, transaction

    revision = ArticleRevision.objects.filter(article=article).first()
    for kind, note in [("correction", ""), ("minor", "A note")]:
        with pytest.raises(IntegrityError), transaction.atomic():
            ArticleChange.objects.create(article=article, revision=revision, kind=kind, note=note)


# The site around it ---------------------------------------------------------------------------
def test_the_corrections_page_is_in_the_sitemap_the_footer_and_links_its_feed(client):
    assert "http://testserver/corrections/" in client.get("/sitemap.xml").content.decode()
    html = client.get("/corrections/").content.decode()
    assert '<a href="/corrections/">Corrections and updates</a>' in html
    assert (
        '<link rel="alternate" type="application/atom+xml" title="Driverline: corrections and '
        'updates (Atom)" href="/corrections/feed/">'
    ) in html
    assert client.get("/corrections/?page=99").status_code == 404


# Cost -----------------------------------------------------------------------------------------
def notes(article, count: int, *, kind: str = "correction") -> None:
    """`count` published changes of `kind`, each with its publication revision."""
    for number in range(count):
        revision = article_revision_save(
            article=article, by=None, note="Published", kind=ArticleRevision.Kind.PUBLICATION
        )
        note = "" if kind == "minor" else f"Note number {number}."
        ArticleChange.objects.create(article=article, revision=revision, kind=kind, note=note)


def queries_of(django_assert_num_queries, url: str, count: int | None, *, shows: str):
    """The queries a cold page costs (the discussion's cache cleared); exactly `count` if given."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    cache.clear()
    if count is None:
        with CaptureQueriesContext(connection) as queries:
            assert shows in Client().get(url).content.decode()
        return len(queries)
    with django_assert_num_queries(count):
        assert shows in Client().get(url).content.decode()
    return count


@pytest.mark.cost
def test_the_article_page_costs_the_same_with_fifty_revisions_and_ten_corrections(
    article, django_assert_num_queries
):
    url = "/articles/basket-trials/"
    Client().get(url)  # content types and the like, once
    none = queries_of(django_assert_num_queries, url, None, shows="Basket trials")
    notes(article, 1)
    queries_of(django_assert_num_queries, url, none, shows="Note number 0.")
    for _ in range(48):
        article_revision_save(article=article, by=None, note="An edit")
    notes(article, 9)
    assert article.revisions.count() >= 50
    assert article.changes.count() == 10
    queries_of(django_assert_num_queries, url, none, shows="Note number 8.")


@pytest.mark.cost
def test_the_corrections_page_and_its_feed_cost_the_same_whatever_the_number_of_notes(
    django_assert_num_queries,
):
    first, second = ArticleFactory(title="First"), ArticleFactory(title="Second")
    notes(first, 1)
    Client().get("/corrections/")
    page = queries_of(django_assert_num_queries, "/corrections/", None, shows="Note number 0.")
    feed = queries_of(django_assert_num_queries, "/corrections/feed/", None, shows="Note number")
    notes(first, 20)
    notes(second, 20, kind="update")
    notes(second, 5, kind="minor")
    queries_of(django_assert_num_queries, "/corrections/", page, shows="Note number 19.")
    queries_of(django_assert_num_queries, "/corrections/?page=2", page, shows="Note number")
    queries_of(django_assert_num_queries, "/corrections/feed/", feed, shows="Note number 19.")
