"""Mail that goes to each person once (core.mail_once) and who is written to (core.people):
one policy for the moderators' digest, the week's reviews due, a trial's change and a finding in
a cited paper. Through the public senders, on a real SMTP server."""

import pytest
from django.contrib.auth.models import Permission
from django.db.models import Q

from comments.models import Comment, ModerationDigestReceipt
from comments.notifications import moderation_digest_send
from core.mail import MailRefused
from core.people import permission_holders
from core.suppression import suppression_add
from evidence.citations import finding_mail_send
from evidence.models import Finding, FindingMail
from tests.factories import ArticleFactory, CommentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderators(staff_groups):
    people = [UserFactory(email=f"mod{n}@example.org", is_staff=True) for n in range(2)]
    for person in people:
        person.groups.add(staff_groups["Moderators"])
    return people


@pytest.fixture
def finding(staff_groups):
    editor = UserFactory(email="eda@example.org", is_staff=True)
    editor.groups.add(staff_groups["Editors"])
    article = ArticleFactory(author=UserFactory(email="writer@example.org"))
    return Finding.objects.create(
        article=article, kind=Finding.Kind.DEAD_LINK, target="https://example.org/a", key="k"
    )


def test_a_suppressed_moderator_gets_no_digest_and_the_receipt_says_so(smtp_server, moderators):
    CommentFactory(status=Comment.Status.PENDING)
    suppression_add(email="mod0@example.org", reason="bounced")

    assert moderation_digest_send() == 1
    assert not smtp_server.to("mod0@example.org")
    assert len(smtp_server.to("mod1@example.org")) == 1
    outcomes = dict(ModerationDigestReceipt.objects.values_list("recipient__email", "outcome"))
    assert outcomes == {"mod0@example.org": "suppressed", "mod1@example.org": "sent"}
    assert moderation_digest_send() == 0  # the same day again: nobody twice, nobody retried


def test_a_finding_mail_refused_by_an_editors_server_is_recorded_and_never_tried_again(
    smtp_server, finding
):
    smtp_server.refuse.add("eda@example.org")  # 550, every time

    assert finding_mail_send(finding_id=finding.pk) == 1  # the author still hears
    refused = FindingMail.objects.get(recipient__email="eda@example.org")
    assert refused.outcome == FindingMail.Outcome.REFUSED
    assert refused.detail.startswith("550")
    assert FindingMail.objects.get(recipient__email="writer@example.org").outcome == "sent"
    assert finding_mail_send(finding_id=finding.pk) == 0
    assert smtp_server.tried.count("eda@example.org") == 1


def test_a_server_refusing_our_sender_stops_a_finding_mail_and_records_nobody(
    smtp_server, finding, settings
):
    smtp_server.refuse_senders.add(settings.DEFAULT_FROM_EMAIL.rpartition("<")[2].rstrip(">"))

    with pytest.raises(MailRefused):
        finding_mail_send(finding_id=finding.pk)
    assert not FindingMail.objects.exists()  # no editor is written off for our fault


# --- Who is written to -----------------------------------------------------------------------
def test_staff_written_to_are_the_active_holders_with_an_address_each_once(staff_groups):
    by_group = UserFactory(email="group@example.org")
    by_group.groups.add(staff_groups["Editors"], staff_groups["Moderators"])
    by_grant = UserFactory(email="grant@example.org")
    by_grant.user_permissions.add(Permission.objects.get(codename="change_comment"))
    inactive = UserFactory(email="gone@example.org", is_active=False)
    inactive.groups.add(staff_groups["Moderators"])
    no_address = UserFactory(email="")
    no_address.groups.add(staff_groups["Moderators"])
    UserFactory(email="reader@example.org")
    boss = UserFactory(email="boss@example.org", is_superuser=True)

    moderators = permission_holders("comments.change_comment")
    assert sorted(moderators.values_list("email", flat=True)) == [
        "grant@example.org",
        "group@example.org",
    ]
    with_superusers = permission_holders("comments.change_comment", superusers=True)
    assert boss in with_superusers
    assert with_superusers.count() == 3
    # Either of two permissions; a codename of another app does not count.
    editors = permission_holders("articles.change_article", "comments.change_comment")
    assert editors.count() == 2
    assert not permission_holders("newsletter.change_comment").exists()


def test_an_articles_author_is_added_to_its_editors_only_while_active_with_an_address():
    author = UserFactory(email="writer@example.org")
    assert list(permission_holders("articles.change_article", also=Q(pk=author.pk))) == [author]
    author.is_active = False
    author.save()
    assert not permission_holders("articles.change_article", also=Q(pk=author.pk)).exists()
