"""What an edition links to and says: only public articles, and its intro rendered, not raw."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from articles.models import Article
from newsletter import delivery, ledger, services
from newsletter.models import Edition, Subscriber
from tests.factories import ArticleFactory
from tests.newsletter.mailings import sending, subscribers

pytestmark = pytest.mark.django_db

INTRO = (
    "## What changed this week\n\n"
    "The **FDA** approved *zenocutuzumab* for [NRG1 fusions](https://www.fda.gov/drugs).\n\n"
    "- one trial\n- one label"
)


@pytest.fixture
def readers():
    return Subscriber.objects.bulk_create(
        Subscriber(email=f"r{n}@example.org", status="active") for n in range(3)
    )


def an_edition(*articles: Article, **fields) -> Edition:
    edition = Edition.objects.create(subject="Fusions, week 49", intro="Hello", **fields)
    edition.featured.add(*articles)
    return edition


def later(hours: int = 2):
    return timezone.now() + timedelta(hours=hours)


# --- 3. Featured articles must be public --------------------------------------------------
def test_the_edition_page_and_the_send_page_show_each_featured_article_status(admin_client):
    mailing = an_edition(
        ArticleFactory(title="Live one"),
        ArticleFactory(title="Draft one", status=Article.Status.DRAFT, published_at=None),
        ArticleFactory(title="Later one", status=Article.Status.SCHEDULED, published_at=later()),
    )
    page = admin_client.get(f"/admin/newsletter/edition/{mailing.pk}/change/").content.decode()
    text = re.sub(r"<[^>]+>", "", page)
    assert "Live one · public" in text
    assert "Draft one · not public: draft" in text
    assert "Later one · not public yet: scheduled for" in text
    confirm = admin_client.get(f"/admin/newsletter/edition/{mailing.pk}/send/").content.decode()
    assert "Draft one · not public: draft" in re.sub(r"<[^>]+>", "", confirm)
    assert 'name="confirm"' not in confirm  # no button that could only be refused


def test_sending_from_the_edition_page_is_refused_while_an_article_is_a_draft(
    admin_client, readers
):
    mailing = an_edition(
        ArticleFactory(), ArticleFactory(title="Half written", status="draft", published_at=None)
    )
    response = admin_client.post(
        f"/admin/newsletter/edition/{mailing.pk}/send/", {"confirm": "1"}, follow=True
    )
    assert "was not sent: it features “Half written” (draft)" in response.content.decode()
    mailing.refresh_from_db()
    assert mailing.status == Edition.Status.DRAFT
    assert not mailing.deliveries.exists()


def test_the_send_action_refuses_an_edition_featuring_a_scheduled_article(admin_client, readers):
    mailing = an_edition(
        ArticleFactory(title="Embargoed", status="scheduled", published_at=later())
    )
    fine = an_edition(ArticleFactory(title="Out already"))
    base = {"action": "send_now", "_selected_action": [mailing.pk, fine.pk], "confirm": "1"}
    response = admin_client.post("/admin/newsletter/edition/", base, follow=True)
    assert "it features “Embargoed” (scheduled)" in response.content.decode()
    assert Edition.objects.get(pk=mailing.pk).status == Edition.Status.DRAFT
    assert not Edition.objects.get(pk=mailing.pk).deliveries.exists()
    assert Edition.objects.get(pk=fine.pk).status == Edition.Status.SENDING


@pytest.mark.django_db(transaction=True)
def test_a_scheduled_edition_waits_for_its_articles_and_goes_once_they_are_public(
    admin_client, admin_user, readers, smtp_server, celery_worker
):
    article = ArticleFactory(title="Embargoed", status="scheduled", published_at=later(3))
    mailing = an_edition(article)
    when = timezone.localtime() + timedelta(hours=1)
    schedule = admin_client.post(
        f"/admin/newsletter/edition/{mailing.pk}/schedule/",
        {"publish_at": when.strftime("%Y-%m-%dT%H:%M")},
        follow=True,
    )
    assert "“Embargoed” will not be public by then" in schedule.content.decode()
    with time_machine.travel(when + timedelta(minutes=1), tick=True):
        assert services.scheduled_editions_send() == []
        assert services.scheduled_editions_send() == []  # a second beat tells nobody again
        mailing.refresh_from_db()
        assert mailing.status == Edition.Status.SCHEDULED
        assert not mailing.deliveries.exists()
        page = admin_client.get(f"/admin/newsletter/edition/{mailing.pk}/change/")
        assert "Waiting for “Embargoed” to be public" in page.content.decode()
    notice = smtp_server.wait_for_message(admin_user.email)
    assert notice["Subject"] == "[Driverline] Not sent yet: Fusions, week 49"
    notice_text = notice.get_body(preferencelist=("plain",)).get_content()
    assert "Nothing has been sent" in notice_text
    assert "Waiting for “Embargoed” to be public" in notice_text  # the reason, named
    with time_machine.travel(later(4), tick=True):
        assert services.scheduled_editions_send() == [mailing.pk]
    assert Edition.objects.get(pk=mailing.pk).deliveries.count() == 3
    assert len(smtp_server.to(admin_user.email)) == 1


# --- 4. The intro is Markdown, rendered ---------------------------------------------------
def test_the_intro_reaches_readers_as_html_and_as_clean_plain_text(smtp_server, client, readers):
    mailing = an_edition(ArticleFactory(title="Basket trials explained"))
    Edition.objects.filter(pk=mailing.pk).update(intro=INTRO)
    ledger.deliveries_create(edition=mailing)
    Edition.objects.filter(pk=mailing.pk).update(status="sending", started_at=timezone.now())
    delivery.send_batch(edition_id=mailing.pk)
    message = smtp_server.wait_for_message("r0@example.org")
    html = message.get_body(preferencelist=("html",)).get_content()
    text = message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    assert re.search(r"<h2 [^>]*style=\"[^\"]*font-size[^>]*>What changed this week</h2>", html)
    assert "<strong>FDA</strong>" in html
    assert "##" not in html
    assert "\nWhat changed this week\n" in text
    assert "The FDA approved zenocutuzumab for NRG1 fusions (https://www.fda.gov/drugs)." in text
    assert "- one trial\n- one label" in text
    for mark in ("##", "**", "*zen", "]("):
        assert mark not in text
    archive = client.get(f"/newsletter/archive/{mailing.pk}/").content.decode()
    assert re.search(r"<h2[^>]*>What changed this week</h2>", archive)
    assert "##" not in archive


@pytest.mark.django_db
def test_each_article_in_the_mail_has_a_read_link_and_its_reading_time(smtp_server):
    subscribers(1)
    mailing = Edition.objects.create(subject="Week 49", intro="Two reads.")
    article = ArticleFactory(title="Basket trials explained", slug="basket-trials")
    Article.objects.filter(pk=article.pk).update(reading_minutes=7)
    mailing.featured.add(article)
    sending(mailing)
    delivery.send_batch(edition_id=mailing.pk)

    message = smtp_server.wait_for_message("s0@example.org")
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Read (7 min): http://testserver/articles/basket-trials/" in text
    read = re.search(
        r'<a href="http://testserver/articles/basket-trials/"[^>]*>Read the article</a> · 7 min read',
        html,
    )
    assert read, html
