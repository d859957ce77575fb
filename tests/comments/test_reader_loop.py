"""The reader's loop: from an article to an account and back to its comment form."""

import html
import re

import pytest
from django.test import Client

from accounts.models import User
from tests.conftest import wait_for
from tests.factories import PASSWORD, ArticleFactory

pytestmark = pytest.mark.django_db


def _sign_up_from_article(client, smtp_server, article, email: str) -> str:
    """Follow the article's own sign-up link; returns the confirmation link mailed."""
    page = client.get(article.get_absolute_url()).content.decode()
    signup = html.unescape(
        re.search(r'href="(/accounts/signup/\?next=[^"]+)">create a free', page).group(1)
    )
    form = client.get(signup).content.decode()
    carried = html.unescape(re.search(r'name="next" value="([^"]+)"', form).group(1))
    assert carried == f"{article.get_absolute_url()}#comment-form"
    response = client.post(
        signup,
        {"email": email, "password1": PASSWORD, "password2": PASSWORD, "display_name": "Nadia"},
    )
    assert response.status_code == 302
    message = smtp_server.wait_for_message(email)
    text = message.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"https?://\S+/accounts/confirm-email/\S+", text).group(0)


def _confirm(client, link: str):
    path = "/" + link.split("/", 3)[3]
    page = client.get(path).content.decode()
    carried = re.search(r'name="next" value="([^"]+)"', page)
    data = {"next": html.unescape(carried.group(1))} if carried else {}
    return client.post(path.split("?")[0], data)


@pytest.mark.django_db(transaction=True)
def test_confirming_in_the_same_browser_signs_in_and_returns_to_the_comment_form(
    client, smtp_server, celery_worker
):
    article = ArticleFactory()
    link = _sign_up_from_article(client, smtp_server, article, "nadia@example.org")
    response = _confirm(client, link)
    assert response.status_code == 302
    assert response["Location"] == f"{article.get_absolute_url()}#comment-form"
    page = client.get(article.get_absolute_url()).content.decode()
    assert "Add your comment" in page
    assert User.objects.get(email="nadia@example.org").emailaddress_set.get().verified


@pytest.mark.django_db(transaction=True)
def test_confirming_in_another_browser_asks_for_sign_in_then_returns_to_the_article(
    client, smtp_server, celery_worker
):
    article = ArticleFactory()
    link = _sign_up_from_article(client, smtp_server, article, "omar@example.org")
    other = Client()  # the mail opened on a phone, say
    response = _confirm(other, link)
    assert response.status_code == 302
    login = response["Location"]
    assert login.startswith("/accounts/login/?next=")
    response = other.post(login, {"login": "omar@example.org", "password": PASSWORD})
    assert response["Location"] == f"{article.get_absolute_url()}#comment-form"


def test_a_confirmation_link_never_carries_another_sites_address(client, smtp_server):
    # Resent from the settings page, or with a foreign `next`: the plain link, as before.
    from accounts.adapter import _local_next

    request = Client().get("/").wsgi_request
    request.GET = request.GET.copy()
    request.GET["next"] = "https://evil.example/"
    assert _local_next(request) == ""
    request.GET["next"] = "//evil.example/"
    assert _local_next(request) == ""
    request.GET["next"] = "/articles/x/#comment-form"
    assert _local_next(request) == "/articles/x/#comment-form"


def test_the_sign_in_message_ends_with_one_full_stop_after_a_name_ending_in_one(client):
    from tests.factories import UserFactory

    UserFactory(email="nadia@example.org", display_name="Nadia K.")
    response = client.post(
        "/accounts/login/", {"login": "nadia@example.org", "password": PASSWORD}, follow=True
    )
    text = [str(message) for message in response.context["messages"]]
    assert text == ["You are signed in as Nadia K."]


@pytest.mark.django_db(transaction=True)
def test_an_approved_comment_tells_its_author_by_mail_and_once_on_their_next_visit(
    client, smtp_server, celery_worker, staff_groups
):
    from comments.models import Comment, Notification
    from tests.factories import UserFactory

    article = ArticleFactory(title="Small cohorts")
    quiet = UserFactory(email="quiet@example.org", role="patient", notify_comment_approved=False)
    keen = UserFactory(email="keen@example.org", role="carer")
    for reader in (quiet, keen):
        client.force_login(reader)
        client.post(f"{article.get_absolute_url()}comments/", {"body": "Is the trial open?"})
    waiting = list(Comment.objects.filter(status=Comment.Status.PENDING).order_by("pk"))
    assert [c.author for c in waiting] == [quiet, keen]
    moderator = UserFactory(is_staff=True)
    moderator.groups.add(staff_groups["Moderators"])
    client.force_login(moderator)
    for comment in waiting:  # the quiet reader's first, so their task has run by keen's mail
        client.post(f"/comments/{comment.pk}/moderate/", {"action": "approve"})

    mail = smtp_server.wait_for_message("keen@example.org")
    assert mail["Subject"].strip() == "[Driverline] Your comment on “Small cohorts” is published"
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert f"http://testserver/comments/{waiting[1].pk}/" in text
    assert "http://testserver/accounts/settings/" in text
    assert smtp_server.to("quiet@example.org") == []
    # The ledger row commits just after the mail leaves (they share a transaction).
    wait_for(lambda: Notification.objects.filter(kind="approved").count() == 1, timeout=10)
    assert Notification.objects.filter(kind="approved").count() == 1

    for reader in (quiet, keen):  # both see it on the site, once
        client.force_login(reader)
        page = client.get("/").content.decode()
        assert "A moderator published" in page
        assert "your comment on “Small cohorts”" in page
        assert "A moderator published" not in client.get("/").content.decode()


def test_the_settings_page_lists_the_readers_comments_with_a_rejections_reason(client):
    from comments.models import Comment
    from comments.moderation import comment_moderate
    from tests.factories import CommentFactory, ModeratorFactory, UserFactory

    reader = UserFactory()
    published = CommentFactory(author=reader, article=ArticleFactory(title="Small cohorts"))
    waiting = CommentFactory(
        author=reader, status=Comment.Status.PENDING, article=ArticleFactory(title="On testing")
    )
    rejected = CommentFactory(author=reader, article=ArticleFactory(title="Dosing"))
    comment_moderate(
        comments=[rejected], moderator=ModeratorFactory(), action="reject", reason="off topic"
    )
    CommentFactory(article=published.article)  # someone else's
    client.force_login(reader)
    page = client.get("/accounts/settings/").content.decode()
    section = page[page.index('id="your-comments"') :]
    assert section.count('class="own-comments__item"') == 3
    assert f'href="/comments/{published.pk}/">Small cohorts</a>' in section
    assert f'href="/comments/{waiting.pk}/">On testing</a>' in section
    assert "Waiting for a moderator" in section
    assert "Not published: off topic" in section
    assert section.index("Dosing") < section.index("On testing") < section.index("Small cohorts")


def test_reporting_brings_the_reader_back_to_the_comment_or_swaps_in_place(client, settings):
    from tests.factories import CommentFactory, UserFactory

    settings.COMMENTS_HIDE_AFTER_FLAGS = 5
    comment = CommentFactory()
    client.force_login(UserFactory(role="patient"))
    response = client.post(f"/comments/{comment.pk}/report/", {"reason": "abuse"})
    assert response["Location"] == f"/comments/{comment.pk}/"
    assert client.get(response["Location"])["Location"].endswith(f"#comment-{comment.pk}")

    client.force_login(UserFactory(role="carer"))  # with htmx: the report's place, swapped
    response = client.post(
        f"/comments/{comment.pk}/report/", {"reason": "spam"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert f'id="report-{comment.pk}"' in response.content.decode()
    assert "<html" not in response.content.decode()
