"""What the newsletter's own mail says and who gets it, from the mutation run's survivors in
newsletter/emails.py: the editor's test copy, and the notices when an edition stops."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.auth.models import Permission

from newsletter import emails, ledger, services
from newsletter.models import Edition, Subscriber
from tests.factories import ArticleFactory, TopicFactory, UserFactory

pytestmark = pytest.mark.django_db

PERSONAL_LINK = re.compile(r"https?://[^\s\"]*/newsletter/(?:preferences|unsubscribe)/[^/\s\"]+/")
WEEK_47_MONDAY = datetime(2026, 11, 16, 0, 0, tzinfo=UTC)


def test_the_editors_test_copy_is_what_a_reader_of_every_topic_gets_with_links_inert(settings):
    settings.TIME_ZONE = "UTC"
    lung, bile = TopicFactory(), TopicFactory()
    ArticleFactory(title="Lung week", topics=[lung], published_at=WEEK_47_MONDAY + timedelta(1))
    ArticleFactory(title="Bile week", topics=[bile], published_at=WEEK_47_MONDAY + timedelta(2))
    Subscriber.objects.create(email="all@example.org", status="active")  # every topic
    digest = Edition.objects.get(pk=services.digest_create(today=date(2026, 11, 23)))
    row = digest.deliveries.select_related("subscriber").get()
    received = emails.build_message(emails.render_edition(digest), row)
    copy = emails.editor_copy(digest, to="editor@example.org")

    def inert(text: str) -> str:  # the reader's own links (signed a moment apart) made "#"
        return PERSONAL_LINK.sub("#", text)

    assert copy.subject == f"[TEST] {digest.subject}"
    assert (copy.from_email, copy.to) == (settings.NEWSLETTER_FROM_EMAIL, ["editor@example.org"])
    assert "Lung week" in copy.body
    assert "Bile week" in copy.body
    assert copy.body == inert(received.body)
    [(html, mimetype)] = copy.alternatives
    assert mimetype == "text/html"
    assert html == inert(received.alternatives[0][0])
    assert "__DRIVERLINE" not in copy.body + html
    assert not PERSONAL_LINK.search(copy.body + html)  # nobody leaves by testing
    assert PERSONAL_LINK.search(received.body)  # while the reader has their own links


def test_the_notice_of_a_stopped_edition_goes_to_everyone_who_may_send_editions_only():
    can_send = Permission.objects.get(codename="change_edition")
    by_group = UserFactory(email="group.editor@example.org", is_staff=True)
    group = by_group.groups.create(name="Senders")
    group.permissions.add(can_send)
    by_hand = UserFactory(email="own.right@example.org", is_staff=True)
    by_hand.user_permissions.add(can_send)
    UserFactory(email="super@example.org", is_superuser=True, is_staff=True)
    UserFactory(email="moderator@example.org", is_staff=True)
    gone = UserFactory(email="left@example.org", is_staff=True, is_active=False)
    gone.user_permissions.add(can_send)
    mailing = Edition.objects.create(subject="Stopped", stopped_reason="554 refused")
    notices = emails.attention_mails(mailing)
    for notice in notices:  # each says where to act
        assert f"/admin/newsletter/edition/{mailing.pk}/change/" in notice.body
    assert sorted(address for notice in notices for address in notice.to) == [
        "group.editor@example.org",
        "own.right@example.org",
        "super@example.org",
    ]


def test_an_editor_asking_for_a_test_copy_gets_it_at_their_own_address(
    admin_client, admin_user, smtp_server, tasks_inline
):
    from tests.newsletter.mailings import edition

    mailing = edition()
    with tasks_inline():
        admin_client.post(
            "/admin/newsletter/edition/", {"action": "send_test", "_selected_action": [mailing.pk]}
        )
    [copy] = smtp_server.messages
    assert copy["To"] == admin_user.email
    assert copy["Subject"] == f"[TEST] {mailing.subject}"
    assert "Basket trials explained" in copy.get_body(("plain",)).get_content()
    assert "List-Unsubscribe" not in copy


def test_each_reader_s_digest_lists_only_the_weeks_articles_in_their_topics(settings):
    settings.TIME_ZONE = "UTC"
    lung, bile, other = TopicFactory(), TopicFactory(), TopicFactory()
    ArticleFactory(title="Lung week", topics=[lung], published_at=WEEK_47_MONDAY + timedelta(1))
    ArticleFactory(title="Bile week", topics=[bile], published_at=WEEK_47_MONDAY + timedelta(2))
    lungs = Subscriber.objects.create(email="lung@example.org", status="active")
    lungs.topics.set([lung, other])
    Subscriber.objects.create(email="all@example.org", status="active")  # no topics: all of them
    digest = Edition.objects.get(pk=services.digest_create(today=date(2026, 11, 23)))
    rendered = emails.render_edition(digest)
    mail = {
        row.subscriber.email: emails.build_message(rendered, row)
        for row in digest.deliveries.select_related("subscriber").prefetch_related(
            "subscriber__topics"
        )
    }
    lung_mail, everything = mail["lung@example.org"], mail["all@example.org"]
    for address, message in mail.items():
        assert (message.subject, message.to) == (digest.subject, [address])
    assert "Lung week" in lung_mail.body
    assert "Lung week" in lung_mail.alternatives[0][0]
    assert "Bile week" not in lung_mail.body + lung_mail.alternatives[0][0]
    assert "Lung week" in everything.body
    assert "Bile week" in everything.body
    assert "Bile week" in everything.alternatives[0][0]


def test_a_readers_message_carries_its_own_id_and_the_lists_headers(settings):
    settings.SITE_URL = "https://news.example.org"
    reader = Subscriber.objects.create(email="reader@example.org", status="active")
    edition = Edition.objects.create(subject="Basket trials, explained", intro="Hello")
    edition.featured.add(ArticleFactory())
    ledger.deliveries_create(edition=edition)
    row = edition.deliveries.select_related("subscriber").get()
    message = emails.build_message(emails.render_edition(edition), row)
    assert message.subject == "Basket trials, explained"
    assert message.to == ["reader@example.org"]
    assert (
        message.extra_headers["Message-ID"]
        == f"<edition-{edition.pk}.{reader.pk}@news.example.org>"
    )
    assert message.extra_headers["List-Id"] == (
        f"{settings.SITE_NAME} newsletter <newsletter.news.example.org>"
    )
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = message.extra_headers["List-Unsubscribe"]
    assert unsubscribe.startswith("<https://news.example.org/newsletter/unsubscribe/")
    assert unsubscribe[1:-1] in message.body


def test_a_site_address_without_a_host_still_gives_messages_a_valid_id(settings):
    settings.SITE_URL = "/"
    assert emails.mail_host() == "localhost"


def test_a_digest_is_rendered_in_the_same_queries_whatever_the_number_of_its_articles(settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.TIME_ZONE = "UTC"

    def queries_to_render(articles: int) -> int:
        Edition.objects.all().delete()
        for n in range(articles):
            ArticleFactory(topics=[TopicFactory()], published_at=WEEK_47_MONDAY + timedelta(n % 6))
        digest = Edition.objects.get(pk=services.digest_create(today=date(2026, 11, 23)))
        with CaptureQueriesContext(connection) as queries:
            emails.render_edition(digest)
        return len(queries)

    assert queries_to_render(2) == queries_to_render(6)
