import pytest

from comments import notifications
from comments.models import Comment, ModerationDigest, ModerationDigestReceipt, Notification
from comments.moderation import comment_moderate
from comments.services import comment_submit
from comments.tasks import send_moderation_digest
from tests.conftest import wait_for
from tests.factories import ArticleFactory, CommentFactory, ModeratorFactory, UserFactory


@pytest.mark.django_db(transaction=True)
def test_a_published_reply_notifies_the_parent_and_article_authors_once_each(
    smtp_server, celery_worker, settings
):
    settings.COMMENTS_TRUSTED_AFTER = 0
    article_author = UserFactory(email="writer@example.org", is_staff=True)
    article = ArticleFactory(author=article_author, title="Small cohorts")
    parent = CommentFactory(article=article, author=UserFactory(email="parent@example.org"))
    replier = UserFactory(display_name="Omar", role="clinician")
    reply = comment_submit(
        article=article, author=replier, body="A *considered* reply", parent=parent
    )

    to_parent = smtp_server.wait_for_message("parent@example.org")
    to_writer = smtp_server.wait_for_message("writer@example.org")
    # Django folds non-ASCII subjects onto a continuation line; clients strip the fold.
    assert (
        to_parent["Subject"].strip()
        == "[Driverline] Omar replied to your comment on “Small cohorts”"
    )
    assert "New comment on your article" in to_writer["Subject"]
    body = to_parent.get_body(preferencelist=("plain",)).get_content()
    assert f"http://testserver/comments/{reply.pk}/" in body
    assert "http://testserver/accounts/settings/" in body  # the opt-out
    assert "<em>considered</em>" in to_parent.get_body(preferencelist=("html",)).get_content()
    assert "List-Unsubscribe" not in to_parent

    # Running the notification again (a retry, a second worker) sends nothing more.
    assert notifications.comment_notify(comment_id=reply.pk) == 0
    ours = smtp_server.to("parent@example.org") + smtp_server.to("writer@example.org")
    assert len(ours) == 2
    assert Notification.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_held_comments_notify_only_when_a_moderator_approves(smtp_server, celery_worker):
    parent = CommentFactory(author=UserFactory(email="parent@example.org"))
    newcomer = UserFactory()
    reply = comment_submit(article=parent.article, author=newcomer, body="First!", parent=parent)
    assert reply.status == Comment.Status.PENDING
    assert notifications.comment_notify(comment_id=reply.pk) == 0
    comment_moderate(comments=[reply], moderator=ModeratorFactory(), action="approve")
    smtp_server.wait_for_message("parent@example.org")


@pytest.mark.django_db
def test_opted_out_readers_and_self_replies_get_nothing(smtp_server):
    parent = CommentFactory(author=UserFactory(email="quiet@example.org", notify_replies=False))
    reply = CommentFactory(parent=parent)
    own = CommentFactory(parent=parent, author=parent.author)
    assert notifications.comment_notify(comment_id=reply.pk) == 1  # the article's author only
    assert notifications.comment_notify(comment_id=own.pk) <= 1
    assert not smtp_server.to("quiet@example.org")


@pytest.mark.django_db
def test_article_author_replying_to_is_notified_once_not_twice(smtp_server):
    writer = UserFactory(email="writer@example.org")
    article = ArticleFactory(author=writer)
    parent = CommentFactory(article=article, author=writer)
    reply = CommentFactory(parent=parent)
    assert notifications.comment_notify(comment_id=reply.pk) == 1
    assert len(smtp_server.to("writer@example.org")) == 1


@pytest.mark.django_db
def test_moderators_get_a_digest_only_when_the_queue_is_not_empty_and_once(
    smtp_server, staff_groups
):
    moderator = UserFactory(email="mod@example.org", is_staff=True)
    moderator.groups.add(staff_groups["Moderators"])
    assert notifications.moderation_digest_send(period="2026-11-25") == 0  # empty queue
    CommentFactory(status=Comment.Status.PENDING, held_reason="contains 3 links", body="Spammy?")
    assert notifications.moderation_digest_send(period="2026-11-25") == 1
    assert notifications.moderation_digest_send(period="2026-11-25") == 0  # fired twice
    digest = smtp_server.wait_for_message("mod@example.org")
    assert digest["Subject"] == "[Driverline] 1 comment waiting for moderation"
    text = digest.get_body(preferencelist=("plain",)).get_content()
    assert "Spammy?" in text
    assert "contains 3 links" in text
    assert ModerationDigest.objects.count() == 1


@pytest.mark.django_db
def test_settings_page_saves_profile_and_opt_outs(client):
    user = UserFactory()
    client.force_login(user)
    assert client.get("/accounts/settings/").status_code == 200
    response = client.post(
        "/accounts/settings/",
        {"display_name": "Ana", "role": "researcher", "expertise": "", "competing_interests": ""},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.display_name, user.role, user.notify_replies) == ("Ana", "researcher", False)
    assert client.post("/accounts/settings/", {"role": "wizard"}).status_code == 400


@pytest.mark.django_db(transaction=True)
def test_a_reply_at_the_cap_never_lands_under_spam_and_tells_the_reader_replied_to(
    client, smtp_server, celery_worker, settings
):
    settings.COMMENTS_MAX_DEPTH, settings.COMMENTS_TRUSTED_AFTER = 3, 0
    root = CommentFactory(author=UserFactory(email="root@example.org"))
    spam = CommentFactory(parent=root, author=UserFactory(email="spammer@example.org"))
    at_cap = CommentFactory(parent=spam, author=UserFactory(email="clicked@example.org"))
    comment_moderate(comments=[spam], moderator=ModeratorFactory(), action="spam", reason="spam")
    client.force_login(UserFactory(display_name="Omar", role="clinician"))

    client.post(
        f"/articles/{root.article.slug}/comments/",
        {"body": "Answering you", "parent": at_cap.pk},
    )

    reply = Comment.objects.get(body="Answering you")
    assert (reply.parent, reply.in_reply_to, reply.depth) == (root, at_cap, 1)
    notice = smtp_server.wait_for_message("clicked@example.org")
    assert "Omar replied to your comment" in notice["Subject"]
    smtp_server.wait_for_message(root.article.author.email)  # the article's author, as ever
    assert not smtp_server.to("spammer@example.org")
    assert not smtp_server.to("root@example.org")


@pytest.mark.django_db(transaction=True)
def test_a_dead_or_deferred_moderator_address_never_blocks_or_repeats_the_others_digest(
    smtp_server, celery_worker, staff_groups, settings
):
    settings.COMMENTS_DIGEST_RETRY_SECONDS = 0
    addresses = ["mod@example.org", "late@example.org", "dead@example.org"]
    for address in addresses:  # tried in this order
        UserFactory(email=address, is_staff=True).groups.add(staff_groups["Moderators"])
    CommentFactory(status=Comment.Status.PENDING)
    smtp_server.defer_rcpt["late@example.org"] = 1  # 451 once: reached on the retry
    smtp_server.refuse.add("dead@example.org")  # 550, every time

    send_moderation_digest.delay()

    smtp_server.wait_for_message("late@example.org", timeout=30)
    assert [len(smtp_server.to(address)) for address in addresses] == [1, 1, 0]
    wait_for(lambda: ModerationDigestReceipt.objects.count() == 3, message="a copy unrecorded")
    receipts = dict(ModerationDigestReceipt.objects.values_list("recipient__email", "outcome"))
    assert receipts == {
        "mod@example.org": "sent",
        "late@example.org": "sent",
        "dead@example.org": "refused",
    }
    assert notifications.moderation_digest_send() == 0  # beat fires again the same day
    assert len(smtp_server.messages) == 2


@pytest.mark.django_db(transaction=True)
def test_a_refused_comment_notice_is_recorded_failed_and_never_retried(
    smtp_server, celery_worker, settings
):
    """5xx is final (core.mail's one policy): the refusal is recorded with the server's
    answer, the worker does not try again, and the other reader still hears."""
    settings.COMMENTS_TRUSTED_AFTER = 0
    article = ArticleFactory(author=UserFactory(email="writer@example.org", is_staff=True))
    parent = CommentFactory(article=article, author=UserFactory(email="gone@example.org"))
    smtp_server.refuse.add("gone@example.org")  # 550, every time

    reply = comment_submit(article=article, author=UserFactory(), body="Agreed.", parent=parent)

    smtp_server.wait_for_message("writer@example.org")
    failed = wait_for(
        lambda: Notification.objects.filter(recipient=parent.author).first(),
        message="the refusal was not recorded",
    )
    assert failed.outcome == Notification.Outcome.FAILED
    assert failed.detail.startswith("550 5.1.1")
    # A retry (the task again, or beat) finds the ledger row and tries nobody.
    assert notifications.comment_notify(comment_id=reply.pk) == 0
    assert smtp_server.tried.count("gone@example.org") == 1
    assert not smtp_server.to("gone@example.org")
