"""The publish service's rules, each with a neighbour that must stay as it was.

Written from the mutation run's survivors in articles/services.py: a rule that forgot which
article it acts on, the exact boundary of "now", who asked, and what the history says.
"""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from articles import services
from articles.models import Article
from articles.revisions import article_revision_list
from tests.factories import ArticleFactory, UserFactory

pytestmark = pytest.mark.django_db


def _draft(**fields) -> Article:
    """A draft whose content a medical reviewer approved: publishing it is up to these rules."""
    return ArticleFactory(
        status=Article.Status.DRAFT, published_at=None, **{"approved": True, **fields}
    )


def _notes(article: Article) -> list[str]:
    """The article's history as editors read it, oldest first."""
    return [r.revision.comment for r in reversed(article_revision_list(article))]


@pytest.fixture
def publisher(staff_groups):
    user = UserFactory(is_staff=True)
    user.groups.add(staff_groups["Editors"])
    return user


def test_publishing_one_draft_leaves_the_other_drafts_unpublished():
    chosen, other = _draft(), _draft()
    services.article_publish(article=chosen)
    other.refresh_from_db()
    assert (other.status, other.published_at) == (Article.Status.DRAFT, None)
    assert list(Article.objects.published()) == [chosen]


def test_scheduling_one_draft_leaves_the_other_drafts_alone():
    chosen, other = _draft(), _draft()
    services.article_publish(article=chosen, at=timezone.now() + timedelta(days=1))
    other.refresh_from_db()
    assert (other.status, other.published_at) == (Article.Status.DRAFT, None)


def test_filing_one_draft_for_review_leaves_the_other_drafts_as_drafts():
    chosen, other = _draft(), _draft()
    services.article_status_change(article=chosen, status=Article.Status.IN_REVIEW)
    chosen.refresh_from_db()
    other.refresh_from_db()
    assert chosen.status == Article.Status.IN_REVIEW
    assert other.status == Article.Status.DRAFT
    assert _notes(chosen) == ["Submitted for review"]
    assert _notes(other) == []


def test_unpublishing_one_article_leaves_the_others_live():
    chosen, other = ArticleFactory(), ArticleFactory()
    services.article_status_change(article=chosen, status=Article.Status.DRAFT)
    other.refresh_from_db()
    assert other.is_public
    assert list(Article.objects.published()) == [other]
    assert _notes(chosen) == ["Unpublished"]


def test_a_publication_time_of_exactly_now_publishes_rather_than_schedules():
    moment = timezone.now().replace(microsecond=0)
    article = _draft()
    with time_machine.travel(moment, tick=False):
        services.article_publish(article=article, at=moment)
    assert (article.status, article.published_at) == (Article.Status.PUBLISHED, moment)
    assert _notes(article) == ["Published"]


def test_a_live_article_given_exactly_now_as_its_time_takes_it_and_stays_live():
    moment = timezone.now().replace(microsecond=0)
    article = ArticleFactory(published_at=moment - timedelta(days=3))
    with time_machine.travel(moment, tick=False):
        services.article_publish(article=article, at=moment)
    assert (article.status, article.published_at) == (Article.Status.PUBLISHED, moment)
    assert article.is_public


def test_choosing_published_in_the_form_needs_the_publish_right(writer):
    draft = _draft()
    with pytest.raises(services.PublishError, match="only editors who may publish"):
        services.article_status_change(article=draft, status=Article.Status.PUBLISHED, by=writer)
    with pytest.raises(services.PublishError, match="only editors who may publish"):
        services.article_status_change(
            article=draft,
            status=Article.Status.SCHEDULED,
            at=timezone.now() + timedelta(days=1),
            by=writer,
        )
    draft.refresh_from_db()
    assert (draft.status, draft.published_at) == (Article.Status.DRAFT, None)
    assert _notes(draft) == []


def test_the_history_names_who_chose_published_in_the_form(publisher):
    draft = _draft()
    services.article_status_change(article=draft, status=Article.Status.PUBLISHED, by=publisher)
    newest = article_revision_list(draft).first()
    assert newest.revision.user == publisher
    assert newest.revision.comment == "Published"


def test_every_change_of_state_dates_the_article_as_changed():
    start = timezone.now().replace(microsecond=0)
    article = _draft()
    steps = [
        lambda: services.article_publish(article=article),
        lambda: services.article_unpublish(article=article),
        lambda: services.article_status_change(article=article, status=Article.Status.IN_REVIEW),
        lambda: services.article_status_change(article=article, status=Article.Status.DRAFT),
    ]
    for hours, step in enumerate(steps, start=1):
        moment = start + timedelta(hours=hours)
        with time_machine.travel(moment, tick=False):
            step()
        article.refresh_from_db()
        assert article.updated_at == moment, hours


def test_one_refused_due_article_does_not_stop_the_schedule_publishing_the_rest():
    now = timezone.now()
    first = ArticleFactory(
        status=Article.Status.SCHEDULED, published_at=now - timedelta(minutes=1), approved=True
    )
    empty = ArticleFactory(
        status=Article.Status.SCHEDULED, published_at=now - timedelta(minutes=2), body=" "
    )
    last = ArticleFactory(
        status=Article.Status.SCHEDULED, published_at=now - timedelta(minutes=3), approved=True
    )
    assert sorted(services.publish_due_articles()) == sorted([first.pk, last.pk])
    for article in (first, empty, last):
        article.refresh_from_db()
    assert first.status == last.status == Article.Status.PUBLISHED
    assert empty.status == Article.Status.SCHEDULED  # left for an editor, not dropped
    assert _notes(first) == ["Published by the schedule"]
    assert _notes(empty) == []


def test_an_editor_publishing_a_due_article_is_named_in_its_history(publisher):
    article = ArticleFactory(
        status=Article.Status.SCHEDULED,
        published_at=timezone.now() - timedelta(minutes=5),
        approved=True,
    )
    services.article_publish(article=article, by=publisher)
    assert article.status == Article.Status.PUBLISHED
    assert _notes(article) == ["Published as scheduled"]
    assert article_revision_list(article).first().revision.user == publisher


def test_the_history_says_what_a_publication_did():
    moment = timezone.now().replace(microsecond=0)
    backdated, later, live = _draft(), _draft(), ArticleFactory()
    with time_machine.travel(moment, tick=False):
        services.article_publish(article=backdated, at=moment - timedelta(days=2))
        services.article_publish(article=later, at=moment + timedelta(days=2))
        services.article_publish(article=live, at=moment - timedelta(days=5))
    from articles.revisions import when

    assert _notes(backdated) == [f"Published, dated {when(moment - timedelta(days=2))}"]
    assert _notes(later) == [f"Scheduled for {when(moment + timedelta(days=2))}"]
    assert _notes(live) == [f"Publication time set to {when(moment - timedelta(days=5))}"]
    assert (later.status, later.published_at) == (
        Article.Status.SCHEDULED,
        moment + timedelta(days=2),
    )


def test_a_new_article_saved_without_an_author_is_by_the_editor_who_saved_it(publisher):
    article = Article(title="Untitled yet", slug="untitled-yet", body="Text.", author=None)
    services.article_edit_save(article=article, by=publisher, created=True)
    article.refresh_from_db()
    assert article.author == publisher
    assert (article.status, article.published_at) == (Article.Status.DRAFT, None)


def test_an_edit_keeps_the_author_named_and_never_the_publication_state(publisher):
    author = UserFactory(is_staff=True)
    article = ArticleFactory(author=author)
    stale = Article.objects.get(pk=article.pk)
    stale.title = "A corrected title"
    stale.status, stale.published_at = Article.Status.DRAFT, None  # what a stale form might say
    services.article_edit_save(article=stale, by=publisher, created=False)
    article.refresh_from_db()
    assert article.author == author
    assert article.title == "A corrected title"
    assert article.is_public
    assert (stale.status, stale.published_at) == (article.status, article.published_at)


def test_the_refusals_tell_the_editor_what_happened_in_full_sentences(writer):
    draft = _draft(title="Embargoed approval")
    with pytest.raises(services.PublishError) as refusal:
        services.article_publish(article=draft, by=writer)
    assert str(refusal.value) == (
        "Your edits are saved, but only editors who may publish can publish, schedule or "
        "unpublish an article; its publication is unchanged."
    )
    stale = Article.objects.get(pk=draft.pk)
    services.article_publish(article=draft)
    with pytest.raises(services.PublishError) as moved:
        services.article_publish(article=stale, at=timezone.now() + timedelta(days=1))
    assert str(moved.value) == (
        "“Embargoed approval” was changed by someone else meanwhile (it is now published); "
        "nothing was done. Reload it and try again."
    )


def test_taking_a_scheduled_article_off_the_schedule_says_so_and_names_who(publisher):
    later = ArticleFactory(
        status=Article.Status.SCHEDULED, published_at=timezone.now() + timedelta(1)
    )
    services.article_status_change(article=later, status=Article.Status.IN_REVIEW, by=publisher)
    newest = article_revision_list(later).first()
    assert newest.revision.comment == "Schedule cancelled, submitted for review"
    assert newest.revision.user == publisher
    assert (later.status, later.published_at) == (Article.Status.IN_REVIEW, None)


def test_publishing_a_scheduled_article_now_is_a_publication_not_the_schedule(publisher):
    later = ArticleFactory(
        status=Article.Status.SCHEDULED, published_at=timezone.now() + timedelta(1), approved=True
    )
    services.article_publish(article=later, by=publisher)
    assert later.status == Article.Status.PUBLISHED
    assert _notes(later) == ["Published"]


def test_unpublishing_names_who_did_it_and_what_it_did(publisher):
    live = ArticleFactory()
    later = ArticleFactory(
        status=Article.Status.SCHEDULED, published_at=timezone.now() + timedelta(1)
    )
    services.article_unpublish(article=live, by=publisher)
    services.article_unpublish(article=later, by=publisher)
    assert _notes(live) == ["Unpublished"]
    assert _notes(later) == ["Schedule cancelled"]
    assert article_revision_list(live).first().revision.user == publisher
