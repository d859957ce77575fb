"""What subscribers meet on the site: their subscription recognised, their choices editable
from the account settings, and confirmation pages that lead back to where they were."""

import re
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from newsletter.models import Subscriber
from tests.factories import ArticleFactory, TopicFactory, UserFactory

pytestmark = pytest.mark.django_db


def subscribed(user, **fields) -> Subscriber:
    subscriber = Subscriber.objects.create(email=user.email, user=user, status="active", **fields)
    return subscriber


def test_a_subscribed_reader_sees_manage_on_the_article_and_in_the_footer_at_no_extra_cost(
    client, django_assert_num_queries
):
    article = ArticleFactory(topics=[TopicFactory(), TopicFactory()])
    client.force_login(UserFactory())
    with CaptureQueriesContext(connection) as not_subscribed:
        page = client.get(article.get_absolute_url()).content.decode()
    assert page.count('action="/newsletter/"') == 2

    reader = UserFactory()
    subscriber = subscribed(reader)
    subscriber.topics.set([TopicFactory(), TopicFactory(), TopicFactory()])
    client.force_login(reader)
    with django_assert_num_queries(len(not_subscribed)):
        page = client.get(article.get_absolute_url()).content.decode()
    manage = (
        'You get the weekly digest · <a href="/accounts/settings/#newsletter-settings">Manage</a>'
    )
    assert page.count(manage) == 2
    assert 'action="/newsletter/"' not in page


def test_the_settings_page_changes_frequency_and_topics_not_only_unsubscribes(client):
    biomarker, therapy = TopicFactory(name="NRG1 fusions"), TopicFactory(name="Targeted therapy")
    reader = UserFactory()
    subscriber = subscribed(reader)
    client.force_login(reader)
    page = client.get("/accounts/settings/").content.decode()
    assert "Save newsletter choices" in page
    assert f'name="topics" value="{biomarker.pk}"' in page
    response = client.post(
        "/newsletter/account/",
        {"action": "update", "frequency": "each", "topics": [biomarker.pk, therapy.pk]},
    )
    assert response["Location"] == "/accounts/settings/"
    subscriber.refresh_from_db()
    assert subscriber.frequency == "each"
    assert set(subscriber.topics.all()) == {biomarker, therapy}
    assert subscriber.status == "active"
    page = client.get("/accounts/settings/").content.decode()
    assert "an email for each new article" in page
    assert re.search(rf'value="{biomarker.pk}"[^>]*checked', page)


@pytest.mark.django_db(transaction=True)
def test_signing_up_on_an_article_leads_back_to_it_after_confirming(
    client, smtp_server, celery_worker
):
    article = ArticleFactory()
    path = article.get_absolute_url()
    form = client.get(path).content.decode()
    assert f'name="next" value="{path}"' in form
    response = client.post(
        "/newsletter/",
        {"email": "reader@example.org", "frequency": "weekly", "source": "article", "next": path},
    )
    assert response["Location"] == f"/newsletter/check-your-inbox/?next={quote(path, safe='')}"
    inbox = client.get(response["Location"]).content.decode()
    assert f'<a href="{path}">Back to where you were</a>' in inbox
    body = smtp_server.wait_for_message("reader@example.org").get_body(("plain",)).get_content()
    link = re.search(r"http://testserver(/newsletter/confirm/\S+)", body).group(1)
    assert link.endswith(f"?next={quote(path, safe='')}")  # the page, and nothing about the reader
    assert "reader" not in link
    assert client.get(link).status_code == 200
    confirmed = client.post(link).content.decode()
    assert "You’re subscribed" in confirmed
    assert f'<a href="{path}">Back to where you were</a>' in confirmed


@pytest.mark.parametrize("forged", ["https://evil.example/", "//evil.example/x", "javascript:x"])
def test_a_return_path_to_another_site_is_dropped(client, forged):
    response = client.post(
        "/newsletter/", {"email": "r@example.org", "frequency": "weekly", "next": forged}
    )
    assert response["Location"] == "/newsletter/check-your-inbox/"
    page = client.get(f"/newsletter/check-your-inbox/?next={quote(forged)}").content.decode()
    assert "Back to where you were" not in page
