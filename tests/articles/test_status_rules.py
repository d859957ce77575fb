"""Publication state through the publish service (articles/services.py) directly: publishing
and scheduling, taking off the site, the status an editor chooses in the form, and the
schedule. More of the same in test_publish_rules.py; the admin's pages in test_publishing.py
and test_review.py. These are the fast guards a mutation run reaches first."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from articles import review, services
from articles.models import Article, ReviewStep
from articles.revisions import article_revision_list, when
from tests.articles.editing import notes
from tests.factories import ArticleFactory, ModeratorFactory, UserFactory, approve

pytestmark = pytest.mark.django_db
Action = ReviewStep.Action


def _draft(**fields) -> Article:
    return ArticleFactory(status=Article.Status.DRAFT, published_at=None, **fields)


def _state(article) -> tuple:
    current = Article.objects.get(pk=article.pk)
    return current.status, current.published_at


# --- Publishing and scheduling ----------------------------------------------------------------
def test_a_publication_time_without_a_time_zone_is_refused(editor):
    draft = _draft(approved=True)
    with pytest.raises(services.PublishError) as refusal:
        services.article_publish(article=draft, at=datetime(2030, 1, 1, 9, 0), by=editor)  # noqa: DTZ001
    assert str(refusal.value) == "The publication time needs a time zone."
    assert _state(draft) == (Article.Status.DRAFT, None)


def test_an_unapproved_draft_is_neither_published_nor_scheduled(editor):
    draft = _draft(title="Unreviewed")
    for at in (None, timezone.now() + timedelta(days=1)):
        with pytest.raises(services.NotApproved) as refusal:
            services.article_publish(article=draft, at=at, by=editor)
        assert str(refusal.value) == (
            "“Unreviewed” cannot be published or scheduled: a medical reviewer has not approved "
            "its content (any change after an approval needs review again). Nothing was "
            "published; submit it for review first."
        )
    assert _state(draft) == (Article.Status.DRAFT, None)
    assert notes(draft) == []


def test_publishing_and_scheduling_keep_the_approval_they_stood_on(editor):
    now, later = _draft(), _draft()
    approvals = approve(now), approve(later)
    services.article_publish(article=now, by=editor)
    services.article_publish(article=later, at=timezone.now() + timedelta(days=1), by=editor)
    assert tuple(Article.objects.get(pk=a.pk).approval for a in (now, later)) == approvals


@pytest.mark.parametrize(("title", "body"), [("", "A body."), ("A title", " \n ")])
def test_an_article_without_a_title_or_a_body_is_not_published(title, body, editor):
    draft = _draft(title=title, body=body)
    with pytest.raises(services.PublishError, match="needs a title and a body"):
        services.article_publish(article=draft, by=editor)
    assert _state(draft) == (Article.Status.DRAFT, None)


def test_a_live_article_is_not_scheduled_for_later(editor):
    live = ArticleFactory(title="Live", approved=True)
    before = _state(live)
    with pytest.raises(services.PublishError) as refusal:
        services.article_publish(article=live, at=timezone.now() + timedelta(days=1), by=editor)
    assert str(refusal.value) == (
        "“Live” is already live. To schedule it for later, unpublish it first."
    )
    assert _state(live) == before


def test_publishing_a_live_article_again_keeps_its_time_and_records_nothing(editor):
    live = ArticleFactory(approved=True)
    before = Article.objects.get(pk=live.pk)
    services.article_publish(article=live, by=editor)
    after = Article.objects.get(pk=live.pk)
    assert (after.status, after.published_at, after.updated_at) == (
        before.status, before.published_at, before.updated_at,
    )  # fmt: skip
    assert notes(live) == []


def test_an_article_live_from_before_clinical_review_can_still_be_redated(editor):
    live = ArticleFactory()  # no approval: it was published before review began
    at = timezone.now().replace(microsecond=0) - timedelta(days=7)
    services.article_publish(article=live, at=at, by=editor)
    assert (live.status, live.published_at) == (Article.Status.PUBLISHED, at)
    assert notes(live) == [f"Publication time set to {when(at)}"]


def test_redating_a_live_article_keeps_the_approval_it_was_published_on(editor):
    draft = _draft()
    approval = approve(draft)
    services.article_publish(article=draft, by=editor)
    at = timezone.now().replace(microsecond=0) - timedelta(days=7)
    services.article_publish(article=draft, at=at, by=editor)
    after = Article.objects.get(pk=draft.pk)
    assert (after.published_at, after.approval) == (at, approval)


def test_a_scheduled_article_is_rescheduled_and_the_history_says_when(editor):
    first = timezone.now().replace(microsecond=0) + timedelta(days=1)
    later = ArticleFactory(status=Article.Status.SCHEDULED, published_at=first, approved=True)
    services.article_publish(article=later, at=first + timedelta(days=1), by=editor)
    assert _state(later) == (Article.Status.SCHEDULED, first + timedelta(days=1))
    assert notes(later) == [f"Scheduled for {when(first + timedelta(days=1))}"]


def test_choosing_scheduled_in_the_form_schedules_for_the_time_chosen(editor):
    at = timezone.now().replace(microsecond=0) + timedelta(days=3)
    draft = _draft(approved=True)
    services.article_status_change(article=draft, status=Article.Status.SCHEDULED, at=at, by=editor)
    assert (draft.status, draft.published_at) == (Article.Status.SCHEDULED, at)
    assert article_revision_list(draft).first().revision.user == editor


# --- Taking off the site ----------------------------------------------------------------------
def test_a_writer_cannot_take_a_live_or_scheduled_article_off_the_site(writer):
    live = ArticleFactory()
    scheduled = ArticleFactory(
        status=Article.Status.SCHEDULED, published_at=timezone.now() + timedelta(days=1)
    )
    for article in (live, scheduled):
        before = _state(article)
        with pytest.raises(services.PublishError, match="only editors who may publish"):
            services.article_unpublish(article=article, by=writer)
        with pytest.raises(services.PublishError, match="only editors who may publish"):
            services.article_status_change(article=article, status=Article.Status.DRAFT, by=writer)
        assert _state(article) == before
        assert notes(article) == []


def test_unpublishing_drops_the_approval_the_publication_kept(editor):
    draft = _draft(approved=True)
    services.article_publish(article=draft, by=editor)
    services.article_unpublish(article=draft, by=editor)
    after = Article.objects.get(pk=draft.pk)
    assert (after.status, after.published_at, after.approval) == (Article.Status.DRAFT, None, None)


def test_taking_a_draft_off_the_site_does_nothing_and_records_nothing(editor):
    draft = _draft()
    services.article_unpublish(article=draft, by=editor)
    services.article_status_change(article=draft, status=Article.Status.DRAFT, by=editor)
    assert _state(draft) == (Article.Status.DRAFT, None)
    assert notes(draft) == []


# --- Filing for review from the form ----------------------------------------------------------
def test_filing_a_draft_in_review_submits_its_content_as_the_editor(editor):
    draft = _draft()
    services.article_status_change(article=draft, status=Article.Status.IN_REVIEW, by=editor)
    step = draft.review_steps.get()
    assert (step.action, step.by, step.note) == (Action.SUBMITTED, editor, "")
    assert review.article_review(draft).state == review.State.IN_REVIEW


def test_filing_approved_content_in_review_and_back_neither_resubmits_nor_withdraws_it(editor):
    draft = _draft(approved=True)
    for status in (Article.Status.IN_REVIEW, Article.Status.DRAFT):
        services.article_status_change(article=draft, status=status, by=editor)
        assert draft.status == status
    assert draft.review_steps.count() == 2  # the submission and approval, nothing since
    assert review.article_review(draft).approved
    assert notes(draft) == ["Submitted for review", "Back to draft"]


def test_filing_content_in_review_back_as_a_draft_withdraws_it(editor):
    draft = _draft()
    services.article_status_change(article=draft, status=Article.Status.IN_REVIEW, by=editor)
    services.article_status_change(article=draft, status=Article.Status.DRAFT, by=editor)
    newest = draft.review_steps.order_by("-pk").first()
    assert (newest.action, newest.by) == (Action.WITHDRAWN, editor)
    assert review.article_review(draft).state == review.State.DRAFT


def test_filing_as_a_draft_content_with_changes_requested_withdraws_nothing(
    editor, medical_reviewer
):
    draft = _draft()
    services.article_status_change(article=draft, status=Article.Status.IN_REVIEW, by=editor)
    review.review_step_record(
        article=draft, revision=None, by=medical_reviewer,
        action=Action.CHANGES_REQUESTED, note="Cite the trial.",
    )  # fmt: skip
    services.article_status_change(article=draft, status=Article.Status.DRAFT, by=editor)
    assert draft.status == Article.Status.DRAFT
    assert draft.review_steps.order_by("-pk").first().action == Action.CHANGES_REQUESTED


@pytest.mark.parametrize("who", ["reader", "moderator"])
def test_someone_who_may_not_edit_files_nothing_for_review(who):
    person = UserFactory() if who == "reader" else ModeratorFactory()
    draft = _draft()
    with pytest.raises(services.PublishError, match="Only editors can submit"):
        services.article_status_change(article=draft, status=Article.Status.IN_REVIEW, by=person)
    assert _state(draft) == (Article.Status.DRAFT, None)
    assert not draft.review_steps.exists()
    assert notes(draft) == []


def test_putting_a_live_article_in_review_unpublishes_it_and_says_both_in_one_note(editor):
    live = ArticleFactory(approved=True)
    services.article_status_change(article=live, status=Article.Status.IN_REVIEW, by=editor)
    assert (live.status, live.published_at) == (Article.Status.IN_REVIEW, None)
    assert notes(live) == ["Unpublished, submitted for review"]
    assert article_revision_list(live).first().revision.user == editor


# --- The schedule -----------------------------------------------------------------------------
def test_a_due_article_never_approved_is_taken_off_and_the_schedule_goes_on(editor):
    now = timezone.now()
    newer = ArticleFactory(
        status=Article.Status.SCHEDULED, published_at=now - timedelta(minutes=1), approved=True
    )
    unapproved = ArticleFactory(
        status=Article.Status.SCHEDULED, published_at=now - timedelta(minutes=2)
    )
    older = ArticleFactory(
        status=Article.Status.SCHEDULED, published_at=now - timedelta(minutes=3), approved=True
    )
    assert sorted(services.publish_due_articles()) == sorted([newer.pk, older.pk])
    assert _state(unapproved) == (Article.Status.DRAFT, None)
    assert notes(unapproved) == ["Unpublished"]
    assert article_revision_list(unapproved).first().revision.user is None
    assert _state(newer)[0] == _state(older)[0] == Article.Status.PUBLISHED


def test_the_schedule_publishes_each_due_article_once_and_nothing_not_due():
    due = ArticleFactory(
        status=Article.Status.SCHEDULED, published_at=timezone.now() - timedelta(minutes=1),
        approved=True,
    )  # fmt: skip
    ArticleFactory(
        status=Article.Status.SCHEDULED, published_at=timezone.now() + timedelta(hours=1),
        approved=True,
    )  # fmt: skip
    assert services.publish_due_articles() == [due.pk]
    assert services.publish_due_articles() == []
    assert notes(due) == ["Published by the schedule"]
