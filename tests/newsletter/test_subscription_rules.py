"""Rules of subscribing that a mutation run found unguarded, through the pages and the
subscription services."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

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


@pytest.mark.parametrize("status", ["unsubscribed", "bounced"])
def test_an_old_confirmation_link_never_reactivates_a_reader_who_left_or_bounced(client, status):
    reader = Subscriber.objects.create(email="left@example.org", status="pending")
    url = confirm_url(reader)
    Subscriber.objects.filter(pk=reader.pk).update(status=status)
    client.post(url)
    assert Subscriber.objects.get().status == status


def test_a_bounced_address_asking_again_stays_bounced_and_gets_no_mail(
    client, django_capture_on_commit_callbacks
):
    Subscriber.objects.create(email="dead@example.org", status="bounced")
    with django_capture_on_commit_callbacks() as queued:
        answer = client.post("/newsletter/", {"email": "dead@example.org", "frequency": "weekly"})
    assert answer.status_code == 302  # the same answer as for anyone
    assert Subscriber.objects.get().status == "bounced"
    assert not queued  # no confirmation mail to an address that refuses mail


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
