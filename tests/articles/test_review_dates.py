"""Review dates that come due (#14, point 6), through the services: each live article's next
review is 12 months after its last review unless an editor sets another; a new approval starts
the 12 months again; a medical reviewer who is not its author may confirm that a live article
still stands; the list of what is due. The admin, the page and the weekly mail are in
test_review_dates_pages.py."""

import importlib
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.apps import apps

from articles import drafts, review, review_due
from articles.models import Article, ArticleRevision, ReviewStep
from articles.review_dates import due_after, is_overdue, months_after, week_of
from articles.revisions import article_revision_save
from articles.services import article_publish, article_revision_publish, article_unpublish
from tests.factories import (
    ArticleFactory,
    ContributorFactory,
    ModeratorFactory,
    ReviewerFactory,
    UserFactory,
    approve,
)

pytestmark = pytest.mark.django_db

APPROVED_AT = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def utc(settings):
    settings.TIME_ZONE = "UTC"


@pytest.fixture
def editor(staff_groups):
    user = UserFactory(is_staff=True, email="eda@example.org")
    user.groups.add(staff_groups["Editors"])
    return user


@pytest.fixture
def reviewer(staff_groups):
    user = UserFactory(is_staff=True, email="rhea@example.org", display_name="Rhea Reviewer")
    user.groups.add(staff_groups["Medical reviewers"])
    return user


def published_with_approval(*, at=APPROVED_AT, reviewer=None, **fields) -> Article:
    """A draft approved at `at` and published then, through the services."""
    article = ArticleFactory(status=Article.Status.DRAFT, published_at=None, **fields)
    with time_machine.travel(at, tick=False):
        approve(article, reviewer=reviewer)
        article_publish(article=article)
    article.refresh_from_db()
    return article


def with_draft(
    article: Article, by, text="\n\nA new paragraph on the 2026 label."
) -> ArticleRevision:
    """Unpublished changes to the live article, as the admin leaves them: a draft revision,
    with the rows put back as readers see them."""
    original = article.body
    article.body = original + text
    article.save(update_fields=["body"])
    draft = article_revision_save(
        article=article, by=by, note="Changes", kind=ArticleRevision.Kind.DRAFT
    )
    Article.objects.filter(pk=article.pk).update(body=original)
    article.refresh_from_db()
    return draft


# --- The dates -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 3, 10), 12, date(2027, 3, 10)),
        (date(2028, 2, 29), 12, date(2029, 2, 28)),  # no 29 February next year
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),  # across the year
        (date(2026, 5, 15), 6, date(2026, 11, 15)),
    ],
)
def test_months_after_keeps_the_day_or_takes_the_months_last(day, months, expected):
    assert months_after(day, months) == expected


def test_the_interval_is_a_setting(settings):
    settings.ARTICLE_REVIEW_MONTHS = 6
    assert due_after(date(2026, 3, 10)) == date(2026, 9, 10)


def test_the_week_of_a_day_is_its_monday():
    assert [week_of(date(2026, 12, d)) for d in (6, 7, 8, 13, 14)] == [
        date(2026, 11, 30), date(2026, 12, 7), date(2026, 12, 7), date(2026, 12, 7),
        date(2026, 12, 14),
    ]  # fmt: skip


# --- Set by publication and by editors -------------------------------------------------------
def test_publishing_approved_content_sets_its_next_review_12_months_after_the_approval():
    article = published_with_approval()
    assert article.next_review == date(2027, 3, 10)
    assert not is_overdue(article, today=date(2027, 3, 10))
    assert is_overdue(article, today=date(2027, 3, 11))


def test_a_later_fact_check_by_the_editor_counts_as_the_last_review():
    article = published_with_approval(last_reviewed=date(2026, 4, 2))
    assert article.next_review == date(2027, 4, 2)
    earlier = published_with_approval(last_reviewed=date(2025, 1, 1))
    assert earlier.next_review == date(2027, 3, 10)  # the approval is later


def test_a_scheduled_article_keeps_the_date_its_approval_gave_when_it_goes_live():
    article = ArticleFactory(status=Article.Status.DRAFT, published_at=None)
    with time_machine.travel(APPROVED_AT, tick=False):
        approve(article)
        article_publish(article=article, at=APPROVED_AT + timedelta(days=20))
    article.refresh_from_db()
    assert (article.status, article.next_review) == (Article.Status.SCHEDULED, date(2027, 3, 10))
    article.next_review = date(2026, 9, 1)  # the editor's choice, while it waits
    article.save()
    with time_machine.travel(APPROVED_AT + timedelta(days=21), tick=False):
        from articles.services import publish_due_articles

        assert publish_due_articles() == [article.pk]
    article.refresh_from_db()
    assert (article.status, article.next_review) == (Article.Status.PUBLISHED, date(2026, 9, 1))


def test_an_editors_date_holds_and_clearing_it_brings_back_12_months_after_the_last_review():
    article = published_with_approval()
    article.next_review = date(2026, 9, 1)
    article.save()
    article.refresh_from_db()
    assert article.next_review == date(2026, 9, 1)
    article.next_review = None
    article.save()
    article.refresh_from_db()
    assert article.next_review == date(2027, 3, 10)


def test_an_article_never_reviewed_has_no_date_until_its_first_approval():
    article = ArticleFactory(status=Article.Status.DRAFT, published_at=None)
    assert article.next_review is None


def test_republishing_with_the_same_approval_keeps_the_editors_date(editor):
    article = published_with_approval()
    Article.objects.filter(pk=article.pk).update(next_review=date(2026, 8, 1))
    article.refresh_from_db()
    article_publish(article=article, at=article.published_at - timedelta(hours=1), by=editor)
    article.refresh_from_db()
    assert article.next_review == date(2026, 8, 1)


def test_publishing_reviewed_changes_starts_the_12_months_again_over_an_editors_date(editor):
    article = published_with_approval()
    Article.objects.filter(pk=article.pk).update(next_review=date(2026, 8, 1))
    with_draft(article, editor)
    later = datetime(2026, 6, 20, 12, 0, tzinfo=UTC)
    with time_machine.travel(later, tick=False):
        approve(article)
        draft = drafts.article_draft(article)
        article_revision_publish(article=article, revision=draft, by=editor, kind="minor")
    article.refresh_from_db()
    assert article.next_review == date(2027, 6, 20)


def test_the_next_review_is_not_content_changing_it_needs_no_review_and_no_revision():
    article = published_with_approval()
    before = list(article.revisions.values_list("pk", flat=True))
    article.next_review = date(2026, 6, 1)
    article.save()
    assert drafts.article_draft(article) is None  # no unpublished changes
    assert list(article.revisions.values_list("pk", flat=True)) == before
    assert "next_review" not in review.article_content(article).fields


def test_the_migration_dates_live_articles_from_their_last_review_else_their_publication():
    fact_checked = ArticleFactory(last_reviewed=date(2026, 2, 1))
    unreviewed = ArticleFactory(published_at=datetime(2025, 7, 4, 12, 0, tzinfo=UTC))
    draft = ArticleFactory(status=Article.Status.DRAFT, published_at=None)
    Article.objects.update(next_review=None)

    importlib.import_module("articles.migrations.0012_review_dates").fill_next_review(apps, None)

    dates = dict(Article.objects.values_list("pk", "next_review"))
    assert dates == {
        fact_checked.pk: date(2027, 2, 1),
        unreviewed.pk: date(2026, 7, 4),
        draft.pk: None,
    }


# --- What is due -----------------------------------------------------------------------------
def test_the_due_list_holds_live_articles_overdue_or_due_within_30_days_soonest_first():
    today = date(2026, 12, 4)
    with time_machine.travel(datetime(2026, 12, 4, 12, 0, tzinfo=UTC), tick=False):
        overdue = ArticleFactory(next_review=today - timedelta(days=40))
        soon = ArticleFactory(next_review=today + timedelta(days=30))
        ArticleFactory(next_review=today + timedelta(days=31))  # later
        ArticleFactory(status=Article.Status.DRAFT, published_at=None, next_review=today)
        scheduled = ArticleFactory(
            status=Article.Status.SCHEDULED,
            published_at=datetime(2027, 1, 1, tzinfo=UTC),
            next_review=today,
        )
        due = list(review_due.reviews_due())
    assert due == [overdue, soon]
    assert scheduled not in due  # not live yet


def test_the_coming_weeks_are_a_setting(settings):
    settings.ARTICLE_REVIEW_DUE_SOON_DAYS = 7
    today = date(2026, 12, 4)
    ArticleFactory(next_review=today + timedelta(days=8))
    assert not review_due.reviews_due(today).exists()


# --- Confirming a review ---------------------------------------------------------------------
def test_a_reviewer_confirms_a_live_article_still_stands_and_its_review_is_new(reviewer):
    article = published_with_approval()
    with time_machine.travel(datetime(2027, 3, 20, 8, 0, tzinfo=UTC), tick=False):
        step = review_due.article_review_confirm(article=article, by=reviewer, note=" Label same. ")
    article.refresh_from_db()
    assert (step.action, step.by, step.note) == (
        ReviewStep.Action.APPROVED,
        reviewer,
        "Label same.",
    )
    assert article.approval == step
    assert article.next_review == date(2028, 3, 20)
    assert step.content_digest == review.article_content(article).digest()
    assert review.content_approval(article, step.content_digest) == step


def test_a_confirmation_without_a_note_says_what_it_was(reviewer):
    article = published_with_approval()
    step = review_due.article_review_confirm(article=article, by=reviewer)
    assert step.note == review_due.CONFIRMED_NOTE


def test_a_confirmation_leaves_the_text_and_the_unpublished_changes_alone(reviewer, editor):
    article = published_with_approval()
    draft = with_draft(article, editor)
    body = article.body
    review_due.article_review_confirm(article=article, by=reviewer)
    article.refresh_from_db()
    assert article.body == body
    assert drafts.article_draft(article) == draft
    assert review.article_review(article).state == review.State.DRAFT  # its own review


@pytest.mark.parametrize("who", ["editor", "moderator", "reader", "site"])
def test_only_a_medical_reviewer_may_confirm_a_review(who, editor):
    article = published_with_approval()
    by = {
        "editor": editor,
        "moderator": ModeratorFactory(),
        "reader": UserFactory(),
        "site": None,
    }[who]
    with pytest.raises(review.ReviewForbidden):
        review_due.article_review_confirm(article=article, by=by)
    article.refresh_from_db()
    assert article.next_review == date(2027, 3, 10)
    assert ReviewStep.objects.filter(article=article).count() == 2  # submitted, approved


def test_the_articles_author_may_not_confirm_its_review(reviewer):
    article = published_with_approval(author=reviewer)
    with pytest.raises(review.ReviewError, match="another medical reviewer"):
        review_due.article_review_confirm(article=article, by=reviewer)
    named = published_with_approval(authors=[ContributorFactory(user=reviewer)])
    with pytest.raises(review.ReviewError, match="another medical reviewer"):
        review_due.article_review_confirm(article=named, by=reviewer)
    assert review_due.article_review_confirm(article=article, by=ReviewerFactory())


def test_an_article_off_the_site_is_not_confirmed_but_submitted(reviewer):
    article = published_with_approval()
    article_unpublish(article=article)
    with pytest.raises(review.ReviewError, match="not live"):
        review_due.article_review_confirm(article=article, by=reviewer)


def test_the_next_review_counts_from_the_approval_not_from_the_publication():
    article = ArticleFactory(status=Article.Status.DRAFT, published_at=None)
    with time_machine.travel(APPROVED_AT, tick=False):
        approve(article)
    with time_machine.travel(APPROVED_AT + timedelta(days=45), tick=False):
        article_publish(article=article)
    article.refresh_from_db()
    assert article.next_review == date(2027, 3, 10)


def test_the_due_list_counts_from_the_day_it_is_asked_for():
    with time_machine.travel(datetime(2026, 12, 4, 12, 0, tzinfo=UTC), tick=False):
        ArticleFactory(next_review=date(2027, 1, 20))
        assert not review_due.reviews_due().exists()
        assert review_due.reviews_due(date(2026, 12, 25)).exists()


def test_the_due_list_is_soonest_first_whatever_the_order_of_creation():
    later = ArticleFactory(next_review=date(2026, 12, 20))
    sooner = ArticleFactory(next_review=date(2026, 12, 10))
    same_day = ArticleFactory(next_review=date(2026, 12, 10))
    assert list(review_due.reviews_due(date(2026, 12, 4))) == [sooner, same_day, later]


def test_a_confirmation_holds_the_live_revision_and_keeps_a_long_note_to_5000_characters(
    reviewer,
):
    article = published_with_approval()
    live = drafts.live_revision(article, live=review.article_content(article))
    step = review_due.article_review_confirm(article=article, by=reviewer, note="x" * 6000)
    assert step.revision == live is not None
    assert step.note == "x" * 5000


def test_refusals_of_a_confirmation_say_why(reviewer, editor):
    article = published_with_approval()
    with pytest.raises(review.ReviewForbidden, match=r"^Only medical reviewers can confirm"):
        review_due.article_review_confirm(article=article, by=editor)
    article_unpublish(article=article)
    with pytest.raises(review.ReviewError, match=r"Submit it for review instead\.$"):
        review_due.article_review_confirm(article=article, by=reviewer)


def test_a_reviewer_named_on_another_article_may_confirm_this_one(reviewer):
    published_with_approval(authors=[ContributorFactory(user=reviewer)])
    article = published_with_approval(authors=[ContributorFactory()])
    assert review_due.article_review_confirm(article=article, by=reviewer).by == reviewer
