"""More of clinical review's rules through its service (articles/review.py) directly: which
content and revision a step is on, who may take each step, who took part in the content, who
hears of a step and when, and the status an article off the site takes with each step. The
first part is in test_review_rules.py; the admin's pages in test_review.py."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.utils import timezone

from articles import review, services
from articles.models import Article, ReviewStep
from articles.revisions import article_revision_save, when
from tests.articles.editing import draft_of, edit, notes
from tests.factories import (
    ArticleFactory,
    ContributorFactory,
    ModeratorFactory,
    ReviewerFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
Action = ReviewStep.Action


@pytest.fixture
def draft():
    return ArticleFactory(
        title="Basket trials", body="NRG1 fusions.", status=Article.Status.DRAFT, published_at=None
    )


@pytest.fixture
def both(staff_groups):
    """An editor who is also a medical reviewer."""
    user = UserFactory(is_staff=True, display_name="Bo Both", email="bo@example.org")
    user.groups.add(staff_groups["Editors"], staff_groups["Medical reviewers"])
    return user


def take(article, by, action, note="", revision=None, **kwargs) -> ReviewStep:
    return review.review_step_record(
        article=article, revision=revision, by=by, action=action, note=note, **kwargs
    )


def state(article) -> str:
    return review.article_review(Article.objects.get(pk=article.pk)).state


def recipients() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


# --- Which content, which revision -----------------------------------------------------------
def test_a_live_articles_review_is_of_its_unpublished_changes(editor):
    live = ArticleFactory(approved=True)
    draft = draft_of(live, editor, title="Changed")
    working = review.article_review(live)
    assert (working.revision, working.digest, working.live) == (draft, draft.content_digest, True)
    assert review.article_review(live, draft=draft) == working
    assert review.article_review(live, draft=None) is None  # the caller read it: none


def test_an_articles_review_is_of_its_newest_edit_not_a_later_change_of_state(editor, draft):
    edited = edit(draft, editor, title="Basket trials, explained")
    review.state_record(article=draft, by=editor, note="Submitted for review")
    working = review.article_review(draft)
    assert (working.revision, working.live) == (edited, False)


def test_content_held_only_by_a_change_of_state_is_reviewed_on_that_revision(editor):
    live = ArticleFactory()  # from before revisions were kept
    services.article_unpublish(article=live, by=editor)
    unpublished = live.revisions.get()
    assert review.article_review(live).revision == unpublished
    assert take(live, editor, Action.SUBMITTED).revision == unpublished


def test_a_step_is_on_the_revision_the_person_saw_else_on_the_newest(editor, draft):
    seen = article_revision_save(article=draft, by=editor, note="Written.")
    newest = article_revision_save(article=draft, by=editor, note="Saved again, unchanged.")
    assert take(draft, editor, Action.SUBMITTED, revision=seen).revision == seen
    assert take(draft, editor, Action.WITHDRAWN).revision == newest


def test_a_step_on_a_revision_whose_content_changed_since_is_refused(editor, draft):
    seen = article_revision_save(article=draft, by=editor, note="Written.")
    edit(draft, editor, body="Changed since.")
    with pytest.raises(review.ReviewError) as refusal:
        take(draft, editor, Action.SUBMITTED, revision=seen)
    assert str(refusal.value) == (
        "That revision of “Basket trials” is no longer its newest content: it was changed "
        "since. Nothing was done; look at the article again."
    )
    assert not draft.review_steps.exists()


def test_the_latest_step_on_content_decides_its_state(editor, medical_reviewer, draft):
    for action in (Action.SUBMITTED, Action.WITHDRAWN, Action.SUBMITTED):
        take(draft, editor, action)
    assert state(draft) == review.State.IN_REVIEW
    take(draft, medical_reviewer, Action.APPROVED)
    other = ArticleFactory(title="Other", body="Text.", status=Article.Status.DRAFT)
    take(other, editor, Action.SUBMITTED)
    assert (state(draft), state(other)) == (review.State.APPROVED, review.State.IN_REVIEW)
    steps = list(review.article_review_steps(draft))
    assert [step.action for step in steps] == [
        Action.APPROVED, Action.SUBMITTED, Action.WITHDRAWN, Action.SUBMITTED,
    ]  # fmt: skip


def test_a_decision_about_content_not_in_review_is_refused_in_words(medical_reviewer, draft):
    with pytest.raises(review.ReviewError) as refusal:
        take(draft, medical_reviewer, Action.APPROVED)
    assert str(refusal.value) == (
        "“Basket trials” is not in review (Draft: not submitted for review.); nothing was done. "
        "Look at the article again."
    )


def test_each_refusal_tells_the_person_what_happened_in_full_sentences(
    both, editor, medical_reviewer, draft
):
    def refusal(by, action, note="") -> str:
        with pytest.raises(review.ReviewError) as refused:
            take(draft, by, action, note=note)
        return str(refused.value)

    assert refusal(medical_reviewer, Action.SUBMITTED) == (
        "Only editors can submit an article for review or withdraw it."
    )
    edit(draft, both, title="Basket trials, explained")
    take(draft, editor, Action.SUBMITTED)
    assert refusal(editor, Action.APPROVED) == (
        "Only medical reviewers can approve or request changes."
    )
    assert refusal(medical_reviewer, Action.CHANGES_REQUESTED) == (
        "Say what needs changing: a request for changes needs a note."
    )
    assert refusal(both, Action.APPROVED) == (
        "You wrote some of the changes to “Basket trials, explained” under review, or you are "
        "its author: another medical reviewer must decide about them."
    )


# --- Who may take each step ------------------------------------------------------------------
@pytest.mark.parametrize("who", ["reader", "moderator"])
@pytest.mark.parametrize("action", list(Action))
def test_a_reader_or_a_moderator_takes_no_step(action, who, editor, draft):
    if action != Action.SUBMITTED:
        take(draft, editor, Action.SUBMITTED)
    before = state(draft)
    person = UserFactory() if who == "reader" else ModeratorFactory()
    with pytest.raises(review.ReviewForbidden):
        take(draft, person, action, note="A note.")
    with pytest.raises(review.ReviewForbidden):
        review.article_review_step(
            article=draft, revision=None, by=person, action=action, note="A note."
        )
    assert state(draft) == before
    assert Article.objects.get(pk=draft.pk).status == Article.Status.DRAFT


def test_an_editor_who_wrote_the_content_may_still_withdraw_it(both, draft):
    edit(draft, both, title="Basket trials, explained")
    take(draft, both, Action.SUBMITTED)
    assert take(draft, both, Action.WITHDRAWN).action == Action.WITHDRAWN


def test_a_reviewer_who_saved_the_content_under_review_cannot_approve_it(both, editor, draft):
    edit(draft, both, title="Basket trials, explained")
    take(draft, editor, Action.SUBMITTED)
    for action in (Action.APPROVED, Action.CHANGES_REQUESTED):
        with pytest.raises(review.ReviewError, match="another medical reviewer must decide"):
            take(draft, both, action, note="Fine.")
    assert state(draft) == review.State.IN_REVIEW
    assert take(draft, ReviewerFactory(), Action.APPROVED).action == Action.APPROVED


def test_a_reviewer_whose_edits_were_approved_before_may_decide_about_later_content(
    both, editor, medical_reviewer, draft
):
    for by, title in ((editor, "First"), (both, "Second"), (editor, "Third")):
        edit(draft, by, title=title)
        take(draft, editor, Action.SUBMITTED)
        if title != "Third":
            take(draft, medical_reviewer, Action.APPROVED)
    assert take(draft, both, Action.APPROVED).action == Action.APPROVED


def test_changes_a_reviewer_saved_since_the_last_approval_of_this_article_count(
    both, editor, medical_reviewer, draft
):
    """Since the last approval of this article's content, not of another's, and by revision:
    whatever the numbering of review steps."""
    other = ArticleFactory(title="Other", body="Text.", status=Article.Status.DRAFT)
    for _ in range(10):  # review steps numbered well past the revisions
        take(other, editor, Action.SUBMITTED)
        take(other, editor, Action.WITHDRAWN)
    edit(draft, editor, title="First")
    take(draft, editor, Action.SUBMITTED)
    take(draft, medical_reviewer, Action.APPROVED)
    edit(draft, both, title="Second")
    take(draft, editor, Action.SUBMITTED)
    edit(other, editor, title="Other, revised")
    take(other, editor, Action.SUBMITTED)
    take(other, medical_reviewer, Action.APPROVED)  # a later approval, of another article
    with pytest.raises(review.ReviewError, match="another medical reviewer must decide"):
        take(draft, both, Action.APPROVED)


def test_before_any_approval_every_revision_a_reviewer_saved_counts_the_first_too(
    both, editor, draft
):
    # On a new test database this is revision 1, the boundary of "no approval yet" (pk > 0).
    article_revision_save(article=draft, by=both, note="Written.")
    take(draft, editor, Action.SUBMITTED)
    with pytest.raises(review.ReviewError, match="another medical reviewer must decide"):
        take(draft, both, Action.APPROVED)


@pytest.mark.parametrize("held", ["author account", "named author"])
def test_the_author_of_an_article_without_revisions_cannot_decide_about_it(
    held, editor, medical_reviewer
):
    if held == "author account":
        article = ArticleFactory(status=Article.Status.DRAFT, author=medical_reviewer)
    else:
        article = ArticleFactory(
            status=Article.Status.DRAFT, authors=[ContributorFactory(user=medical_reviewer)]
        )
    take(article, editor, Action.SUBMITTED)
    with pytest.raises(review.ReviewError, match="another medical reviewer must decide"):
        take(article, medical_reviewer, Action.APPROVED)


# --- Who hears of it, and when -----------------------------------------------------------------
def test_a_steps_mail_leaves_only_once_the_step_is_committed(
    editor, medical_reviewer, draft, tasks_inline
):
    def submit_then_fail():
        with transaction.atomic():
            take(draft, editor, Action.SUBMITTED)
            raise RuntimeError("the request failed after the step")

    with tasks_inline(), pytest.raises(RuntimeError):
        submit_then_fail()
    assert mail.outbox == []
    assert not draft.review_steps.exists()
    with tasks_inline():
        take(draft, editor, Action.SUBMITTED)
    assert recipients() == ["rhea@example.org"]


def test_a_decision_is_mailed_to_whoever_saved_the_content_and_whoever_submitted_it(
    editor, writer, medical_reviewer, draft, tasks_inline
):
    writer.email = "wren@example.org"
    writer.save()
    edit(draft, writer, title="Basket trials, explained")
    take(draft, editor, Action.SUBMITTED, mail=False)
    with tasks_inline():
        take(draft, medical_reviewer, Action.APPROVED)
    assert recipients() == sorted([editor.email, "wren@example.org"])


def test_a_decision_is_not_mailed_to_people_gone_or_without_an_address(
    writer, medical_reviewer, draft, tasks_inline
):
    edit(draft, writer, title="Basket trials, explained")
    take(draft, None, Action.SUBMITTED, mail=False)
    writer.is_active = False
    writer.save()
    with tasks_inline():
        take(draft, medical_reviewer, Action.CHANGES_REQUESTED, note="Cite the trial.")
    assert mail.outbox == []
    writer.is_active, writer.email = True, ""
    writer.save()
    take(draft, None, Action.SUBMITTED, mail=False)
    with tasks_inline():
        take(draft, medical_reviewer, Action.APPROVED)
    assert mail.outbox == []


def test_a_decision_is_mailed_to_who_submitted_that_content_not_other_content_since(
    editor, writer, medical_reviewer, draft, tasks_inline
):
    writer.email = "wren@example.org"
    writer.save()
    edit(draft, editor, title="Version A")
    take(draft, editor, Action.SUBMITTED, mail=False)
    edit(draft, editor, title="Version B")
    take(draft, writer, Action.SUBMITTED, mail=False)
    edit(draft, editor, title="Version A")  # back to the content the editor submitted
    assert state(draft) == review.State.IN_REVIEW
    with tasks_inline():
        take(draft, medical_reviewer, Action.APPROVED)
    assert recipients() == [editor.email]


# --- The status an article off the site takes --------------------------------------------------
def test_each_step_in_the_admin_files_the_article_and_the_history_names_who(
    editor, medical_reviewer, draft
):
    steps = [
        (editor, Action.SUBMITTED, Article.Status.IN_REVIEW),
        (editor, Action.WITHDRAWN, Article.Status.DRAFT),
        (editor, Action.SUBMITTED, Article.Status.IN_REVIEW),
        (medical_reviewer, Action.APPROVED, Article.Status.IN_REVIEW),
    ]
    for by, action, status in steps:
        review.article_review_step(article=draft, revision=None, by=by, action=action)
        assert draft.status == status, action
    assert notes(draft) == ["Submitted for review", "Back to draft", "Submitted for review"]
    assert {revision.revision.user for revision in draft.revisions.all()} == {editor}


def test_a_step_on_a_live_articles_changes_leaves_it_live_and_records_no_state(
    editor, medical_reviewer
):
    live = ArticleFactory(approved=True)
    draft = draft_of(live, editor, title="Changed")
    for by, action in ((editor, Action.SUBMITTED), (medical_reviewer, Action.APPROVED)):
        review.article_review_step(article=live, revision=draft, by=by, action=action)
        assert live.status == Article.Status.PUBLISHED
    assert notes(live) == ["As it was before revisions were kept", "Changed title"]


def test_a_step_in_the_admin_keeps_no_note_unless_given_and_mails_only_when_asked(
    editor, medical_reviewer, draft, tasks_inline
):
    with tasks_inline():
        step = review.article_review_step(
            article=draft, revision=None, by=editor, action=Action.SUBMITTED, mail=False
        )
    assert (step.note, mail.outbox) == ("", [])
    with tasks_inline():
        review.article_review_step(
            article=draft, revision=None, by=medical_reviewer, action=Action.APPROVED
        )
    assert recipients() == [editor.email]


# --- What the review panel reads ---------------------------------------------------------------
def test_the_descriptions_say_when_each_step_was_taken(editor, medical_reviewer, draft):
    with time_machine.travel(timezone.now() - timedelta(days=2), tick=False):
        submitted = take(draft, editor, Action.SUBMITTED)
    assert review.article_review(draft).describe() == (
        f"In review since {when(submitted.at)} (submitted by Eda Editor)."
    )
    requested = take(draft, medical_reviewer, Action.CHANGES_REQUESTED, note="Cite the trial.")
    assert review.article_review(draft).describe() == (
        f"Changes requested by Rhea Reviewer on {when(requested.at)}: Cite the trial."
    )
    take(draft, editor, Action.SUBMITTED)
    approved = take(draft, medical_reviewer, Action.APPROVED)
    assert review.article_review(draft).describe() == (
        f"Approved by Rhea Reviewer on {when(approved.at)}."
    )


def test_the_steps_with_who_took_each_are_read_in_one_query(
    editor, medical_reviewer, draft, django_assert_num_queries
):
    for by, action in ((editor, Action.SUBMITTED), (medical_reviewer, Action.APPROVED)):
        take(draft, by, action)
    with django_assert_num_queries(1):
        shown = [(step.by_name, step.action) for step in review.article_review_steps(draft)]
    assert shown == [("Rhea Reviewer", Action.APPROVED), ("Eda Editor", Action.SUBMITTED)]
