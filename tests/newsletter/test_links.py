"""Links in newsletter mail: they name nobody, keep their expiry, survive the change of form
where it matters, and a link that fails says why in words that fit its kind."""

import base64
import binascii
import contextlib
import re
import zlib
from datetime import timedelta
from urllib.parse import unquote

import pytest
import time_machine
from django.core import signing
from django.test import Client
from django.utils import timezone

from newsletter import delivery, services, tokens
from newsletter.models import Edition, Subscriber
from tests.factories import ArticleFactory, TopicFactory

URL = re.compile(r"https?://[^\s<>\"']+")
ONE_CLICK = {
    "data": "List-Unsubscribe=One-Click",
    "content_type": "application/x-www-form-urlencoded",
}


def decodings(url: str) -> list[str]:
    """The URL as written, percent-decoded, and every piece of it read as base64 (plain or
    zlib-compressed, as django.core.signing writes payloads)."""
    found = [url, unquote(url)]
    for piece in re.split(r"[^A-Za-z0-9_-]+", unquote(url)):
        try:
            raw = base64.urlsafe_b64decode(piece + "=" * (-len(piece) % 4))
        except (binascii.Error, ValueError):
            continue
        with contextlib.suppress(zlib.error):
            found.append(zlib.decompress(raw).decode("latin-1"))
        found.append(raw.decode("latin-1"))
    return found


def links_in(message) -> list[str]:
    """Every URL in a message as the SMTP server received it: headers, text and HTML."""
    parts = [str(value) for value in message.values()]
    for part in message.walk():
        if part.get_content_maintype() == "text":
            parts.append(part.get_content())
    return sorted({url.rstrip(">.,)") for url in URL.findall("\n".join(parts))})


def assert_links_carry_no_address(message) -> list[str]:
    address = str(message["To"]).lower()
    links = links_in(message)
    personal = [url for url in links if "/newsletter/" in url and "/archive/" not in url]
    assert personal, "the mail carries no personal link at all"
    for url in links:
        for reading in decodings(url):
            assert address not in reading.lower(), f"{url} carries {address}"
    return personal


def main_of(response) -> str:
    """The page's own content, without the footer's signup form that every page has."""
    return response.content.decode().split('<main id="main"')[1].split("</main>")[0]


def path(url: str) -> str:
    return url.removeprefix("http://testserver")


def old_link(kind: str, subscriber: Subscriber, **extra) -> str:
    """A link as mail sent before token_id carried it: the pk and address, signed."""
    salt = {"confirm": "newsletter.confirm", "preferences": "newsletter.manage"}.get(
        kind, "newsletter.unsubscribe"
    )
    token = signing.dumps({"s": subscriber.pk, "e": subscriber.email, **extra}, salt=salt)
    return f"/newsletter/{kind}/{token}/"


@pytest.mark.django_db(transaction=True)
def test_confirmation_and_already_subscribed_mail_carry_no_address_in_their_links(
    client, smtp_server, celery_worker
):
    topic = TopicFactory(name="NRG1 fusion")
    Subscriber.objects.create(email="known.reader@example.org", status="active")
    client.post("/newsletter/", {"email": "new.reader@example.org", "frequency": "each",
                                 "source": "article", "topics": [topic.pk]})  # fmt: skip
    client.post("/newsletter/", {"email": "known.reader@example.org", "frequency": "weekly"})

    confirmation = smtp_server.wait_for_message("new.reader@example.org")
    (confirm,) = [u for u in assert_links_carry_no_address(confirmation) if "/confirm/" in u]
    already = smtp_server.wait_for_message("known.reader@example.org")
    kinds = {url.split("/")[4] for url in assert_links_carry_no_address(already)}
    assert kinds == {"preferences", "unsubscribe"}
    # The consent the form gave still travels with the confirmation link.
    assert "You’re subscribed" in client.post(path(confirm)).content.decode()
    subscriber = Subscriber.objects.get(email="new.reader@example.org")
    assert (subscriber.status, subscriber.consent_source) == ("active", "article")
    assert subscriber.consent_topics == [topic.slug]
    assert len(path(confirm)) < 160  # short enough for any mail client


@pytest.mark.django_db
def test_editions_alerts_and_digests_carry_no_address_in_their_links(smtp_server, client):
    from datetime import UTC, date, datetime

    topic = TopicFactory()
    Subscriber.objects.create(email="weekly.reader@example.org", status="active")
    Subscriber.objects.create(email="each.reader@example.org", status="active", frequency="each")
    ArticleFactory(title="Last week", topics=[topic],
                   published_at=datetime(2026, 11, 18, 9, 0, tzinfo=UTC))  # fmt: skip
    ArticleFactory(title="Just out", topics=[topic])
    mailing = Edition.objects.create(subject="This week in precision oncology")
    services.edition_send(edition=mailing)
    (alert,) = services.alerts_create()
    digest = services.digest_create(today=date(2026, 11, 23))
    for edition_id in (mailing.pk, alert, digest):
        delivery.send_batch(edition_id=edition_id)

    kinds = {Edition.objects.get(pk=e).kind for e in (mailing.pk, alert, digest)}
    assert kinds == {"edition", "alert", "digest"}
    assert len(smtp_server.messages) == 4  # an edition each, an alert, a digest
    for message in smtp_server.messages:
        for url in assert_links_carry_no_address(message):
            assert client.get(path(url)).status_code == 200  # and every link works


@pytest.mark.django_db
def test_old_unsubscribe_links_in_inboxes_still_unsubscribe_by_one_click_and_by_the_button():
    one_click = Subscriber.objects.create(email="old.click@example.org", status="active")
    button = Subscriber.objects.create(email="old.button@example.org", status="active")
    provider = Client(enforce_csrf_checks=True)  # no session, no CSRF token

    assert provider.post(old_link("unsubscribe", one_click), **ONE_CLICK).status_code == 200
    page = provider.get(old_link("unsubscribe", button))
    assert page.status_code == 200
    assert "Stop all newsletter emails" in page.content.decode()
    assert provider.post(old_link("unsubscribe", button)).status_code == 200
    statuses = Subscriber.objects.values_list("status", flat=True)
    assert set(statuses) == {Subscriber.Status.UNSUBSCRIBED}


@pytest.mark.django_db
def test_old_preferences_and_confirmation_links_get_the_friendly_page_offering_a_new_one(client):
    subscriber = Subscriber.objects.create(email="old.links@example.org", status="pending")
    old_confirm = old_link("confirm", subscriber, src="page", t=[], f="weekly")
    for url in (old_link("preferences", subscriber), old_confirm):
        for response in (client.get(url), client.post(url, {"frequency": "each"})):
            assert response.status_code == 400
            assert "comes from an older email" in main_of(response)
            assert 'action="/newsletter/"' in main_of(response)  # ask for a new link
    subscriber.refresh_from_db()
    assert (subscriber.status, subscriber.frequency) == ("pending", "weekly")


@pytest.mark.django_db
def test_tampered_expired_and_misdirected_links_are_refused(client, settings):
    subscriber = Subscriber.objects.create(email="late@example.org", status="active")
    token = tokens.confirm_token(
        subscriber=subscriber, source="page", topic_slugs=[], frequency="weekly"
    )
    confirm = f"/newsletter/confirm/{token}/"
    links = {kind: path(url) for kind, url in tokens.links(subscriber).items()}
    preferences, unsubscribe = links["preferences_url"], links["unsubscribe_url"]

    later = timezone.now() + timedelta(days=settings.NEWSLETTER_CONFIRM_DAYS, hours=1)
    with time_machine.travel(later):
        assert client.get(confirm).status_code == 400
        assert client.get(preferences).status_code == 200
    later = timezone.now() + timedelta(days=settings.NEWSLETTER_MANAGE_DAYS, hours=1)
    with time_machine.travel(later):
        assert client.get(preferences).status_code == 400
        assert client.get(unsubscribe).status_code == 200  # unsubscribe links never expire
    for url in (confirm, preferences, unsubscribe):
        assert client.get(f"{url[:-4]}abc/").status_code == 400
    token = preferences.split("/")[3]
    assert client.get(f"/newsletter/confirm/{token}/").status_code == 400  # another purpose
    assert client.post(f"/newsletter/unsubscribe/{token}/", **ONE_CLICK).status_code == 400
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE


@pytest.mark.django_db
def test_a_new_token_id_revokes_every_link_already_sent(client):
    subscriber = Subscriber.objects.create(email="leaked@example.org", status="active")
    old = tokens.links(subscriber)
    services.subscriber_links_revoke(subscriber=subscriber)
    for url in old.values():
        assert client.get(path(url)).status_code == 400
    for url in tokens.links(subscriber).values():
        assert client.get(path(url)).status_code == 200


@pytest.mark.django_db
def test_each_kind_of_expired_link_says_how_long_that_kind_works(client, settings):
    subscriber = Subscriber.objects.create(email="slow@example.org", status="pending")
    token = tokens.confirm_token(
        subscriber=subscriber, source="page", topic_slugs=[], frequency="weekly"
    )
    preferences = path(tokens.links(subscriber)["preferences_url"])
    now = timezone.now()

    with time_machine.travel(now + timedelta(days=settings.NEWSLETTER_CONFIRM_DAYS, hours=1)):
        page = main_of(client.get(f"/newsletter/confirm/{token}/"))
    assert "Links in confirmation emails work for 3 days" in page
    assert "Send me a new confirmation link" in page
    with time_machine.travel(now + timedelta(days=settings.NEWSLETTER_MANAGE_DAYS, hours=1)):
        response = client.get(preferences)
    page = main_of(response)
    assert response.status_code == 400
    assert "confirmation" not in page
    assert "Links to your newsletter preferences work for 365 days" in page
    assert "Every newsletter email carries a fresh one" in page
    assert "Send me a new link" in page
    assert 'action="/newsletter/"' in page


@pytest.mark.parametrize(
    ("kind", "words", "offers_signup"),
    [
        ("confirm", "This confirmation link is not valid", True),
        ("preferences", "This preferences link is not valid", True),
        ("unsubscribe", "This unsubscribe link is not valid", False),
    ],
)
@pytest.mark.django_db
def test_each_kind_of_invalid_link_explains_itself(client, kind, words, offers_signup):
    response = client.get(f"/newsletter/{kind}/not-a-link-of-ours/")
    assert response.status_code == 400
    page = main_of(response)
    assert words in page
    assert ('action="/newsletter/"' in page) is offers_signup
    if kind == "unsubscribe":
        assert "The unsubscribe link in any newsletter email works" in page


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_every_existing_subscriber_a_distinct_token_id():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before, after = (
        [("newsletter", "0005_one_digest_per_week")],
        [("newsletter", "0006_subscriber_token_id")],
    )
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps.get_model("newsletter", "Subscriber")
    old.objects.bulk_create(old(email=f"r{n}@example.org") for n in range(2500))
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())  # back to today's schema

    token_ids = list(Subscriber.objects.values_list("token_id", flat=True))
    assert len(token_ids) == len(set(token_ids)) == 2500
    assert all(len(token_id) == 22 for token_id in token_ids)


@pytest.mark.django_db
def test_an_old_unsubscribe_link_stops_working_once_the_address_changed(client):
    subscriber = Subscriber.objects.create(email="was@example.org", status="active")
    url = old_link("unsubscribe", subscriber)
    Subscriber.objects.filter(pk=subscriber.pk).update(email="now@example.org")
    assert client.post(url).status_code == 400
    assert Subscriber.objects.get().status == "active"


@pytest.mark.django_db
def test_an_old_unsubscribe_link_of_a_deleted_subscriber_never_reaches_a_new_one(client):
    gone = Subscriber.objects.create(email="same@example.org", status="active")
    url = old_link("unsubscribe", gone)
    gone.delete()
    newcomer = Subscriber.objects.create(email="same@example.org", status="active")
    assert client.post(url).status_code == 400
    newcomer.refresh_from_db()
    assert newcomer.status == "active"


@pytest.mark.django_db
@pytest.mark.parametrize("topics", [["lung", "bile-duct"], []])
def test_a_confirmation_link_carries_the_consent_given_back_exactly(topics):
    subscriber = Subscriber.objects.create(email="consent@example.org", status="pending")
    token = tokens.confirm_token(
        subscriber=subscriber, source="article", topic_slugs=topics, frequency="each"
    )
    found, consent = tokens.read_token(token=token, kind=tokens.LinkKind.CONFIRM, max_age=60)
    assert found == subscriber
    assert consent == {"src": "article", "f": "each", "t": sorted(topics)}
