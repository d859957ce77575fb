"""Rules of subscribing that a mutation run found unguarded, through the pages and the
subscription services."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from core.models import Suppression
from core.suppression import suppression_add, suppression_lift
from newsletter import tokens
from newsletter.models import Subscriber
from newsletter.tokens import LinkKind
from tests.factories import TopicFactory, UserFactory

pytestmark = pytest.mark.django_db


def confirm_url(subscriber: Subscriber, *, topics=(), frequency="weekly") -> str:
    token = tokens.confirm_token(
        subscriber=subscriber, source="footer", topic_slugs=list(topics), frequency=frequency
    )
    return f"/newsletter/confirm/{token}/"


@pytest.mark.parametrize("status", ["unsubscribed", "bounced", "complained", "suspended"])
def test_an_old_confirmation_link_never_reactivates_a_reader_who_left_or_bounced(client, status):
    reader = Subscriber.objects.create(email="left@example.org", status="pending")
    url = confirm_url(reader)
    Subscriber.objects.filter(pk=reader.pk).update(status=status)
    client.post(url)
    assert Subscriber.objects.get().status == status


@pytest.mark.parametrize("status", ["bounced", "complained"])
def test_a_bounced_address_asking_again_stays_bounced_and_gets_no_mail(
    client, django_capture_on_commit_callbacks, status
):
    Subscriber.objects.create(email="dead@example.org", status=status)
    suppression_add(email="Dead@example.org", reason=status)  # as a bounce or complaint does
    with django_capture_on_commit_callbacks() as queued:
        answer = client.post("/newsletter/", {"email": "dead@example.org", "frequency": "weekly"})
    assert answer.status_code == 302  # the same answer as for anyone
    assert Subscriber.objects.get().status == status
    assert not queued  # no confirmation mail to an address that refuses mail


def test_once_its_suppression_is_lifted_a_bounced_address_may_ask_again(
    client, django_capture_on_commit_callbacks
):
    Subscriber.objects.create(email="back@example.org", status="bounced")
    suppression_add(email="back@example.org", reason="bounced")
    suppression_lift(
        suppression=Suppression.objects.get(),
        by=UserFactory(is_staff=True, is_superuser=True),
        reason="The reader says the mailbox works again",
    )
    with django_capture_on_commit_callbacks() as queued:
        client.post("/newsletter/", {"email": "back@example.org", "frequency": "weekly"})
    assert Subscriber.objects.get().status == "pending"  # double opt-in, as for anyone
    assert len(queued) == 1  # the confirmation mail


def test_the_topics_chosen_at_sign_up_are_stored_while_confirmation_waits(client):
    lung, bile = TopicFactory(name="Lung"), TopicFactory(name="Bile")
    client.post(
        "/newsletter/",
        {"email": "t@example.org", "frequency": "each", "topics": [lung.pk, bile.pk]},
    )
    reader = Subscriber.objects.get()
    assert (reader.status, reader.frequency) == ("pending", "each")
    assert set(reader.topics.all()) == {lung, bile}


def test_links_of_a_deleted_subscriber_open_nothing(client):
    reader = Subscriber.objects.create(email="gone@example.org", status="active")
    urls = tokens.links(reader)
    reader.delete()
    for url in urls.values():
        assert client.get(url.removeprefix("http://testserver")).status_code == 400


def test_addresses_are_stored_stripped_and_lower_case_so_case_makes_no_duplicate(client):
    client.post("/newsletter/", {"email": "  Reader@Example.ORG ", "frequency": "weekly"})
    client.post("/newsletter/", {"email": "reader@example.org", "frequency": "weekly"})
    assert list(Subscriber.objects.values_list("email", flat=True)) == ["reader@example.org"]


def test_a_signed_in_reader_who_subscribes_is_linked_to_their_account(client):
    user = UserFactory(email="member@example.org")
    client.force_login(user)
    client.post("/newsletter/", {"email": "member@example.org", "frequency": "weekly"})
    assert Subscriber.objects.get().user == user


def test_a_second_unsubscribe_keeps_the_date_of_the_first(client):
    reader = Subscriber.objects.create(email="bye@example.org", status="active")
    token = tokens.link_token(subscriber=reader, kind=LinkKind.UNSUBSCRIBE)
    first = timezone.now()
    with time_machine.travel(first, tick=False):
        client.post(f"/newsletter/unsubscribe/{token}/")
    with time_machine.travel(first + timedelta(days=3), tick=False):
        assert client.post(f"/newsletter/unsubscribe/{token}/").status_code == 200
    reader.refresh_from_db()
    assert (reader.status, reader.unsubscribed_at) == ("unsubscribed", first)


# Subscribing from the account settings page (subscription_from_account) ------------------------
def test_a_mixed_case_account_address_subscribes_the_one_lower_case_subscriber(client):
    Subscriber.objects.create(email="member@example.org", status="pending")
    reader = UserFactory(email="Member@Example.ORG")
    client.force_login(reader)
    client.post("/newsletter/account/", {"action": "subscribe", "frequency": "each"})
    (subscriber,) = Subscriber.objects.all()  # no second row by case
    assert subscriber.email == "member@example.org"
    assert (subscriber.status, subscriber.frequency, subscriber.user) == ("active", "each", reader)


def test_the_topics_chosen_in_settings_are_stored_and_recorded_as_consent(client):
    lung, bile = TopicFactory(name="Lung", slug="lung"), TopicFactory(name="Bile", slug="bile")
    client.force_login(UserFactory(email="topics@example.org"))
    client.post(
        "/newsletter/account/",
        {"action": "subscribe", "frequency": "weekly", "topics": [lung.pk, bile.pk]},
    )
    subscriber = Subscriber.objects.get()
    assert set(subscriber.topics.all()) == {lung, bile}
    assert subscriber.consent_topics == ["bile", "lung"]
    assert subscriber.consent_source == "settings"


def test_subscribing_again_from_settings_keeps_the_first_consent_and_changes_the_frequency(client):
    first = timezone.now() - timedelta(days=30)
    Subscriber.objects.create(
        email="again@example.org", status="active", consent_at=first, consent_source="footer"
    )
    client.force_login(UserFactory(email="again@example.org"))
    client.post("/newsletter/account/", {"action": "subscribe", "frequency": "each"})
    subscriber = Subscriber.objects.get()
    assert (subscriber.consent_at, subscriber.consent_source) == (first, "footer")
    assert subscriber.frequency == "each"


def test_a_reader_who_left_subscribes_from_settings_with_a_fresh_consent(client):
    left = timezone.now() - timedelta(days=10)
    Subscriber.objects.create(
        email="back@example.org", status="unsubscribed", unsubscribed_at=left,
        consent_at=left - timedelta(days=100), consent_source="footer",
    )  # fmt: skip
    client.force_login(UserFactory(email="back@example.org"))
    before = timezone.now()
    client.post("/newsletter/account/", {"action": "subscribe", "frequency": "weekly"})
    subscriber = Subscriber.objects.get()
    assert (subscriber.status, subscriber.unsubscribed_at) == ("active", None)
    assert subscriber.consent_at >= before
    assert subscriber.consent_source == "settings"


def test_subscribing_from_an_account_without_topics_keeps_the_topics_already_chosen():
    from newsletter import services

    lung = TopicFactory(name="Lung")
    reader = UserFactory(email="keeps@example.org")
    subscriber = Subscriber.objects.create(email="keeps@example.org", status="active")
    subscriber.topics.set([lung])
    services.subscription_from_account(user=reader, frequency="each", topics=None)
    assert list(Subscriber.objects.get().topics.all()) == [lung]
    services.subscription_from_account(user=reader, frequency="each", topics=[])
    assert not Subscriber.objects.get().topics.exists()  # an empty choice is a choice


def test_confirming_one_address_leaves_every_other_pending_address_pending(client):
    mine = Subscriber.objects.create(email="mine@example.org", status="pending")
    Subscriber.objects.create(email="theirs@example.org", status="pending")
    client.post(confirm_url(mine))
    statuses = dict(Subscriber.objects.values_list("email", "status"))
    assert statuses == {"mine@example.org": "active", "theirs@example.org": "pending"}


def test_a_confirmation_link_without_consent_fields_still_confirms(client):
    reader = Subscriber.objects.create(email="plain@example.org", status="pending")
    token = tokens.link_token(subscriber=reader, kind=LinkKind.CONFIRM)  # no source or topics
    response = client.post(f"/newsletter/confirm/{token}/")
    assert response.status_code == 200
    reader.refresh_from_db()
    assert (reader.status, reader.consent_topics, reader.consent_source) == ("active", [], "")


def test_the_consent_source_is_kept_to_its_column(client):
    reader = Subscriber.objects.create(email="long@example.org", status="pending")
    token = tokens.confirm_token(
        subscriber=reader, source="s" * 60, topic_slugs=[], frequency="weekly"
    )
    client.post(f"/newsletter/confirm/{token}/")
    assert Subscriber.objects.get().consent_source == "s" * 40
