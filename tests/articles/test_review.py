"""Clinical review (#14, point 3): each step and who may take it, approval bound to the exact
content, and the one publish service refusing anything else (first publication, changes to a
live article, the schedule)."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles import drafts, review, services
from articles.models import Article, ReviewStep
from tests.articles.test_revisions import BODY, history_of, save
from tests.factories import ArticleFactory, ModeratorFactory, ReviewerFactory, UserFactory

pytestmark = pytest.mark.django_db
Action = ReviewStep.Action


@pytest.fixture
def editor(client, staff_groups):
    user = UserFactory(is_staff=True, display_name="Eda Editor", email="eda@example.org")
    user.groups.add(staff_groups["Editors"])
    client.force_login(user)
    return user


@pytest.fixture
def reviewer(staff_groups):
    user = UserFactory(is_staff=True, display_name="Dr Rhea Reviewer", email="rhea@example.org")
    user.groups.add(staff_groups["Medical reviewers"])
    return user


@pytest.fixture
def draft(client, editor):
    """A draft written by the editor in the admin: its first revision is theirs."""
    article = ArticleFactory(
        title="Basket trials", body=BODY, status=Article.Status.DRAFT, published_at=None
    )
    save(client, article, body=BODY + "\n\nA sentence from the editor.")
    return article


def signed_in(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def step(browser: Client, article: Article, action: str, *, revision=None, note: str = ""):
    """A review button pressed on the change form: what it posts, followed to the next page."""
    working = review.article_review(article)
    revision = revision if revision is not None else working.revision.pk
    return browser.post(
        f"/admin/articles/article/{article.pk}/review/",
        {"action": action, "revision": revision, "note": note},
        follow=True,
    )


def state_of(article: Article) -> str:
    return review.article_review(article).state


# The steps and who may take them -------------------------------------------------------------
def test_an_editor_submits_a_reviewer_approves_and_only_then_an_editor_publishes(
    client, editor, reviewer, draft
):
    page = client.get(f"/admin/articles/article/{draft.pk}/change/").content.decode()
    assert "Clinical review: Draft" in page
    assert 'value="submit"' in page
    assert 'value="approve"' not in page
    refused = client.post(
        "/admin/articles/article/", {"action": "publish_now", "_selected_action": [draft.pk]}
    )
    draft.refresh_from_db()
    assert not draft.is_public
    assert refused.status_code == 302

    done = step(client, draft, "submit", note="Dose wording checked against the label.")
    assert "is submitted for review" in done.content.decode()
    draft.refresh_from_db()
    assert draft.status == Article.Status.IN_REVIEW
    assert state_of(draft) == review.State.IN_REVIEW
    assert history_of(draft)[0].note == "Submitted for review"

    reviewers_page = signed_in(reviewer).get(f"/admin/articles/article/{draft.pk}/change/")
    html = reviewers_page.content.decode()
    assert "In review since" in html
    assert "(submitted by Eda Editor)" in html
    assert 'value="approve"' in html
    assert 'value="request_changes"' in html
    assert 'value="submit"' not in html
    assert "approved: it may be published now" in (
        step(signed_in(reviewer), draft, "approve").content.decode()
    )
    assert state_of(draft) == review.State.APPROVED

    client.post(
        "/admin/articles/article/", {"action": "publish_now", "_selected_action": [draft.pk]}
    )
    draft.refresh_from_db()
    assert draft.is_public
    steps = list(review.article_review_steps(draft))
    assert [(s.action, s.by) for s in steps] == [
        (Action.APPROVED, reviewer),
        (Action.SUBMITTED, editor),
    ]
    assert steps[1].note == "Dose wording checked against the label."
    assert all(s.at is not None and s.content_digest == steps[0].content_digest for s in steps)


def test_publishing_content_never_approved_is_refused_in_words(editor, draft):
    with pytest.raises(services.NotApproved) as refusal:
        services.article_publish(article=draft, by=editor)
    assert str(refusal.value) == (
        "“Basket trials” cannot be published or scheduled: a medical reviewer has not approved "
        "its content (any change after an approval needs review again). Nothing was published; "
        "submit it for review first."
    )
    with pytest.raises(services.NotApproved):
        services.article_publish(article=draft, at=timezone.now() + timedelta(days=1))
    draft.refresh_from_db()
    assert (draft.status, draft.published_at) == (Article.Status.DRAFT, None)


def test_a_reviewer_never_approves_changes_they_wrote_and_another_reviewer_does(
    client, editor, staff_groups, draft
):
    both = UserFactory(is_staff=True, display_name="Ed Both")
    both.groups.add(staff_groups["Editors"], staff_groups["Medical reviewers"])
    theirs = signed_in(both)
    save(theirs, draft, standfirst="A standfirst written by the reviewer.")
    step(client, draft, "submit")
    page = theirs.get(f"/admin/articles/article/{draft.pk}/change/").content.decode()
    assert 'value="approve"' not in page
    assert "another medical reviewer must decide" in page
    refused = step(theirs, draft, "approve").content.decode()
    assert "You wrote some of the changes to “Basket trials” under review" in refused
    assert state_of(draft) == review.State.IN_REVIEW
    step(signed_in(ReviewerFactory()), draft, "approve")
    assert state_of(draft) == review.State.APPROVED


def test_the_articles_author_cannot_approve_it_nor_can_a_superuser_approve_their_own(
    editor, reviewer
):
    own = ArticleFactory(status=Article.Status.DRAFT, published_at=None, author=reviewer)
    services.article_status_change(article=own, status=Article.Status.IN_REVIEW, by=editor)
    with pytest.raises(review.ReviewError, match="you are its author"):
        review.article_review_step(article=own, revision=None, by=reviewer, action=Action.APPROVED)
    boss = UserFactory(is_staff=True, is_superuser=True)
    article = ArticleFactory(status=Article.Status.DRAFT, published_at=None, author=editor)
    save(signed_in(boss), article, body="Written by the superuser.")
    step(signed_in(editor), article, "submit")
    assert (
        "You wrote some of the changes"
        in step(signed_in(boss), article, "approve").content.decode()
    )
    other = ArticleFactory(status=Article.Status.DRAFT, published_at=None, author=editor)
    step(signed_in(editor), other, "submit", revision="")
    step(signed_in(boss), other, "approve")
    assert state_of(other) == review.State.APPROVED  # Django's has_perm: a superuser may


def test_a_request_for_changes_needs_a_note_and_sends_the_draft_back(client, reviewer, draft):
    step(client, draft, "submit")
    theirs = signed_in(reviewer)
    assert "a request for changes needs a note" in (
        step(theirs, draft, "request_changes", note="  ").content.decode()
    )
    assert state_of(draft) == review.State.IN_REVIEW
    step(theirs, draft, "request_changes", note="Give the trial's response rate and its n.")
    draft.refresh_from_db()
    assert draft.status == Article.Status.DRAFT
    assert state_of(draft) == review.State.CHANGES_REQUESTED
    page = client.get(f"/admin/articles/article/{draft.pk}/change/").content.decode()
    assert "Changes requested by Dr Rhea Reviewer on" in page
    assert "Give the trial&#x27;s response rate and its n." in page
    assert history_of(draft)[0].note == "Changes requested by Dr Rhea Reviewer"
    assert 'value="submit"' in page  # the editor may submit again


def test_readers_moderators_and_editors_take_no_decision(client, editor, reviewer, draft):
    step(client, draft, "submit")
    revision = review.article_review(draft).revision.pk
    url = f"/admin/articles/article/{draft.pk}/review/"
    reader = signed_in(UserFactory())
    answer = reader.post(url, {"action": "approve", "revision": revision})
    assert answer.status_code == 302
    assert "/login/" in answer["Location"]
    moderator = signed_in(ModeratorFactory())
    for who in (moderator, client):  # the editor may submit, not decide
        for action in ("approve", "request_changes"):
            answer = who.post(url, {"action": action, "revision": revision, "note": "n"})
            assert answer.status_code == 403
    for action in ("submit", "withdraw"):
        assert moderator.post(url, {"action": action, "revision": revision}).status_code == 403
        assert (
            signed_in(reviewer).post(url, {"action": action, "revision": revision}).status_code
            == 403
        )
    assert [s.action for s in review.article_review_steps(draft)] == [Action.SUBMITTED]
    with pytest.raises(review.ReviewForbidden):
        review.article_review_step(article=draft, revision=None, by=editor, action=Action.APPROVED)


def test_review_posts_refuse_a_get_nonsense_and_other_articles_revisions(client, draft):
    url = f"/admin/articles/article/{draft.pk}/review/"
    revision = review.article_review(draft).revision
    assert client.get(url).status_code == 405
    assert client.post(url, {"action": "publish", "revision": revision.pk}).status_code == 400
    assert client.post(url, {"action": "submit", "revision": "999999"}).status_code == 404
    assert client.post(url, {"action": "submit", "revision": "x"}).status_code == 404
    other = ArticleFactory(status=Article.Status.DRAFT, published_at=None)
    save(client, other, standfirst="Other.")
    foreign = review.article_review(other).revision.pk
    assert client.post(url, {"action": "submit", "revision": foreign}).status_code == 404
    deciding = signed_in(ReviewerFactory())
    assert deciding.post(url, {"action": "approve", "revision": ""}).status_code == 404
    assert (
        client.post("/admin/articles/article/999999/review/", {"action": "submit"}).status_code
        == 404
    )
    # A revision that is no longer the newest content: a message, nothing done.
    save(client, draft, standfirst="Changed since the page was shown.")
    stale = step(client, draft, "submit", revision=revision.pk).content.decode()
    assert "is no longer its newest content" in stale
    assert not review.article_review_steps(draft).exists()


def test_withdrawing_or_choosing_draft_takes_it_out_of_review(client, editor, draft):
    step(client, draft, "submit")
    step(client, draft, "withdraw")
    draft.refresh_from_db()
    assert (draft.status, state_of(draft)) == (Article.Status.DRAFT, review.State.DRAFT)
    services.article_status_change(article=draft, status=Article.Status.IN_REVIEW, by=editor)
    assert state_of(draft) == review.State.IN_REVIEW
    services.article_status_change(article=draft, status=Article.Status.DRAFT, by=editor)
    assert [s.action for s in review.article_review_steps(draft)][:2] == [
        Action.WITHDRAWN,
        Action.SUBMITTED,
    ]


# Approval belongs to the exact content -------------------------------------------------------
def test_an_edit_after_approval_needs_review_again(client, editor, reviewer, draft):
    step(client, draft, "submit")
    step(signed_in(reviewer), draft, "approve")
    save(client, draft, body=BODY + "\n\nA change after the approval.")
    assert state_of(draft) == review.State.DRAFT
    draft.refresh_from_db()
    assert draft.status == Article.Status.DRAFT
    assert history_of(draft)[0].note == (
        "Back to draft: its content changed after it was submitted for review"
    )
    with pytest.raises(services.NotApproved):
        services.article_publish(article=draft, by=editor)
    step(client, draft, "submit")
    step(signed_in(reviewer), draft, "approve")
    draft.refresh_from_db()
    services.article_publish(article=draft, by=editor)
    assert draft.is_public
    assert "A change after the approval." in Client().get(draft.get_absolute_url()).content.decode()


def test_changes_to_a_live_article_are_published_only_once_approved(client, editor, reviewer):
    live = ArticleFactory(title="Basket trials", slug="basket-trials", body=BODY)
    save(client, live, body=BODY + "\n\nA correction under review.")
    draft = drafts.article_draft(live)
    url = f"/admin/articles/article/{live.pk}/changes/{draft.pk}/publish/"
    refused = client.post(url, {"kind": "minor"}, follow=True).content.decode()
    assert "a medical reviewer has not approved its unpublished changes" in refused
    step(client, live, "submit")
    reviewers = signed_in(reviewer)
    # The reviewer reads the changes: on the form, in the preview and in the history.
    assert (
        "A correction under review."
        in reviewers.get(f"/admin/articles/article/{live.pk}/change/").content.decode()
    )
    assert reviewers.get("/articles/basket-trials/preview/").status_code == 200
    assert reviewers.get(f"/admin/articles/article/{live.pk}/history/").status_code == 200
    restore = f"/admin/articles/article/{live.pk}/history/{draft.pk}/restore/"
    assert reviewers.post(restore).status_code == 403
    assert (
        "A correction under review."
        not in Client().get("/articles/basket-trials/").content.decode()
    )
    step(reviewers, live, "approve")
    client.post(url, {"kind": "correction", "note": "A correction, reviewed."})
    assert "A correction under review." in Client().get("/articles/basket-trials/").content.decode()


def test_scheduling_needs_approval_and_an_edit_of_a_scheduled_article_unschedules_it(
    client, editor, reviewer, draft
):
    at = timezone.now() + timedelta(days=2)
    step(client, draft, "submit")
    step(signed_in(reviewer), draft, "approve")
    draft.refresh_from_db()
    services.article_publish(article=draft, at=at, by=editor)
    assert draft.status == Article.Status.SCHEDULED
    other = ArticleFactory(approved=True, status=Article.Status.DRAFT, published_at=None)
    services.article_publish(article=other, at=at, by=editor)  # scheduled too, and untouched
    scheduled_at = Article.objects.get(pk=draft.pk).updated_at
    response = save(client, draft, body=BODY + "\n\nEdited while scheduled.")
    draft.refresh_from_db()
    assert (draft.status, draft.published_at, draft.approval) == (Article.Status.DRAFT, None, None)
    assert draft.updated_at > scheduled_at
    assert Article.objects.get(pk=other.pk).status == Article.Status.SCHEDULED
    assert history_of(draft)[0].note == "Schedule cancelled: its content changed after approval"
    page = client.get(response["Location"]).content.decode()
    assert (
        "is no longer scheduled: its content changed after a medical reviewer approved it" in page
    )


def test_restoring_another_text_into_a_scheduled_article_unschedules_it(
    client, editor, reviewer, draft
):
    first = history_of(draft)[-1]
    step(client, draft, "submit")
    step(signed_in(reviewer), draft, "approve")
    draft.refresh_from_db()
    services.article_publish(article=draft, at=timezone.now() + timedelta(days=1), by=editor)
    url = f"/admin/articles/article/{draft.pk}/history/{first.pk}/restore/"
    page = client.post(url, follow=True).content.decode()
    assert "is no longer scheduled: its content is not the one a medical reviewer approved" in page
    draft.refresh_from_db()
    assert (draft.status, draft.published_at) == (Article.Status.DRAFT, None)


def test_the_schedule_takes_off_a_due_article_whose_content_was_never_approved():
    approved = ArticleFactory(
        status=Article.Status.SCHEDULED,
        published_at=timezone.now() - timedelta(minutes=1),
        approved=True,
    )
    unseen = ArticleFactory(
        status=Article.Status.SCHEDULED, published_at=timezone.now() - timedelta(minutes=1)
    )
    assert services.publish_due_articles() == [approved.pk]
    unseen.refresh_from_db()
    assert (unseen.status, unseen.published_at) == (Article.Status.DRAFT, None)
    assert Client().get(unseen.get_absolute_url()).status_code == 404


# Shown in the admin, at a flat cost ----------------------------------------------------------
def test_the_list_shows_and_filters_by_review_state(client, reviewer, draft):
    step(client, draft, "submit")
    ArticleFactory(title="Untouched live article")
    listing = client.get("/admin/articles/article/").content.decode()
    assert "column-review_state" in listing
    assert "In review" in listing
    waiting = client.get("/admin/articles/article/?review=submitted").content.decode()
    assert "Basket trials" in waiting
    assert "Untouched live article" not in waiting


@pytest.mark.cost
def test_the_change_form_costs_the_same_with_many_review_steps(client, editor, draft):
    url = f"/admin/articles/article/{draft.pk}/change/"
    step(client, draft, "submit")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(15):
        step(client, draft, "withdraw")
        step(client, draft, "submit", note="Again.")
    with CaptureQueriesContext(connection) as many:
        page = client.get(url).content.decode()
    assert len(many) <= len(few)
    assert page.count("Again.") == 10  # the newest 20 steps: 10 submissions, 10 withdrawals


def test_medical_reviewers_hold_only_reading_and_the_review_permission(staff_groups):
    held = set(staff_groups["Medical reviewers"].permissions.values_list("codename", flat=True))
    assert held == {
        "view_article",
        "view_faqentry",
        "view_reference",
        "view_topic",
        "view_contributor",
        "view_trial",  # the trials and references the articles cite (evidence), read only
        "view_trialchange",
        "view_finding",
        "view_referencecheck",
        "review_article",
    }
    assert not Permission.objects.filter(
        group__name__in=["Editors", "Moderators"], codename="review_article"
    ).exists()
