import threading
from datetime import timedelta

import pytest
import time_machine
from celery.signals import task_postrun
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from articles import services
from articles.models import Article
from articles.tasks import publish_due_articles
from tests.conftest import wait_for
from tests.factories import ArticleFactory, TopicFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_published_means_public_status_and_time_passed():
    now = timezone.now()
    live = ArticleFactory()
    ArticleFactory(status=Article.Status.DRAFT, published_at=None)
    ArticleFactory(status=Article.Status.IN_REVIEW, published_at=None)
    ArticleFactory(status=Article.Status.SCHEDULED, published_at=now + timedelta(hours=1))
    due = ArticleFactory(status=Article.Status.SCHEDULED, published_at=now - timedelta(minutes=1))
    assert set(Article.objects.published()) == {live, due}


def test_publishing_a_draft_makes_it_live_now():
    article = ArticleFactory(status=Article.Status.DRAFT, published_at=None, approved=True)
    services.article_publish(article=article)
    assert article.status == Article.Status.PUBLISHED
    assert article.is_public
    assert abs((timezone.now() - article.published_at).total_seconds()) < 5


def test_publishing_twice_keeps_the_first_publication_time():
    article = ArticleFactory(status=Article.Status.DRAFT, published_at=None, approved=True)
    first = services.article_publish(article=article).published_at
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        services.article_publish(article=article)
    article.refresh_from_db()
    assert article.published_at == first


def test_a_future_time_schedules_and_the_article_stays_hidden_until_then():
    article = ArticleFactory(status=Article.Status.DRAFT, published_at=None, approved=True)
    when = timezone.now() + timedelta(hours=3)
    services.article_publish(article=article, at=when)
    assert article.status == Article.Status.SCHEDULED
    assert article not in Article.objects.published()
    with time_machine.travel(when + timedelta(seconds=1)):
        assert article in Article.objects.published()


def test_unpublishing_takes_the_article_off_the_site():
    article = ArticleFactory()
    services.article_unpublish(article=article)
    assert article.status == Article.Status.DRAFT
    assert not Article.objects.published().filter(pk=article.pk).exists()


def test_publishing_needs_a_body():
    article = ArticleFactory(status=Article.Status.DRAFT, published_at=None, body=" ")
    with pytest.raises(services.PublishError):
        services.article_publish(article=article)


@pytest.mark.django_db(transaction=True)
def test_scheduled_article_is_published_by_the_periodic_task_on_a_real_worker(
    celery_worker, client
):
    start = timezone.now()
    article = ArticleFactory(status=Article.Status.DRAFT, published_at=None, approved=True)
    services.article_publish(article=article, at=start + timedelta(hours=2))
    assert client.get(article.get_absolute_url()).status_code == 404

    with time_machine.travel(start + timedelta(hours=2, minutes=1), tick=True):
        publish_due_articles.delay()
        wait_for(
            lambda: Article.objects.get(pk=article.pk).status == Article.Status.PUBLISHED,
            message="the worker did not publish the scheduled article",
        )
        response = client.get(article.get_absolute_url())
        assert response.status_code == 200
        assert article.title in response.content.decode()
    article.refresh_from_db()
    assert article.published_at == start + timedelta(hours=2)  # the scheduled time, not the run


def _due_article(**fields) -> Article:
    """Scheduled, with its time come a minute ago: public, and in the schedule's due list.
    Its content was approved before it was scheduled."""
    return ArticleFactory(
        status=Article.Status.SCHEDULED,
        published_at=timezone.now() - timedelta(minutes=1),
        **{"approved": True, **fields},
    )


def test_is_public_means_what_published_means_for_every_status_and_time():
    now = timezone.now()
    for status in Article.Status.values:
        for when in (None, now - timedelta(minutes=1), now + timedelta(minutes=1)):
            if status in Article.PUBLIC_STATUSES and when is None:
                continue  # refused by the article_public_has_time constraint
            article = ArticleFactory(status=status, published_at=when)
            in_published = Article.objects.published().filter(pk=article.pk).exists()
            assert article.is_public == in_published, (status, when)


def test_a_due_list_read_before_an_editor_unpublished_publishes_nothing():
    article = _due_article()
    due_list = list(Article.objects.due())  # what the periodic task read a moment before
    services.article_unpublish(article=Article.objects.get(pk=article.pk))
    with pytest.raises(services.PublishError, match="changed by someone else"):
        services.article_publish(article=due_list[0])
    article.refresh_from_db()
    assert (article.status, article.published_at) == (Article.Status.DRAFT, None)


def test_a_due_list_read_before_an_editor_rescheduled_does_not_publish_early():
    article = _due_article()
    due_list = list(Article.objects.due())
    services.article_unpublish(article=article)
    later = timezone.now() + timedelta(days=1)
    services.article_publish(article=article, at=later)
    with pytest.raises(services.PublishError):
        services.article_publish(article=due_list[0])
    article.refresh_from_db()
    assert (article.status, article.published_at) == (Article.Status.SCHEDULED, later)
    assert not article.is_public


def test_the_schedule_records_a_due_article_and_skips_one_it_finds_changed():
    due = _due_article()
    assert services.publish_due_articles() == [due.pk]
    due.refresh_from_db()
    assert due.status == Article.Status.PUBLISHED
    assert services.publish_due_articles() == []


def test_a_scheduled_article_whose_time_has_come_cannot_be_moved_into_the_future():
    article = _due_article()
    was = article.published_at
    with pytest.raises(services.PublishError, match="already live"):
        services.article_publish(article=article, at=timezone.now() + timedelta(days=1))
    article.refresh_from_db()
    assert article.is_public
    assert article.published_at == was


def test_without_the_publish_right_nobody_changes_publication_state(staff_groups):
    writer = UserFactory(is_staff=True)
    writer.user_permissions.set(
        staff_groups["Editors"].permissions.exclude(codename="publish_article")
    )
    live = ArticleFactory()
    draft = ArticleFactory(status=Article.Status.DRAFT, published_at=None, approved=True)
    with pytest.raises(services.PublishError, match="only editors who may publish"):
        services.article_unpublish(article=live, by=writer)
    with pytest.raises(services.PublishError, match="only editors who may publish"):
        services.article_publish(article=draft, by=writer)
    with pytest.raises(services.PublishError, match="only editors who may publish"):
        services.article_status_change(article=live, status=Article.Status.DRAFT, by=writer)
    services.article_publish(article=live, by=writer)  # no change asked: nothing to refuse
    services.article_status_change(article=draft, status=Article.Status.IN_REVIEW, by=writer)
    live.refresh_from_db()
    assert live.is_public
    assert draft.status == Article.Status.IN_REVIEW


def _waiting_on_locks() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_stat_clear_snapshot()"
        )  # else the view is read once per transaction
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_the_periodic_task_on_a_worker_never_republishes_what_an_editor_unpublished_in_the_admin(
    celery_worker, staff_groups
):
    if connection.vendor != "postgresql":
        pytest.skip("the interleaving is made with PostgreSQL's row and table locks")
    editor = UserFactory(is_staff=True)
    editor.groups.add(staff_groups["Editors"])
    article = _due_article(topics=[TopicFactory()])
    editors_browser = Client()
    editors_browser.force_login(editor)
    change_url = f"/admin/articles/article/{article.pk}/change/"
    form = editors_browser.get(change_url).context["adminform"].form
    data = {
        **{name: form[name].value() for name in ("title", "slug", "kind", "standfirst", "body")},
        "topics": [topic.pk for topic in article.topics.all()],
        "status": "draft",  # the editor pulls it: a broken embargo
        "published_at": "",
        "author": editor.pk,
        "faqs-TOTAL_FORMS": "0",
        "faqs-INITIAL_FORMS": "0",
        "references-TOTAL_FORMS": "0",
        "references-INITIAL_FORMS": "0",
    }
    task_done = threading.Event()

    def on_task_done(sender=None, **kwargs):
        if sender.name == publish_due_articles.name:
            task_done.set()

    task_postrun.connect(on_task_done, weak=False)
    responses = []

    def editor_saves():
        try:
            responses.append(editors_browser.post(change_url, data))
        finally:
            connection.close()

    editor_thread = threading.Thread(target=editor_saves)
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                # The admin writes its history entry last in the save's transaction: held there,
                # the editor's unpublish is made but not committed, its row lock still held.
                cursor.execute("LOCK TABLE django_admin_log IN EXCLUSIVE MODE")
            editor_thread.start()
            wait_for(lambda: _waiting_on_locks() == 1, message="the editor's save never waited")
            publish_due_articles.delay()  # reads the article as still due, then waits for its row
            wait_for(lambda: _waiting_on_locks() == 2, message="the task never waited for the row")
        editor_thread.join(timeout=20)
        wait_for(task_done.is_set, message="the worker did not finish the periodic task")
    finally:
        task_postrun.disconnect(on_task_done)
    assert responses[0].status_code == 302
    article.refresh_from_db()
    assert (article.status, article.published_at) == (Article.Status.DRAFT, None)
    assert Client().get(article.get_absolute_url()).status_code == 404
