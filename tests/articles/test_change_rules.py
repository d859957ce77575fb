"""Publishing a live article's unpublished changes (articles.services.article_revision_publish)
directly, for each kind of change: what readers then see, the public note, the approval the
article keeps, and each refusal. test_corrections.py and test_drafts.py show the same through
the admin's pages; these are the fast guards a mutation run reaches first."""

import pytest

from articles import drafts, services
from articles.corrections import article_notes
from articles.models import Article, ArticleChange, ArticleRevision
from articles.revisions import article_revision_save, when
from tests.articles.editing import draft_of, edit
from tests.factories import ArticleFactory, approve

pytestmark = pytest.mark.django_db


@pytest.fixture
def live():
    return ArticleFactory(title="Basket trials", slug="basket-trials", approved=True)


def _publish(article, draft, by, kind="minor", note=""):
    return services.article_revision_publish(
        article=article, revision=draft, by=by, kind=kind, note=note
    )


def _shown(article) -> Article:
    """The article as readers get it now."""
    return Article.objects.published().get(pk=article.pk)


def test_a_minor_change_reaches_readers_with_its_approval_and_no_public_note(editor, live):
    draft = draft_of(live, editor, title="Basket trials, explained")
    approval = approve(live)
    published = _publish(live, draft, editor)
    shown = _shown(live)
    assert (shown.title, shown.approval) == ("Basket trials, explained", approval)
    assert live.title == "Basket trials, explained"  # the instance given is read again
    assert (published.kind, published.revision.user) == (ArticleRevision.Kind.PUBLICATION, editor)
    assert published.note == (
        f"Published the changes of {when(draft.created_at)} by Eda Editor, as a minor change"
    )
    change = ArticleChange.objects.get(article=live)
    assert (change.kind, change.note, change.by, change.revision) == (
        "minor",
        "",
        editor,
        published,
    )
    assert change.published_at == published.created_at
    assert article_notes(live) == []
    assert drafts.article_draft(live) is None


@pytest.mark.parametrize(
    ("kind", "in_words"), [("update", "an update"), ("correction", "a correction")]
)
def test_an_update_or_a_correction_is_published_with_its_dated_note_for_readers(
    kind, in_words, editor, live
):
    draft = draft_of(live, editor, body="The trial enrolled 120 people.")
    approve(live)
    published = _publish(live, draft, editor, kind=kind, note="  The enrolment was wrong.  ")
    assert published.note.endswith(f", as {in_words}")
    (change,) = article_notes(live)
    assert (change.kind, change.note, change.by) == (kind, "The enrolment was wrong.", editor)
    assert change.published_at == published.created_at
    assert _shown(live).body == "The trial enrolled 120 people."


def test_the_site_itself_may_publish_approved_changes(editor, live):
    draft = draft_of(live, editor, title="Basket trials, explained")
    approve(live)
    published = _publish(live, draft, None)
    assert published.revision.user is None
    assert published.note.endswith("by Eda Editor, as a minor change")
    assert ArticleChange.objects.get(article=live).by is None
    assert _shown(live).title == "Basket trials, explained"


def test_changes_not_approved_are_refused_and_readers_keep_the_live_text(editor, live):
    draft = draft_of(live, editor, title="Basket trials, explained")
    with pytest.raises(services.NotApproved) as refusal:
        _publish(live, draft, editor)
    assert str(refusal.value) == (
        "“Basket trials” cannot be published or scheduled: a medical reviewer has not approved "
        "its unpublished changes (any change after an approval needs review again). Nothing was "
        "published; submit it for review first."
    )
    assert _shown(live).title == "Basket trials"
    assert drafts.article_draft(live) == draft
    assert not ArticleChange.objects.exists()


def test_changes_edited_again_after_their_approval_are_refused(editor, live):
    draft_of(live, editor, title="Basket trials, explained")
    approve(live)
    newer = draft_of(live, editor, title="Basket trials, explained again")
    with pytest.raises(services.NotApproved):
        _publish(live, newer, editor)
    assert _shown(live).title == "Basket trials"


def test_a_writer_cannot_publish_changes_and_they_are_kept(editor, writer, live):
    draft = draft_of(live, editor, title="Basket trials, explained")
    approve(live)
    with pytest.raises(services.PublishError) as refusal:
        _publish(live, draft, writer)
    assert str(refusal.value) == (
        "Only editors who may publish can put changes on the site; the live article is "
        "unchanged and the changes are kept."
    )
    assert _shown(live).title == "Basket trials"
    assert drafts.article_draft(live) == draft


def test_a_note_that_will_not_do_is_refused_before_anything_is_published(editor, live):
    draft = draft_of(live, editor, title="Basket trials, explained")
    approve(live)
    with pytest.raises(services.PublishError) as refusal:
        _publish(live, draft, editor, kind="correction", note=" ")
    assert str(refusal.value) == (
        "A correction needs a note for readers: say what changed. It is shown, dated, with the "
        "article. Nothing was published."
    )
    assert _shown(live).title == "Basket trials"
    assert not ArticleChange.objects.exists()


def test_another_articles_revision_or_stale_changes_are_refused_in_words(editor, live):
    first = draft_of(live, editor, title="First go")
    others = article_revision_save(article=ArticleFactory(), by=None, note="Elsewhere")
    with pytest.raises(services.PublishError) as foreign:
        _publish(live, others, editor)
    assert str(foreign.value) == "Those changes belong to another article."
    newer = draft_of(live, editor, title="Second go")
    approve(live)
    with pytest.raises(services.PublishError) as stale:
        _publish(live, first, editor)
    assert str(stale.value) == (
        "Those are no longer the unpublished changes of “Basket trials”: newer ones were saved "
        "meanwhile. Nothing was published; look at the article again."
    )
    services.article_draft_discard(article=live, revision=newer, by=editor)
    with pytest.raises(services.PublishError) as gone:
        _publish(live, newer, editor)
    assert str(gone.value) == (
        "Those are no longer the unpublished changes of “Basket trials”. Nothing was "
        "published; look at the article again."
    )
    assert _shown(live).title == "Basket trials"


def test_changes_moving_the_article_to_a_taken_address_are_refused(editor, live):
    draft = draft_of(live, editor, slug="basket-trials-explained", title="Explained")
    approve(live)
    ArticleFactory(slug="basket-trials-explained")
    with pytest.raises(services.PublishError, match="which another article has taken since"):
        _publish(live, draft, editor)
    assert (_shown(live).slug, _shown(live).title) == ("basket-trials", "Basket trials")


def test_changes_moving_the_article_to_a_free_address_move_it(editor, live):
    draft = draft_of(live, editor, slug="basket-trials-explained")
    approve(live)
    _publish(live, draft, editor)
    assert _shown(live).slug == "basket-trials-explained"


def test_publishing_changes_leaves_the_other_live_articles_as_they_are(editor, live):
    other = ArticleFactory(title="Other", approved=True)
    draft_of(other, editor, title="Other, changed")
    draft = draft_of(live, editor, title="Basket trials, explained")
    approve(live)
    _publish(live, draft, editor)
    assert _shown(other).title == "Other"
    assert drafts.article_draft(other) is not None


def test_unpublishing_a_live_article_makes_its_unpublished_changes_its_working_copy(editor, live):
    draft_of(live, editor, title="Basket trials, explained")
    services.article_unpublish(article=live, by=editor)
    after = Article.objects.get(pk=live.pk)
    assert (after.status, after.published_at, after.approval) == (Article.Status.DRAFT, None, None)
    assert after.title == "Basket trials, explained"
    assert edit(live, editor).kind == ArticleRevision.Kind.EDIT
    history = [revision.note for revision in live.revisions.order_by("pk")]
    assert "Unpublished, with its unpublished changes" in history
