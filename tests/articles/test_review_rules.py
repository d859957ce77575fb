"""Clinical review's rules through its service (articles/review.py) directly, without the
admin: who may take each step, in which state, on which content, and who hears of it. The
admin tests in test_review.py show the same rules as editors and reviewers meet them; these
are the fast guards a mutation run reaches first."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.utils import timezone

from articles import review
from articles.models import Article, ReviewStep
from articles.revisions import article_revision_list, article_revision_save
from tests.factories import ArticleFactory, ContributorFactory, ReviewerFactory, UserFactory

pytestmark = pytest.mark.django_db
Action = ReviewStep.Action


@pytest.fixture
def editor(staff_groups):
    user = UserFactory(is_staff=True, display_name="Eda", email="eda@example.org")
    user.groups.add(staff_groups["Editors"])
    return user


@pytest.fixture
def reviewer(staff_groups):
    user = UserFactory(is_staff=True, display_name="Rhea", email="rhea@example.org")
    user.groups.add(staff_groups["Medical reviewers"])
    return user


@pytest.fixture
def draft():
    return ArticleFactory(
        title="Basket trials", body="NRG1 fusions.", status=Article.Status.DRAFT, published_at=None
    )


def take(article, by, action, note="", **kwargs) -> ReviewStep:
    return review.review_step_record(
        article=article, revision=None, by=by, action=action, note=note, **kwargs
    )


def state(article) -> str:
    return review.article_review(Article.objects.get(pk=article.pk)).state


# --- Submitting ---------------------------------------------------------------------------------
def test_an_editor_submits_content_for_review_and_the_step_is_on_that_content(editor, draft):
    step = take(draft, editor, Action.SUBMITTED, note="  Ready.  ")
    assert (step.action, step.by, step.note, step.article_id) == (
        Action.SUBMITTED, editor, "Ready.", draft.pk,
    )  # fmt: skip
    assert step.content_digest == review.article_review(draft).digest
    assert state(draft) == review.State.IN_REVIEW
    assert review.content_approval(draft, step.content_digest) is None


def test_the_site_itself_may_submit(draft):
    assert take(draft, None, Action.SUBMITTED).by is None


def test_content_in_review_cannot_be_submitted_again(editor, draft):
    take(draft, editor, Action.SUBMITTED)
    with pytest.raises(review.ReviewError, match="already in review"):
        take(draft, editor, Action.SUBMITTED)
    assert ReviewStep.objects.count() == 1


def test_approved_content_cannot_be_submitted_again(editor, reviewer, draft):
    take(draft, editor, Action.SUBMITTED)
    take(draft, reviewer, Action.APPROVED)
    with pytest.raises(review.ReviewError, match="already approved"):
        take(draft, editor, Action.SUBMITTED)


@pytest.mark.parametrize(("title", "body"), [("", "A body."), ("A title", "  \n ")])
def test_content_without_a_title_or_a_body_cannot_be_submitted(title, body, editor):
    article = ArticleFactory(title=title, body=body, status=Article.Status.DRAFT, published_at=None)
    with pytest.raises(review.ReviewError, match="needs a title and a body"):
        take(article, editor, Action.SUBMITTED)


def test_only_editors_submit_or_withdraw(reviewer, draft):
    reader = UserFactory()
    with pytest.raises(review.ReviewForbidden, match="Only editors"):
        take(draft, reader, Action.SUBMITTED)
    take(draft, None, Action.SUBMITTED)
    with pytest.raises(review.ReviewForbidden, match="Only editors"):
        take(draft, reviewer, Action.WITHDRAWN)  # a reviewer decides; withdrawing is editors'


def test_a_withdrawn_submission_is_a_draft_again(editor, draft):
    take(draft, editor, Action.SUBMITTED)
    take(draft, editor, Action.WITHDRAWN)
    assert state(draft) == review.State.DRAFT
    assert review.article_review(draft).describe() == "Draft: not submitted for review."


# --- Deciding ------------------------------------------------------------------------------------
def test_a_reviewer_approves_content_in_review_and_publishing_can_find_that_approval(
    editor, reviewer, draft
):
    submitted = take(draft, editor, Action.SUBMITTED)
    approved = take(draft, reviewer, Action.APPROVED)
    assert state(draft) == review.State.APPROVED
    assert review.article_review(draft).approved
    assert review.content_approval(draft, submitted.content_digest) == approved
    assert review.content_approval(draft, "another digest") is None
    assert review.latest_step(draft, submitted.content_digest) == approved


@pytest.mark.parametrize("action", [Action.APPROVED, Action.CHANGES_REQUESTED])
def test_nobody_decides_about_content_that_is_not_in_review(action, reviewer, draft):
    with pytest.raises(review.ReviewError, match="is not in review"):
        take(draft, reviewer, action, note="Fix it.")


@pytest.mark.parametrize("action", [Action.APPROVED, Action.CHANGES_REQUESTED])
def test_only_medical_reviewers_decide_never_the_site(action, editor, draft):
    take(draft, editor, Action.SUBMITTED)
    for by in (None, editor, UserFactory(is_superuser=False)):
        with pytest.raises(review.ReviewForbidden, match="Only medical reviewers"):
            take(draft, by, action, note="Fix it.")
    assert state(draft) == review.State.IN_REVIEW


def test_a_request_for_changes_needs_a_note_and_keeps_it(editor, reviewer, draft):
    take(draft, editor, Action.SUBMITTED)
    with pytest.raises(review.ReviewError, match="needs a note"):
        take(draft, reviewer, Action.CHANGES_REQUESTED, note="   ")
    step = take(draft, reviewer, Action.CHANGES_REQUESTED, note=" Cite the trial. ")
    assert step.note == "Cite the trial."
    current = review.article_review(draft)
    assert current.state == review.State.CHANGES_REQUESTED
    assert current.describe().startswith("Changes requested by Rhea on ")
    assert current.describe().endswith(": Cite the trial.")


def test_a_reviewer_who_is_the_articles_author_cannot_decide_about_it(editor, reviewer):
    article = ArticleFactory(
        title="Own work", body="Text.", status=Article.Status.DRAFT, published_at=None,
        author=reviewer,
    )  # fmt: skip
    take(article, editor, Action.SUBMITTED)
    with pytest.raises(review.ReviewError, match="another medical reviewer must decide"):
        take(article, reviewer, Action.APPROVED)
    assert take(article, ReviewerFactory(), Action.APPROVED).action == Action.APPROVED


@pytest.mark.parametrize("held", ["author account", "named author"])
def test_a_reviewer_who_wrote_the_revision_under_review_cannot_decide_about_it(
    held, editor, reviewer
):
    """The revision under review says who wrote it: its author account, or a contributor it
    names whose profile is the reviewer's."""
    article = ArticleFactory(
        title="Own work", body="Text.", status=Article.Status.DRAFT, published_at=None
    )
    if held == "author account":
        Article.objects.filter(pk=article.pk).update(author=reviewer)
    else:
        article.authors.set([ContributorFactory(user=reviewer), ContributorFactory()])
    revision = article_revision_save(article=article, by=editor, note="Written.")
    review.review_step_record(
        article=article, revision=revision, by=editor, action=Action.SUBMITTED
    )
    with pytest.raises(review.ReviewError, match="another medical reviewer must decide"):
        review.review_step_record(
            article=article, revision=revision, by=reviewer, action=Action.APPROVED
        )
    approved = review.review_step_record(
        article=article, revision=revision, by=ReviewerFactory(), action=Action.APPROVED
    )
    assert approved.action == Action.APPROVED


def test_the_descriptions_of_each_state_name_who_and_when(editor, reviewer, draft):
    take(draft, editor, Action.SUBMITTED)
    in_review = review.article_review(draft)
    assert in_review.describe().startswith("In review since ")
    assert in_review.describe().endswith("(submitted by Eda).")
    assert in_review.state_label == "In review"
    take(draft, reviewer, Action.APPROVED)
    approved = review.article_review(draft)
    assert approved.describe().startswith("Approved by Rhea on ")
    assert approved.state_label == "Approved"


# --- Which content ---------------------------------------------------------------------------
def test_a_step_on_another_articles_revision_is_refused(editor, draft):
    other = ArticleFactory(status=Article.Status.DRAFT, published_at=None)
    foreign = article_revision_save(article=other, by=editor, note="Written.")
    with pytest.raises(review.ReviewError) as refusal:
        review.review_step_record(
            article=draft, revision=foreign, by=editor, action=Action.SUBMITTED
        )
    assert str(refusal.value) == "That revision belongs to another article."
    assert not draft.review_steps.exists()


def test_a_live_article_without_changes_has_nothing_to_review(editor):
    live = ArticleFactory(approved=True)
    assert review.article_review(live) is None
    with pytest.raises(review.ReviewError, match="no unpublished changes"):
        take(live, editor, Action.SUBMITTED)


# --- Who hears of it -------------------------------------------------------------------------
def test_a_submission_is_mailed_to_every_active_reviewer_but_the_submitter(
    editor, reviewer, draft, staff_groups, tasks_inline
):
    both = UserFactory(is_staff=True, email="both@example.org")
    both.groups.add(staff_groups["Editors"], staff_groups["Medical reviewers"])
    gone = UserFactory(is_staff=True, email="gone@example.org", is_active=False)
    gone.groups.add(staff_groups["Medical reviewers"])
    with tasks_inline():
        take(draft, both, Action.SUBMITTED)
    assert sorted(address for message in mail.outbox for address in message.to) == [
        "rhea@example.org"
    ]


def test_a_decision_is_mailed_to_the_submitter_not_to_the_reviewer(
    editor, reviewer, draft, tasks_inline
):
    take(draft, editor, Action.SUBMITTED, mail=False)
    with tasks_inline():
        take(draft, reviewer, Action.CHANGES_REQUESTED, note="Cite the trial.")
    assert [message.to for message in mail.outbox] == [["eda@example.org"]]


def test_a_withdrawal_and_a_step_without_mail_tell_nobody(editor, draft, reviewer, tasks_inline):
    with tasks_inline():
        take(draft, editor, Action.SUBMITTED, mail=False)
        take(draft, editor, Action.WITHDRAWN)
    assert mail.outbox == []


def test_reviewers_are_the_active_holders_of_the_review_permission_once_each(staff_groups):
    by_group = UserFactory()
    by_group.groups.add(staff_groups["Medical reviewers"])
    by_grant = UserFactory()
    by_grant.user_permissions.add(Permission.objects.get(codename="review_article"))
    by_grant.groups.add(staff_groups["Medical reviewers"])  # both ways: still listed once
    UserFactory(is_superuser=True)  # holds every permission, but was not given this one
    UserFactory(is_active=False).groups.add(staff_groups["Medical reviewers"])
    UserFactory().groups.add(staff_groups["Editors"])
    assert sorted(u.pk for u in review.reviewers()) == sorted([by_group.pk, by_grant.pk])
    assert review.may_decide(by_group)
    assert not review.may_submit(by_group)


# --- Filing an article off the site ------------------------------------------------------------
def test_filing_moves_an_article_off_the_site_between_draft_and_review_and_says_so(draft):
    before = Article.objects.get(pk=draft.pk).updated_at
    assert review.article_file(draft, Article.Status.IN_REVIEW) == "submitted for review"
    filed = Article.objects.get(pk=draft.pk)
    assert (filed.status, filed.updated_at > before) == (Article.Status.IN_REVIEW, True)
    assert review.article_file(draft, Article.Status.IN_REVIEW) == ""  # already there
    assert review.article_file(draft, Article.Status.DRAFT) == "back to draft"


def test_filing_never_touches_a_live_or_scheduled_article():
    live = ArticleFactory(approved=True)
    scheduled = ArticleFactory(
        approved=True, status=Article.Status.SCHEDULED,
        published_at=timezone.now() + timedelta(days=1),
    )  # fmt: skip
    for article in (live, scheduled):
        assert review.article_file(article, Article.Status.DRAFT) == ""
    assert Article.objects.get(pk=live.pk).status == Article.Status.PUBLISHED
    assert Article.objects.get(pk=scheduled.pk).status == Article.Status.SCHEDULED


def test_a_request_for_changes_in_the_admin_files_the_article_back_as_a_draft(
    editor, reviewer, draft
):
    revision = review.article_review(draft).revision
    review.article_review_step(article=draft, revision=revision, by=editor, action=Action.SUBMITTED)
    assert draft.status == Article.Status.IN_REVIEW
    review.article_review_step(
        article=draft, revision=revision, by=reviewer, action=Action.CHANGES_REQUESTED,
        note="Cite the trial.",
    )  # fmt: skip
    assert draft.status == Article.Status.DRAFT
    notes = [revision.note for revision in article_revision_list(draft)[:2]]
    assert notes == ["Changes requested by Rhea", "Submitted for review"]


# --- Keeping the status in step with the content ---------------------------------------------
def edited(article, body="Changed after the decision.") -> Article:
    Article.objects.filter(pk=article.pk).update(body=body)
    return Article.objects.get(pk=article.pk)


def test_a_scheduled_article_whose_content_changed_leaves_the_schedule_alone_of_all():
    at = timezone.now() + timedelta(days=1)
    scheduled = ArticleFactory(approved=True, status=Article.Status.SCHEDULED, published_at=at)
    other = ArticleFactory(approved=True, status=Article.Status.SCHEDULED, published_at=at)
    approval = ReviewStep.objects.filter(article=scheduled, action=Action.APPROVED).get()
    Article.objects.filter(pk=scheduled.pk).update(approval=approval)  # as publishing keeps it
    article = edited(scheduled)
    review.article_state_follow_content(article=article)
    assert (article.status, article.published_at) == (Article.Status.DRAFT, None)
    assert Article.objects.get(pk=article.pk).approval is None
    assert article_revision_list(article)[0].note == (
        "Schedule cancelled: its content changed after approval"
    )
    assert Article.objects.get(pk=other.pk).status == Article.Status.SCHEDULED


def test_a_scheduled_article_still_holding_its_approved_content_stays_scheduled():
    at = timezone.now() + timedelta(days=1)
    scheduled = ArticleFactory(approved=True, status=Article.Status.SCHEDULED, published_at=at)
    before = article_revision_list(scheduled).count()
    review.article_state_follow_content(article=scheduled)
    scheduled.refresh_from_db()
    assert (scheduled.status, scheduled.published_at) == (Article.Status.SCHEDULED, at)
    assert article_revision_list(scheduled).count() == before


def test_content_changed_after_submission_goes_back_to_draft_and_says_why(editor, draft):
    take(draft, editor, Action.SUBMITTED)
    review.article_file(draft, Article.Status.IN_REVIEW)
    article = edited(draft)
    review.article_state_follow_content(article=article)
    assert article.status == Article.Status.DRAFT
    assert article_revision_list(article)[0].note == (
        "Back to draft: its content changed after it was submitted for review"
    )


def test_content_still_under_review_stays_in_review(editor, draft):
    take(draft, editor, Action.SUBMITTED)
    review.article_file(draft, Article.Status.IN_REVIEW)
    before = article_revision_list(draft).count()
    review.article_state_follow_content(article=Article.objects.get(pk=draft.pk))
    assert Article.objects.get(pk=draft.pk).status == Article.Status.IN_REVIEW
    assert article_revision_list(draft).count() == before


@pytest.mark.parametrize("status", [Article.Status.DRAFT, Article.Status.PUBLISHED])
def test_a_draft_or_a_live_article_is_left_as_it_is(status, editor):
    article = ArticleFactory(approved=True, status=status)
    before = article_revision_list(article).count()
    review.article_state_follow_content(article=edited(article))
    assert Article.objects.get(pk=article.pk).status == status
    assert article_revision_list(article).count() == before
