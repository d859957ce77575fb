"""An editor's save, its discard and a restore through the publish service (articles/services.py)
directly, as the admin calls it: what is written to the rows readers see, what becomes
unpublished changes, and what the history says. test_drafts.py and test_revisions.py show the
same through the admin's pages; these are the fast guards a mutation run reaches first."""

from datetime import timedelta

import pytest
from django.utils import timezone

from articles import drafts, review, services
from articles.models import Article, ArticleRevision
from articles.revisions import article_revision_list, revision_contents, when
from tests.articles.editing import draft_of, edit, notes
from tests.factories import ArticleFactory, approve

pytestmark = pytest.mark.django_db


def _draft(**fields) -> Article:
    return ArticleFactory(status=Article.Status.DRAFT, published_at=None, **fields)


def _title_in(revision: ArticleRevision) -> str:
    (content,) = revision_contents(revision)
    return content.fields["title"]


# --- Saving -----------------------------------------------------------------------------------
def test_a_new_article_starts_as_a_draft_with_no_time_whatever_the_form_said(editor):
    article = Article(
        title="New", slug="new", standfirst="S.", body="Text.",
        status=Article.Status.PUBLISHED, published_at=timezone.now() - timedelta(days=1),
    )  # fmt: skip
    services.article_edit_save(article=article, by=editor, created=True)
    saved = Article.objects.get(pk=article.pk)
    assert (saved.status, saved.published_at, saved.author) == (Article.Status.DRAFT, None, editor)
    assert not Article.objects.published().exists()


def test_an_edit_keeps_the_creation_date_and_the_approval_the_publication_kept(editor):
    draft = _draft(approved=True)
    stale = Article.objects.get(pk=draft.pk)  # the form was opened before publication
    services.article_publish(article=draft, by=editor)
    kept = Article.objects.get(pk=draft.pk)
    assert kept.approval is not None
    stale.title, stale.created_at = "A clearer title", kept.created_at - timedelta(days=9)
    services.article_edit_save(article=stale, by=editor, created=False)
    after = Article.objects.get(pk=draft.pk)
    assert after.title == "A clearer title"
    assert (after.approval_id, after.created_at) == (kept.approval_id, kept.created_at)
    assert (after.status, after.published_at) == (kept.status, kept.published_at)


def test_the_first_edit_of_an_article_from_before_revisions_keeps_it_as_it_was(editor):
    article = _draft(title="As it was")
    recorded = edit(article, editor, title="As it is")
    assert notes(article) == ["As it was before revisions were kept", "Changed title"]
    first = article_revision_list(article).last()
    assert (_title_in(first), first.revision.user) == ("As it was", None)
    assert (_title_in(recorded), recorded.revision.user, recorded.kind) == (
        "As it is", editor, ArticleRevision.Kind.EDIT,
    )  # fmt: skip


def test_an_edit_of_an_article_off_the_site_is_written_to_its_rows(editor):
    article = _draft(title="Before")
    edit(article, editor, title="After", note="  Tightened the title.  ")
    assert article.title == "After"
    assert notes(article)[-1] == "Tightened the title."
    assert drafts.article_draft(article) is None


def test_an_edit_of_content_in_review_sends_it_back_to_draft_and_says_why(editor):
    article = _draft()
    services.article_status_change(article=article, status=Article.Status.IN_REVIEW, by=editor)
    assert article.status == Article.Status.IN_REVIEW
    edit(article, editor, body="Rewritten after submission.")
    assert article.status == Article.Status.DRAFT
    assert notes(article)[-1] == (
        "Back to draft: its content changed after it was submitted for review"
    )


def test_an_edit_of_a_live_article_becomes_unpublished_changes_and_readers_keep_the_live_text(
    editor,
):
    live = ArticleFactory(title="Live title")
    before = Article.objects.get(pk=live.pk).updated_at
    recorded = edit(live, editor, title="Changed title")
    assert recorded.kind == ArticleRevision.Kind.DRAFT
    assert _title_in(recorded) == "Changed title"
    shown = Article.objects.published().get(pk=live.pk)
    assert (shown.title, shown.updated_at) == ("Live title", before)
    assert drafts.article_draft(live) == recorded


def test_saving_a_live_article_unchanged_makes_no_unpublished_changes(editor):
    live = ArticleFactory(title="Live title")
    recorded = edit(live, editor)
    assert recorded.kind == ArticleRevision.Kind.EDIT
    assert drafts.article_draft(live) is None
    assert review.article_review(live) is None


def test_a_publisher_taking_a_live_article_off_in_the_same_save_edits_its_rows(editor):
    live = ArticleFactory(title="Live title")
    recorded = edit(live, editor, status=Article.Status.DRAFT, title="Changed title")
    assert recorded.kind == ArticleRevision.Kind.EDIT
    services.article_status_change(article=live, status=Article.Status.DRAFT, by=editor)
    assert (live.status, live.title) == (Article.Status.DRAFT, "Changed title")
    assert drafts.article_draft(live) is None


def test_a_writer_choosing_draft_for_a_live_article_only_saves_unpublished_changes(writer):
    live = ArticleFactory(title="Live title")
    recorded = edit(live, writer, status=Article.Status.DRAFT, title="Changed title")
    assert recorded.kind == ArticleRevision.Kind.DRAFT
    assert Article.objects.published().get(pk=live.pk).title == "Live title"


# --- Discarding -------------------------------------------------------------------------------
def test_discarding_unpublished_changes_shows_the_live_content_again_and_keeps_the_draft(editor):
    live = ArticleFactory(title="Live title")
    draft = draft_of(live, editor, title="Changed title")
    discarded = services.article_draft_discard(article=live, revision=draft, by=editor)
    assert discarded.kind == ArticleRevision.Kind.DISCARD
    assert discarded.revision.user == editor
    assert discarded.note == (
        f"Discarded the unpublished changes of {when(draft.created_at)} by Eda Editor"
    )
    assert _title_in(discarded) == "Live title"
    assert drafts.article_draft(live) is None
    assert draft in article_revision_list(live)
    with pytest.raises(services.PublishError) as refusal:
        services.article_draft_discard(article=live, revision=draft, by=editor)
    assert str(refusal.value) == (
        "Those are no longer the unpublished changes of “Live title”; nothing was discarded. "
        "Look at the article again."
    )


def test_discarding_changes_that_newer_ones_replaced_is_refused(editor):
    live = ArticleFactory(title="Live title")
    first = draft_of(live, editor, title="First go")
    newer = draft_of(live, editor, title="Second go")
    with pytest.raises(services.PublishError, match="no longer the unpublished changes"):
        services.article_draft_discard(article=live, revision=first, by=editor)
    assert drafts.article_draft(live) == newer


# --- Restoring --------------------------------------------------------------------------------
def test_restoring_other_content_takes_a_scheduled_article_off_its_schedule(editor):
    article = _draft(title="First")
    older = edit(article, editor, title="First, revised")
    edit(article, editor, title="Second")
    approve(article)
    at = timezone.now() + timedelta(days=2)
    services.article_publish(article=article, at=at, by=editor)
    assert article.status == Article.Status.SCHEDULED
    restored = services.article_restore(article=article, revision=older, by=editor)
    article.refresh_from_db()
    assert (article.status, article.published_at, article.title) == (
        Article.Status.DRAFT, None, "First, revised",
    )  # fmt: skip
    assert restored.kind == ArticleRevision.Kind.RESTORE
    assert notes(article)[-1] == "Schedule cancelled: its content changed after approval"


def test_restoring_the_approved_content_keeps_the_schedule(editor):
    article = _draft(title="First")
    approved = edit(article, editor, title="Approved title")
    approve(article)
    at = timezone.now() + timedelta(days=2)
    services.article_publish(article=article, at=at, by=editor)
    services.article_restore(article=article, revision=approved, by=editor)
    article.refresh_from_db()
    assert (article.status, article.published_at) == (Article.Status.SCHEDULED, at)
