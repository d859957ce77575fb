"""Corrections in the weekly digest (#14, point 5): a correction to an article that was mailed as
an alert is listed in the next weekly digest of the readers who got that alert, and of nobody
else. Messages are built as the engine builds them (digest_create, render_edition once,
build_message per reader), without a worker."""

import re
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles import drafts
from articles.models import ArticleChange, ArticleRevision
from articles.revisions import article_revision_save
from articles.services import article_revision_publish
from newsletter import emails, ledger, services
from newsletter.models import Delivery, Edition, Subscriber
from tests.articles.test_revisions import BODY, save
from tests.factories import ArticleFactory, TopicFactory, UserFactory, approve

pytestmark = pytest.mark.django_db

WEEK_46_TUESDAY = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
WEEK_47_WEDNESDAY = datetime(2026, 11, 18, 14, 0, tzinfo=UTC)
WEEK_48_MONDAY = date(2026, 11, 23)  # builds week 47's digest
NOTE = "The trial enrolled 55 people, not 550."


@pytest.fixture(autouse=True)
def utc(settings):
    settings.TIME_ZONE = "UTC"


@pytest.fixture
def editor(client, staff_groups):
    user = UserFactory(is_staff=True)
    user.groups.add(staff_groups["Editors"])
    client.force_login(user)
    return user


def alerted_article(title: str, *, to: dict[Subscriber, str]):
    """A live article of week 46 whose alert went out: a delivery of `status` to each reader."""
    article = ArticleFactory(title=title, body=BODY, published_at=WEEK_46_TUESDAY)
    article_revision_save(
        article=article, by=None, note="Published", kind=ArticleRevision.Kind.PUBLICATION
    )
    alert = Edition.objects.create(
        kind=Edition.Kind.ALERT, article=article, subject=title, status=Edition.Status.SENT
    )
    alert.featured.add(article)
    for subscriber, status in to.items():
        Delivery.objects.create(edition=alert, subscriber=subscriber, status=status)
    return article


def change(client, editor, article, *, kind: str, note: str, at=WEEK_47_WEDNESDAY):
    """Changes to the live article, approved and published through the one service at `at`."""
    with time_machine.travel(at, tick=False):
        save(client, article, body=BODY + f"\n\nChanged at {at:%d %H}.")
        approve(article)
        article_revision_publish(
            article=article,
            revision=drafts.article_draft(article),
            by=editor,
            kind=kind,
            note=note,
        )


def reader(email: str, frequency: str = "weekly") -> Subscriber:
    return Subscriber.objects.create(email=email, status="active", frequency=frequency)


def messages_of(digest: Edition) -> dict[str, object]:
    """Each reader's message, rendered once for the digest, as a worker's batch builds them."""
    rendered = emails.render_edition(digest)
    rows = list(
        digest.deliveries.select_related("subscriber").prefetch_related(
            "subscriber__topics", ledger.SUBSCRIBER_INTERESTS
        )
    )  # what ledger.claim_batch brings
    received = emails.alerts_received(rendered, rows)
    return {
        row.subscriber.email: emails.build_message(rendered, row, received=received) for row in rows
    }


def whole(message) -> str:
    return message.body + message.alternatives[0][0]


def test_the_digest_lists_a_correction_only_for_the_readers_who_got_the_alert(client, editor):
    got_it = reader("got@example.org")
    reader("missed@example.org")  # a weekly reader the alert never reached
    article = alerted_article("Basket trials", to={got_it: "sent"})
    ArticleFactory(title="Week 47 news", published_at=WEEK_47_WEDNESDAY)
    change(client, editor, article, kind="correction", note=NOTE)

    digest = Edition.objects.get(pk=services.digest_create(today=WEEK_48_MONDAY))
    assert list(digest.corrections.all()) == [ArticleChange.objects.get(kind="correction")]
    mail = messages_of(digest)
    assert set(mail) == {"got@example.org", "missed@example.org"}
    got, missed = mail["got@example.org"], mail["missed@example.org"]
    for message in (got, missed):
        assert message.subject == digest.subject  # both have the week's article
        assert "Week 47 news" in whole(message)
    assert "Corrections" in got.alternatives[0][0]
    assert "CORRECTIONS" in got.body
    assert NOTE in got.body
    assert NOTE in got.alternatives[0][0]
    assert "Corrected 18 November 2026" in got.body
    assert f"/articles/{article.slug}/#change-" in whole(got)
    assert "Corrections" not in missed.alternatives[0][0]
    assert NOTE not in whole(missed)
    assert "__DRIVERLINE" not in whole(got) + whole(missed)


def test_readers_of_each_article_who_got_the_alert_get_the_digest_for_its_correction_alone(
    client, editor
):
    each = reader("each@example.org", "each")
    reader("weekly@example.org")  # the alert never reached them
    failed, gone = reader("failed@example.org", "each"), reader("gone@example.org", "each")
    article = alerted_article("Basket trials", to={each: "sent", failed: "failed", gone: "sent"})
    Subscriber.objects.filter(pk=gone.pk).update(status="unsubscribed")
    ArticleFactory(title="Week 47 news", published_at=WEEK_47_WEDNESDAY)
    change(client, editor, article, kind="correction", note=NOTE)

    digest = Edition.objects.get(pk=services.digest_create(today=WEEK_48_MONDAY))
    mail = messages_of(digest)
    # The alert never reached one, another has left: only the reader it reached is added.
    assert set(mail) == {"each@example.org", "weekly@example.org"}
    alone = mail["each@example.org"]
    assert alone.subject == "Driverline: a correction to an article we sent you"
    assert NOTE in whole(alone)
    assert "Week 47 news" not in whole(alone)  # they had it as an alert
    assert "Driverline weekly" not in whole(alone)
    assert NOTE not in whole(mail["weekly@example.org"])


def test_a_week_of_corrections_and_no_new_articles_still_has_a_digest_for_the_alerts_readers(
    client, editor
):
    got_it = reader("got@example.org")
    reader("missed@example.org")  # weekly, with no article this week and no alert
    article = alerted_article("Basket trials", to={got_it: "sent"})
    change(client, editor, article, kind="correction", note=NOTE)

    digest = Edition.objects.get(pk=services.digest_create(today=WEEK_48_MONDAY))
    assert digest.subject == "Driverline weekly: 1 correction"
    assert digest.featured.count() == 0
    mail = messages_of(digest)
    assert set(mail) == {"got@example.org"}  # nobody gets a digest with nothing in it
    assert mail["got@example.org"].subject == "Driverline: a correction to an article we sent you"
    assert NOTE in whole(mail["got@example.org"])
    assert services.digest_create(today=WEEK_48_MONDAY) is None  # once a week


@pytest.mark.parametrize("kind", ["update", "minor"])
def test_updates_and_minor_changes_are_not_mailed(client, editor, kind):
    got_it = reader("got@example.org")
    article = alerted_article("Basket trials", to={got_it: "sent"})
    change(client, editor, article, kind=kind, note="New data." if kind == "update" else "")
    assert services.digest_create(today=WEEK_48_MONDAY) is None


@pytest.mark.parametrize(
    ("at", "mailed"),
    [
        (WEEK_47_WEDNESDAY, True),
        (datetime(2026, 11, 16, 0, 0, tzinfo=UTC), True),  # the first instant of week 47
        (datetime(2026, 11, 15, 23, 59, tzinfo=UTC), False),  # week 46's digest had its turn
        (datetime(2026, 11, 23, 0, 0, tzinfo=UTC), False),  # next week's digest
    ],
)
def test_a_correction_goes_in_the_digest_of_the_week_it_was_published(client, editor, at, mailed):
    got_it = reader("got@example.org")
    article = alerted_article("Basket trials", to={got_it: "sent"})
    change(client, editor, article, kind="correction", note=NOTE, at=at)
    assert (services.digest_create(today=WEEK_48_MONDAY) is not None) is mailed


def test_a_correction_to_an_article_off_the_site_is_not_mailed(client, editor):
    from articles.services import article_unpublish

    got_it = reader("got@example.org")
    article = alerted_article("Basket trials", to={got_it: "sent"})
    change(client, editor, article, kind="correction", note=NOTE)
    article_unpublish(article=article, by=editor)
    assert services.digest_create(today=WEEK_48_MONDAY) is None


def test_the_editors_test_copy_shows_the_corrections(client, editor):
    got_it = reader("got@example.org")
    article = alerted_article("Basket trials", to={got_it: "sent"})
    ArticleFactory(title="Week 47 news", topics=[TopicFactory()], published_at=WEEK_47_WEDNESDAY)
    change(client, editor, article, kind="correction", note=NOTE)
    digest = Edition.objects.get(pk=services.digest_create(today=WEEK_48_MONDAY))
    copy = emails.editor_copy(digest, to="editor@example.org")
    assert NOTE in whole(copy)
    assert "Week 47 news" in whole(copy)


@pytest.mark.cost
def test_which_reader_got_which_alert_costs_one_query_a_batch_and_none_a_message(client, editor):
    readers = [reader(f"r{n}@example.org") for n in range(12)]
    first = alerted_article("First", to=dict.fromkeys(readers[:6], "sent"))
    second = alerted_article("Second", to=dict.fromkeys(readers[3:9], "sent"))
    ArticleFactory(title="Week 47 news", published_at=WEEK_47_WEDNESDAY)
    change(client, editor, first, kind="correction", note="First was wrong.")
    change(client, editor, second, kind="correction", note="Second was wrong.")
    digest = Edition.objects.get(pk=services.digest_create(today=WEEK_48_MONDAY))
    rendered = emails.render_edition(digest)
    rows = list(
        digest.deliveries.select_related("subscriber").prefetch_related(
            "subscriber__topics", ledger.SUBSCRIBER_INTERESTS
        )
    )  # what ledger.claim_batch brings
    assert len(rows) == 12
    with CaptureQueriesContext(connection) as queries:
        received = emails.alerts_received(rendered, rows)
    assert len(queries) == 1
    with CaptureQueriesContext(connection) as queries:
        mail = {row.subscriber.email: emails.build_message(rendered, row, received=received)
                for row in rows}  # fmt: skip
    assert len(queries) == 0
    for number, message in enumerate(mail[f"r{n}@example.org"] for n in range(12)):
        assert ("First was wrong." in message.body) is (number < 6), number
        assert ("Second was wrong." in message.body) is (3 <= number < 9), number
    # Without the batch's answer, a message asks for its own reader: the same mail.
    alone = emails.build_message(rendered, rows[4])
    assert alone.body == mail[rows[4].subscriber.email].body


def test_a_corrections_only_digest_is_titled_for_the_corrections_its_reader_gets(client, editor):
    one, both = reader("one@example.org", "each"), reader("both@example.org", "each")
    first = alerted_article("First", to={one: "sent", both: "sent"})
    second = alerted_article("Second", to={both: "sent"})
    change(client, editor, first, kind="correction", note="First was wrong.")
    change(client, editor, second, kind="correction", note="Second was wrong.")
    mail = messages_of(Edition.objects.get(pk=services.digest_create(today=WEEK_48_MONDAY)))
    assert mail["one@example.org"].subject == ("Driverline: a correction to an article we sent you")
    assert "Second was wrong." not in whole(mail["one@example.org"])
    assert mail["both@example.org"].subject == "Driverline: corrections to articles we sent you"
    assert re.search(
        r"<h1[^>]*>Driverline: corrections to articles we sent you</h1>",
        mail["both@example.org"].alternatives[0][0],
    )
    assert "First was wrong." in whole(mail["both@example.org"])
    assert "Second was wrong." in whole(mail["both@example.org"])
