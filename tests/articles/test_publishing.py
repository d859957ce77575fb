from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from articles import services
from articles.models import Article
from articles.tasks import publish_due_articles
from tests.conftest import wait_for
from tests.factories import ArticleFactory

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
    article = ArticleFactory(status=Article.Status.DRAFT, published_at=None)
    services.article_publish(article=article)
    assert article.status == Article.Status.PUBLISHED
    assert article.is_public
    assert abs((timezone.now() - article.published_at).total_seconds()) < 5


def test_publishing_twice_keeps_the_first_publication_time():
    article = ArticleFactory(status=Article.Status.DRAFT, published_at=None)
    first = services.article_publish(article=article).published_at
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        services.article_publish(article=article)
    article.refresh_from_db()
    assert article.published_at == first


def test_a_future_time_schedules_and_the_article_stays_hidden_until_then():
    article = ArticleFactory(status=Article.Status.DRAFT, published_at=None)
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
    article = ArticleFactory(status=Article.Status.DRAFT, published_at=None)
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
