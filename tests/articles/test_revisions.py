"""Revisions of articles (#14, point 1): every save in the admin and every change of publication
state is a revision with who, when and a note; editors see the history, compare any two
revisions with the changed words marked, and restore one as a new revision."""

import re
from datetime import date, timedelta

import pytest
import time_machine
from django import forms as forms_module
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from reversion.models import Revision, Version

from articles import revisions
from articles.models import Article, ArticleRevision, FAQEntry, Reference
from articles.revisions import ArticleContent, article_revision_save
from articles.services import (
    PublishError,
    article_edit_save,
    article_publish,
    article_status_change,
    article_unpublish,
    publish_due_articles,
)
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

BODY = "## Background\n\nOne driver, many tumour sites.\n\n## What it means\n\nMore text."


@pytest.fixture
def article():
    """A live article with one FAQ entry and one reference, and the revision of its publication."""
    article = ArticleFactory(
        title="Basket trials",
        body=BODY,
        topics=[TopicFactory(name="NRG1 fusions")],
        published_at=timezone.now().replace(second=37) - timedelta(days=2),
    )
    FAQEntryFactory(article=article, question="Who can join?", answer="People with the driver.")
    ReferenceFactory(article=article, label="The basket trial", identifier="NCT02912949")
    article_revision_save(
        article=article, by=None, note="Published", kind=ArticleRevision.Kind.PUBLICATION
    )
    return article


def _posted(value):
    """A value as the browser posts it."""
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else value


def change_form(client, article: Article, **overrides) -> dict:
    """The change form as the admin shows it to the signed-in editor (a live article's
    unpublished changes, when it has some), as the browser posts it, with `overrides` typed in."""
    page = client.get(f"/admin/articles/article/{article.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    shown = [page.context["adminform"].form]
    for inline in page.context["inline_admin_formsets"]:
        shown += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in shown:
        for name, field in form.fields.items():
            if field.disabled or name == "DELETE":
                continue
            value = form[name].value()
            if isinstance(field, forms_module.BooleanField):
                value = "on" if value else None
            elif isinstance(field, forms_module.DateTimeField):
                # As the page showed it, in the editor's zone (not the test's).
                shown_at = re.search(rf'name="{form.add_prefix(name)}" value="([^"]*)"', html)
                value = shown_at.group(1) if shown_at else ""
            data[form.add_prefix(name)] = _posted(value)
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def save(client, article: Article, **overrides):
    response = client.post(
        f"/admin/articles/article/{article.pk}/change/", change_form(client, article, **overrides)
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    article.refresh_from_db()
    return response


def history_of(article: Article) -> list[ArticleRevision]:
    return list(revisions.article_revision_list(article))


def content(revision: ArticleRevision) -> ArticleContent:
    return revisions.revision_contents(revision)[0]


# Recording -----------------------------------------------------------------------------------
def test_each_admin_save_with_its_inlines_is_one_revision_with_the_note_and_the_editor(
    client, editor, article
):
    before = Revision.objects.count()
    save(
        client,
        article,
        body=BODY.replace("many", "several"),
        change_note="Plain words in the background",
        **{"faqs-0-answer": "People whose tumour has the driver."},
    )
    assert Revision.objects.count() == before + 1
    latest = history_of(article)[0]
    assert latest.note == "Plain words in the background"
    assert latest.revision.user == editor
    assert latest.by == "Eda Editor"
    # The article is live: the save is its unpublished changes (tests/articles/test_drafts.py).
    assert latest.kind == ArticleRevision.Kind.DRAFT
    # One revision holds the article, its FAQ entry and its reference.
    held = {version._model for version in Version.objects.filter(revision=latest.revision)}
    assert held == {Article, FAQEntry, Reference}
    saved = content(latest)
    assert "several tumour sites" in saved.fields["body"]
    assert saved.faqs[0].values["answer"] == "People whose tumour has the driver."
    assert saved.references[0].values["identifier"] == "NCT02912949"
    # The fingerprint of the revision is that of the content it was made from, not the live one.
    assert latest.content_digest == saved.digest() != revisions.article_content(article).digest()


def test_an_empty_note_is_made_from_the_changed_fields_and_entries(client, editor, article):
    save(
        client,
        article,
        title="Basket trials, explained",
        body=BODY + "\n\nA new paragraph.",
        seo_description="Trials by driver",
        **{
            "faqs-TOTAL_FORMS": 2,
            "faqs-1-question": "Where are they run?",
            "faqs-1-answer": "In many centres.",
            "faqs-1-order": 1,
            "references-0-DELETE": "on",
        },
    )
    assert history_of(article)[0].note == (
        "Changed title, body, search description; added FAQ entry “Where are they run?”; "
        "deleted reference “The basket trial”"
    )
    save(client, article)
    assert history_of(article)[0].note == "Saved without changes"


def test_a_save_that_publishes_records_the_edit_then_the_publication(client, editor):
    draft = ArticleFactory(status=Article.Status.DRAFT, published_at=None, body=BODY)
    # An edit that asks to be published at once is saved but not published: it is new content,
    # which a medical reviewer approves first; then a save that only publishes publishes it.
    save(client, draft, body=BODY + "\n\nFinal words.", status="published")
    assert not draft.is_public
    approve(draft)
    save(client, draft, status="published")
    assert draft.is_public
    notes = [revision.note for revision in history_of(draft)]
    assert notes == ["Published", "Changed body", "As it was before revisions were kept"]
    assert history_of(draft)[0].kind == ArticleRevision.Kind.PUBLICATION
    # A save that only publishes is the publication's revision alone.
    article_unpublish(article=draft, by=editor)
    save(client, draft, status="published")
    assert [revision.note for revision in history_of(draft)][:2] == ["Published", "Unpublished"]


def test_a_new_article_starts_its_history_at_its_creation(client, editor):
    data = {
        **{"title": "A new one", "slug": "a-new-one", "kind": "news", "standfirst": "Short."},
        **{"body": "Text.", "status": "draft", "author": editor.pk, "comments_open": "on"},
        **{"faqs-TOTAL_FORMS": 1, "faqs-INITIAL_FORMS": 0, "faqs-0-order": 0},
        **{"faqs-0-question": "Why?", "faqs-0-answer": "Because."},
        **{"references-TOTAL_FORMS": 0, "references-INITIAL_FORMS": 0},
    }
    assert client.post("/admin/articles/article/add/", data).status_code == 302
    created = Article.objects.get(slug="a-new-one")
    assert [(r.note, r.revision.user) for r in history_of(created)] == [("Created", editor)]


def test_saving_a_live_article_untouched_keeps_its_publication_time_to_the_second(
    client, editor, article
):
    """The picker shows minutes; the stored time is not cut to the minute by a save."""
    published_at = article.published_at
    assert published_at.second == 37
    save(client, article, body=BODY + "\n\nMore.")
    assert article.published_at == published_at
    assert [r.kind for r in history_of(article)][:2] == ["draft", "publication"]


def test_every_change_of_publication_state_is_a_revision_by_who_made_it(editor):
    draft = ArticleFactory(status=Article.Status.DRAFT, published_at=None, approved=True)
    when = timezone.now() + timedelta(days=1)
    article_publish(article=draft, at=when, by=editor)
    scheduled = history_of(draft)[0]
    assert scheduled.note == f"Scheduled for {revisions.when(when)}"
    assert (scheduled.by, scheduled.kind) == ("Eda Editor", "publication")
    assert content(scheduled).fields["status"] == Article.Status.SCHEDULED

    with time_machine.travel(when + timedelta(minutes=1)):
        assert publish_due_articles() == [draft.pk]
        by_schedule = history_of(draft)[0]
        assert (by_schedule.note, by_schedule.by) == ("Published by the schedule", "the site")
        article_status_change(article=draft, status=Article.Status.IN_REVIEW, by=editor)
        assert history_of(draft)[0].note == "Unpublished, submitted for review"
    article_status_change(article=draft, status=Article.Status.DRAFT, by=editor)
    assert history_of(draft)[0].note == "Back to draft"
    count = len(history_of(draft))
    article_unpublish(article=draft, by=editor)  # a draft already: nothing happens
    article_status_change(article=draft, status=Article.Status.DRAFT, by=editor)
    assert len(history_of(draft)) == count


def test_a_refused_state_change_records_nothing(staff_groups):
    writer = UserFactory(is_staff=True)  # may edit, may not publish
    draft = ArticleFactory(status=Article.Status.DRAFT, published_at=None)
    with pytest.raises(PublishError, match="only editors who may publish"):
        article_publish(article=draft, by=writer)
    assert not history_of(draft)


def test_the_first_edit_of_an_article_from_before_revisions_keeps_its_earlier_state(editor):
    old = ArticleFactory(body="The text before revisions.")
    old.body = "The first edited text."
    article_edit_save(article=old, by=editor, created=False)
    (baseline,) = history_of(old)
    assert baseline.note == "As it was before revisions were kept"
    assert content(baseline).fields["body"] == "The text before revisions."


# Comparing -----------------------------------------------------------------------------------
def test_compare_marks_the_changed_words_of_the_body_as_written_and_as_read_and_of_an_answer(
    client, editor, article
):
    save(
        client,
        article,
        body=BODY.replace("many tumour", "several cancer"),
        change_note="Wording",
        **{"faqs-0-answer": "People whose tumour has the driver."},
    )
    newer, older = history_of(article)[:2]
    page = client.get(
        f"/admin/articles/article/{article.pk}/history/compare/?a={older.pk}&b={newer.pk}"
    )
    assert page.status_code == 200
    changes = {change.label: change for change in page.context["changes"]}
    assert set(changes) == {"Body", "Body as readers see it", "FAQ entry 1"}
    body, read = changes["Body"], changes["Body as readers see it"]
    assert "<del>many tumour</del>" in body.old
    assert "<ins>several cancer</ins>" in body.new
    assert "<ins>" not in body.old
    assert "<del>" not in body.new
    # As read: the rendered text, without the Markdown's "##".
    assert "## " not in read.old
    assert read.old.startswith("Background<br>")
    assert "<del>many tumour</del>" in read.old
    assert "<ins>several cancer</ins>" in read.new
    answer = changes["FAQ entry 1"]
    assert "People <del>with</del> the driver." in answer.old
    assert "People <ins>whose tumour has</ins> the driver." in answer.new
    html = page.content.decode()
    assert "<ins>several cancer</ins>" in html
    assert 'label for="compare-a">Earlier revision</label>' in html

    # The same two the other way round: the earlier is always on the left.
    swapped = client.get(
        f"/admin/articles/article/{article.pk}/history/compare/?a={newer.pk}&b={older.pk}"
    )
    assert [c.old for c in swapped.context["changes"]] == [c.old for c in changes.values()]
    # "b" alone compares with the revision before it, as the history's links do.
    alone = client.get(f"/admin/articles/article/{article.pk}/history/compare/?b={newer.pk}")
    assert alone.context["older"] == older


def test_compare_shows_topics_entries_and_state_by_name_and_escapes_what_editors_wrote(
    client, editor, article
):
    other = TopicFactory(name="Basket & umbrella trials")
    save(
        client,
        article,
        body=BODY + '\n\n<script>alert("x")</script> & more',
        topics=[other.pk],
        status="draft",
        **{"faqs-0-question": "Who can <b>join</b>?"},
    )
    newer = history_of(article)[0]
    oldest = history_of(article)[-1]
    page = client.get(
        f"/admin/articles/article/{article.pk}/history/compare/?a={oldest.pk}&b={newer.pk}"
    )
    html = page.content.decode()
    assert "<script>alert" not in html
    assert "<b>join</b>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more" in html
    changes = {change.label: change for change in page.context["changes"]}
    assert "<del>NRG1 fusions</del>" in changes["Topics"].old
    assert "<ins>Basket &amp; umbrella trials</ins>" in changes["Topics"].new
    assert "<del>Published</del>" in changes["Status"].old
    assert "<ins>Draft</ins>" in changes["Status"].new
    assert "Who can <ins>&lt;b&gt;</ins>join<ins>&lt;/b&gt;</ins>?" in changes["FAQ entry 1"].new


# Restoring -----------------------------------------------------------------------------------
def test_restore_asks_first_then_brings_back_the_body_and_faq_as_a_new_revision(
    client, editor, article
):
    first = history_of(article)[0]
    original_faq = article.faqs.get().pk
    article_unpublish(article=article, by=editor)  # a draft's rows are what it restores into
    save(
        client,
        article,
        body="Rewritten entirely.",
        change_note="Rewrite",
        **{
            "faqs-0-DELETE": "on",
            "faqs-TOTAL_FORMS": 2,
            "faqs-1-question": "A later question?",
            "faqs-1-answer": "A later answer.",
            "faqs-1-order": 1,
        },
    )
    assert list(article.faqs.values_list("question", flat=True)) == ["A later question?"]
    kept = [r.pk for r in history_of(article)]

    url = f"/admin/articles/article/{article.pk}/history/{first.pk}/restore/"
    confirm = client.get(url)
    assert confirm.status_code == 200
    html = confirm.content.decode()
    assert "Restoring never changes the publication state" in html
    assert 'value="Yes, restore this revision"' in html
    assert Article.objects.get(pk=article.pk).body == "Rewritten entirely."  # a GET changes nothing

    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == f"/admin/articles/article/{article.pk}/change/"
    article.refresh_from_db()
    assert article.body == BODY
    assert "many tumour sites" in article.body_html  # rendered again
    faq = article.faqs.get()  # made again under its old id; the later one is gone
    assert (faq.pk, faq.question) == (original_faq, "Who can join?")
    assert faq.answer_html == "<p>People with the driver.</p>\n"
    history = history_of(article)
    restored = history[0]
    assert [r.pk for r in history[1:]] == kept  # every older revision is still there
    assert restored.kind == ArticleRevision.Kind.RESTORE
    assert restored.restored_from == first
    assert (
        restored.note == f"Restored the revision of {revisions.when(first.created_at)} by the site"
    )
    assert restored.revision.user == editor
    assert restored.content_digest == first.content_digest


def test_restore_never_changes_the_publication_state_or_the_address(client, editor, article):
    draft_era = history_of(article)[0]
    article_unpublish(article=article, by=editor)
    article.refresh_from_db()
    save(client, article, slug="basket-trials-renamed", body="Changed while a draft.")
    approve(article)
    article_publish(article=article, by=editor)
    article.refresh_from_db()
    live_since = article.published_at

    # The first revision was made when the article was live; this one while it was a draft.
    unpublished = next(r for r in history_of(article) if r.note == "Unpublished")
    for revision in (draft_era, unpublished):
        client.post(f"/admin/articles/article/{article.pk}/history/{revision.pk}/restore/")
        article.refresh_from_db()
        assert (article.status, article.published_at) == ("published", live_since)
        assert article.slug == "basket-trials-renamed"
        assert article.is_public
    # A live article keeps its text: the restore is its unpublished changes...
    assert article.body == "Changed while a draft."
    assert content(history_of(article)[0]).fields["body"] == BODY
    # ...which become its text when it is taken off the site.
    article_unpublish(article=article, by=editor)
    article.refresh_from_db()
    assert article.body == BODY
    published_revision = history_of(article)[1]
    assert content(published_revision).fields["status"] == "published"
    client.post(f"/admin/articles/article/{article.pk}/history/{published_revision.pk}/restore/")
    article.refresh_from_db()
    assert (article.status, article.published_at) == ("draft", None)


def test_restore_needs_a_post_with_the_csrf_token(editor, article):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(editor)
    revision = history_of(article)[0]
    url = f"/admin/articles/article/{article.pk}/history/{revision.pk}/restore/"
    assert csrf_client.post(url).status_code == 403
    assert len(history_of(article)) == 1


# Who may, and bad addresses ------------------------------------------------------------------
def revision_urls(article: Article, revision: ArticleRevision) -> list[str]:
    base = f"/admin/articles/article/{article.pk}/history/"
    return [base, f"{base}compare/?b={revision.pk}", f"{base}{revision.pk}/restore/"]


def test_editors_see_history_compare_and_restore_moderators_and_readers_do_not(
    client, staff_groups, article
):
    revision = history_of(article)[0]
    editor = UserFactory(is_staff=True)
    editor.groups.add(staff_groups["Editors"])
    moderator = ModeratorFactory()
    moderator.groups.add(staff_groups["Moderators"])
    reader = UserFactory()
    change_page = f"/admin/articles/article/{article.pk}/change/"
    history_link = f'href="/admin/articles/article/{article.pk}/history/"'

    client.force_login(editor)
    for url in revision_urls(article, revision):
        assert client.get(url).status_code == 200, url
    assert history_link in client.get(change_page).content.decode()

    client.force_login(moderator)
    for url in revision_urls(article, revision):
        assert client.get(url).status_code == 403, url
    assert client.post(revision_urls(article, revision)[2]).status_code == 403
    read_only = client.get(change_page)  # moderators read articles in the admin, no more
    assert read_only.status_code == 200
    assert history_link not in read_only.content.decode()
    assert "Change note" not in read_only.content.decode()

    client.force_login(reader)
    for url in revision_urls(article, revision):
        assert client.get(url, follow=True).status_code == 403, url

    client.logout()
    for url in revision_urls(article, revision):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
    assert len(history_of(article)) == 1


@pytest.mark.parametrize(
    "path",
    [
        "{article}/history/{other}/restore/",
        "{article}/history/999999/restore/",
        "{article}/history/99999999999999999999999/restore/",
        "{article}/history/compare/?b={other}",
        "{article}/history/compare/?a={other}&b={mine}",
        "{article}/history/compare/?b=nonsense",
        "{article}/history/compare/?a=-1",
        "{article}/history/compare/?b=99999999999999999999999",
        "999999/history/",
        "nonsense/history/",
        "99999999999999999999999/history/compare/",
    ],
)
def test_bad_revision_and_article_ids_are_404(client, editor, article, path):
    other = ArticleFactory()
    other_revision = article_revision_save(article=other, by=None, note="Someone else’s")
    mine = history_of(article)[0]
    url = "/admin/articles/article/" + path.format(
        article=article.pk, other=other_revision.pk, mine=mine.pk
    )
    assert client.get(url).status_code == 404
    assert client.post(url).status_code in (404, 405)


def test_the_history_lists_revisions_newest_first_in_the_editors_zone(client, editor, article):
    editor.time_zone = "Asia/Tokyo"
    editor.save()
    for text, note in (("One.", "First note"), ("Two.", "Second note")):
        with timezone.override("Asia/Tokyo"):  # the form shows times in the editor's zone
            save(client, article, body=f"{BODY}\n\n{text}", change_note=note)
    page = client.get(f"/admin/articles/article/{article.pk}/history/")
    html = page.content.decode()
    assert html.index("Second note") < html.index("First note") < html.index("Published")
    newest = history_of(article)[0]
    with timezone.override("Asia/Tokyo"):
        assert f">{revisions.when(newest.created_at)}</time>" in html
    assert "JST" in html
    assert html.count(">Compare<") == 2  # the oldest has nothing before it
    assert html.count("Same as now") == 1
    assert html.count(">Restore<") == 2


def test_the_history_page_costs_the_same_queries_for_5_or_50_revisions(
    client, editor, article, django_assert_num_queries
):
    def grow_to(count: int) -> None:
        while article.revisions.count() < count:
            article_revision_save(article=article, by=editor, note="Another")

    grow_to(5)
    url = f"/admin/articles/article/{article.pk}/history/"
    client.get(url)  # warm the content types and the session
    with CaptureQueriesContext(connection) as five:
        assert client.get(url).content.decode().count("<time datetime") == 5
    grow_to(50)
    with django_assert_num_queries(len(five)):
        page = client.get(url)
    assert page.context["page"].paginator.count == 50
