import re

import pytest
from django.test import Client

from newsletter import tokens
from newsletter.models import Subscriber
from tests.conftest import wait_for
from tests.factories import ArticleFactory, TopicFactory


def subscribe(client, email="reader@example.org", **extra):
    data = {"email": email, "frequency": "weekly", "source": "footer", **extra}
    return client.post("/newsletter/", data)


def confirm_link(message) -> str:
    body = message.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"http://testserver(/newsletter/confirm/\S+/)", body).group(1)


@pytest.mark.django_db(transaction=True)
def test_double_opt_in_from_signup_to_confirmed_consent(
    client, smtp_server, celery_worker, settings
):
    topic = TopicFactory(name="NRG1 fusion")
    response = subscribe(client, topics=[topic.pk], source="article")
    assert response["Location"] == "/newsletter/check-your-inbox/"
    subscriber = Subscriber.objects.get()
    assert subscriber.status == Subscriber.Status.PENDING

    message = smtp_server.wait_for_message("reader@example.org")
    assert "Confirm your subscription" in message["Subject"]
    assert message["From"] == settings.DEFAULT_FROM_EMAIL  # not the newsletter's sender
    assert "List-Unsubscribe" not in message
    assert "List-Id" not in message
    assert message.get_body(preferencelist=("html",)) is not None
    link = confirm_link(message)

    page = client.get(link)  # a scanner following the link confirms nothing
    assert "Confirm my subscription" in page.content.decode()
    assert Subscriber.objects.get().status == Subscriber.Status.PENDING
    assert "You’re subscribed" in client.post(link).content.decode()
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE
    assert subscriber.consent_source == "article"
    assert subscriber.consent_topics == [topic.slug]
    assert subscriber.consent_at is not None


@pytest.mark.django_db(transaction=True)
def test_the_answer_never_reveals_whether_an_address_is_known(client, smtp_server, celery_worker):
    known = Subscriber.objects.create(email="known@example.org", status=Subscriber.Status.ACTIVE)
    first = subscribe(client, "known@example.org")
    second = subscribe(Client(), "new@example.org")
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    notice = smtp_server.wait_for_message("known@example.org")
    assert "already subscribed" in notice.get_body(preferencelist=("plain",)).get_content()
    known.refresh_from_db()
    assert known.status == Subscriber.Status.ACTIVE


@pytest.mark.django_db
def test_one_click_unsubscribe_per_rfc_8058():
    subscriber = Subscriber.objects.create(email="bye@example.org", status="active")
    url = tokens.links(subscriber)["unsubscribe_url"].removeprefix("http://testserver")
    scanner = Client(enforce_csrf_checks=True)
    page = scanner.get(url)
    assert page.status_code == 200
    assert "Unsubscribe" in page.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE  # a GET changes nothing
    # What a mail provider sends: no session, no CSRF token, this exact body.
    response = scanner.post(url, "List-Unsubscribe=One-Click",
                            content_type="application/x-www-form-urlencoded")  # fmt: skip
    assert response.status_code == 200  # not a redirect
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    assert subscriber.unsubscribed_at is not None
    assert scanner.post(url, "List-Unsubscribe=One-Click",
                        content_type="application/x-www-form-urlencoded").status_code == 200  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_resubscribing_goes_through_confirmation_again(client, smtp_server, celery_worker):
    Subscriber.objects.create(email="back@example.org", status=Subscriber.Status.UNSUBSCRIBED)
    subscribe(client, "back@example.org")
    assert Subscriber.objects.get().status == Subscriber.Status.PENDING
    smtp_server.wait_for_message("back@example.org")


@pytest.mark.django_db
def test_preferences_change_topics_and_frequency(client):
    subscriber = Subscriber.objects.create(email="prefs@example.org", status="active")
    topic = TopicFactory()
    url = tokens.links(subscriber)["preferences_url"].removeprefix("http://testserver")
    assert "prefs@example.org" in client.get(url).content.decode()
    response = client.post(url, {"frequency": "each", "topics": [topic.pk]})
    assert "Your preferences are saved." in response.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.frequency == "each"
    assert list(subscriber.topics.all()) == [topic]
    assert client.post(url, {"frequency": "hourly"}).status_code == 400


@pytest.mark.django_db
def test_signup_bad_input_honeypot_and_rate_limit(client, settings):
    assert subscribe(client, "not-an-email").status_code == 400
    assert subscribe(client, "bot@example.org", website="http://spam.example").status_code == 302
    assert not Subscriber.objects.filter(email="bot@example.org").exists()
    settings.NEWSLETTER_SIGNUP_RATE_PER_IP = "2/3600"
    responses = [subscribe(client, f"r{n}@example.org") for n in range(3)]
    assert responses[-1].status_code == 429
    assert responses[-1]["Retry-After"] == "3600"
    assert 'class="site-header"' in responses[-1].content.decode()


@pytest.mark.django_db
def test_signup_form_is_on_every_article_and_in_the_footer(client):
    article = ArticleFactory()
    page = client.get(article.get_absolute_url()).content.decode()
    assert 'id="newsletter"' in page
    assert page.count('action="/newsletter/"') == 2
    assert 'action="/newsletter/"' in client.get("/").content.decode()


@pytest.mark.django_db
def test_verified_readers_subscribe_from_settings_without_confirmation(client):
    from tests.factories import UserFactory

    reader = UserFactory(email="member@example.org")
    client.force_login(reader)
    assert "Subscribe member@example.org to" in client.get("/accounts/settings/").content.decode()
    client.post("/newsletter/account/", {"action": "subscribe", "frequency": "each"})
    subscriber = Subscriber.objects.get(email="member@example.org")
    assert (subscriber.status, subscriber.frequency) == ("active", "each")
    assert (subscriber.consent_source, subscriber.user) == ("settings", reader)
    assert "an email for each new article" in client.get("/accounts/settings/").content.decode()
    client.post("/newsletter/account/", {"action": "unsubscribe"})
    subscriber.refresh_from_db()
    assert subscriber.status == "unsubscribed"
    assert client.post("/newsletter/account/", {"frequency": "hourly"}).status_code == 400


@pytest.mark.django_db
def test_unverified_readers_cannot_skip_confirmation(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory(email="unverified@example.org", verified=False))
    response = client.post("/newsletter/account/", {"action": "subscribe", "frequency": "each"})
    assert response.status_code == 403
    assert not Subscriber.objects.exists()


@pytest.mark.django_db
def test_the_data_export_includes_the_subscription(client):
    from tests.factories import UserFactory

    reader = UserFactory(email="export@example.org")
    Subscriber.objects.create(email="export@example.org", status="active", consent_source="page")
    client.force_login(reader)
    data = client.get("/accounts/settings/export/").json()
    assert [(s["status"], s["consent_source"]) for s in data["newsletter"]] == [("active", "page")]


@pytest.mark.django_db
def test_after_an_email_change_settings_unsubscribe_and_export_reach_the_old_address(client):
    from allauth.account.models import EmailAddress

    from tests.factories import UserFactory

    reader = UserFactory(email="old@example.org")
    client.force_login(reader)
    client.post("/newsletter/account/", {"action": "subscribe", "frequency": "weekly"})
    # The reader moves to a new address, as allauth's email change leaves it.
    EmailAddress.objects.filter(user=reader).update(primary=False)
    EmailAddress.objects.create(user=reader, email="new@example.org", verified=True, primary=True)
    reader.email = "new@example.org"
    reader.save()

    data = client.get("/accounts/settings/export/").json()
    assert [(s["email"], s["status"]) for s in data["newsletter"]] == [
        ("old@example.org", "active")
    ]
    assert (
        "the weekly digest at old@example.org" in client.get("/accounts/settings/").content.decode()
    )
    client.post("/newsletter/account/", {"action": "unsubscribe"})
    assert Subscriber.objects.get(email="old@example.org").status == "unsubscribed"


@pytest.mark.django_db
def test_staff_see_subscribers_and_consent_in_the_admin(admin_client):
    Subscriber.objects.create(email="listed@example.org", status="active", consent_source="footer")
    page = admin_client.get("/admin/newsletter/subscriber/?status__exact=active").content.decode()
    assert "listed@example.org" in page
    assert admin_client.get("/admin/newsletter/subscriber/add/").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_confirming_activates_exactly_what_the_confirmed_link_carries(
    client, smtp_server, celery_worker
):
    lung, bile = TopicFactory(name="Lung"), TopicFactory(name="Bile duct")
    subscribe(client, topics=[lung.pk], frequency="each", source="article")
    first = confirm_link(smtp_server.wait_for_message("reader@example.org"))
    # Anyone can ask again for a pending address, with other choices; the row now holds them.
    subscribe(Client(), topics=[bile.pk], frequency="weekly", source="footer")
    wait_for(lambda: len(smtp_server.to("reader@example.org")) == 2)
    assert client.post(first).status_code == 200
    subscriber = Subscriber.objects.get()
    assert subscriber.status == Subscriber.Status.ACTIVE
    # What is active is what the confirmed link asked for, and that is what consent records.
    assert list(subscriber.topics.all()) == [lung]
    assert subscriber.frequency == "each"
    assert subscriber.consent_topics == [lung.slug]
    assert subscriber.consent_source == "article"
