import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import MD5PasswordHasher

from accounts.models import User
from tests.conftest import wait_for
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_email_is_the_login_and_is_case_insensitive():
    user = User.objects.create_user("Ada@Example.org", "pw")
    assert user.email == "ada@example.org"
    assert User.objects.get_by_natural_key("ADA@example.ORG") == user
    assert user.public_name == "Reader"  # never a part of the address


@pytest.mark.django_db(transaction=True)
def test_signup_sends_verification_mail_after_the_request_through_celery(
    client, smtp_server, celery_worker
):
    response = client.post(
        "/accounts/signup/",
        {
            "email": "new@example.org",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "display_name": "New Reader",
        },
    )
    assert response.status_code == 302
    assert User.objects.get(email="new@example.org").display_name == "New Reader"
    message = smtp_server.wait_for_message("new@example.org")
    assert "Confirm" in message["Subject"] or "confirm" in message["Subject"].lower()
    assert "List-Unsubscribe" not in message  # account mail is not list mail
    body = message.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"http://testserver/accounts/confirm-email/\S+/", body)
    assert link, body
    page = client.get(link.group(0))
    assert page.status_code == 200
    client.post(link.group(0))
    assert EmailAddress.objects.get(email="new@example.org").verified


@pytest.mark.django_db(transaction=True)
def test_signup_with_a_known_address_reveals_nothing(client, smtp_server, celery_worker):
    UserFactory(email="taken@example.org")
    response = client.post(
        "/accounts/signup/",
        {"email": "taken@example.org", "password1": PASSWORD, "password2": PASSWORD},
    )
    fresh = client.__class__().post(
        "/accounts/signup/",
        {"email": "fresh@example.org", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == fresh.status_code == 302
    assert response["Location"] == fresh["Location"]
    # The owner of the address is told by mail instead.
    notice = smtp_server.wait_for_message("taken@example.org")
    assert "already" in notice.get_body(preferencelist=("plain",)).get_content().lower()
    assert User.objects.filter(email="taken@example.org").count() == 1


class CountingHasher(MD5PasswordHasher):
    """The test hasher, counting how many passwords it hashes: the slow part of a sign-up."""

    hashed = 0

    def encode(self, password, salt):
        CountingHasher.hashed += 1
        return super().encode(password, salt)


def test_signup_with_a_known_address_does_the_hashing_work_of_a_new_one(client, settings):
    settings.PASSWORD_HASHERS = ["tests.accounts.test_accounts.CountingHasher"]
    UserFactory(email="taken@example.org")
    hashed = {}
    for email in ("taken@example.org", "fresh@example.org"):
        CountingHasher.hashed = 0
        response = client.__class__().post(
            "/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD}
        )
        assert response.status_code == 302
        hashed[email] = CountingHasher.hashed
    assert hashed["taken@example.org"] == hashed["fresh@example.org"] > 0


def test_unverified_reader_cannot_sign_in_until_verified(client):
    UserFactory(email="unverified@example.org", verified=False)
    response = client.post(
        "/accounts/login/", {"login": "unverified@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert "confirm-email" in response["Location"]
    assert "_auth_user_id" not in client.session


def test_verified_reader_signs_in_and_out(client):
    UserFactory(email="reader@example.org")
    response = client.post(
        "/accounts/login/", {"login": "reader@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert "_auth_user_id" in client.session
    client.post("/accounts/logout/")
    assert "_auth_user_id" not in client.session


def test_repeated_failed_logins_lock_the_account_for_a_while(client):
    UserFactory(email="target@example.org")
    for _ in range(5):
        client.post("/accounts/login/", {"login": "target@example.org", "password": "wrong"})
    # Even the right password is refused now, as a rate limit, in the site's layout.
    response = client.post(
        "/accounts/login/", {"login": "target@example.org", "password": PASSWORD}
    )
    assert response.status_code == 429
    assert response["Retry-After"] == "300"  # allauth's longest window: 5/5m per address
    page = response.content.decode()
    assert "Too many attempts" in page
    assert 'class="site-header"' in page
    assert "_auth_user_id" not in client.session


def test_floods_of_signups_get_429(client, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "signup": "3/m/ip"}
    statuses = [
        client.post("/accounts/signup/", {"email": f"flood{n}@example.org"}).status_code
        for n in range(5)
    ]
    assert statuses[:3] == [200, 200, 200]  # the form answers (missing passwords)
    assert statuses[-1] == 429
    refused = client.post("/accounts/signup/", {"email": "flood@example.org"})
    assert int(refused["Retry-After"]) > 0
    assert 'class="site-header"' in refused.content.decode()


def test_password_reset_answers_the_same_for_unknown_addresses(client):
    UserFactory(email="known@example.org")
    known = client.post("/accounts/password/reset/", {"email": "known@example.org"})
    unknown = client.post("/accounts/password/reset/", {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]


def test_admin_login_goes_through_the_rate_limited_site_login(client):
    response = client.get("/admin/login/?next=/admin/articles/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2Farticles%2F"
    evil = client.get("/admin/login/?next=https://evil.example/")
    assert "evil.example" not in evil["Location"]
    assert client.get("/admin/").status_code == 302


def test_a_signed_in_reader_opening_the_admin_gets_a_clear_403_not_a_login_loop(client):
    client.force_login(UserFactory())
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403
    page = response.content.decode()
    assert 'class="site-header"' in page  # the site's layout
    assert "editors and moderators" in page
    assert 'href="/">Go to the home page' in page


def test_staff_groups_hold_only_what_their_work_needs(staff_groups):
    editors = set(staff_groups["Editors"].permissions.values_list("codename", flat=True))
    moderators = set(staff_groups["Moderators"].permissions.values_list("codename", flat=True))
    assert {"add_article", "change_article", "publish_article", "add_faqentry"} <= editors
    assert {"add_edition", "change_edition", "view_subscriber"} <= editors
    assert not any(code.endswith("_user") or code.endswith("_group") for code in editors)
    assert "view_article" in moderators
    assert "change_article" not in moderators
    assert "publish_article" not in moderators
    assert "view_user" in moderators  # the ban form's user search
    assert not {"add_user", "change_user", "delete_user"} & moderators


@pytest.mark.django_db(transaction=True)
def test_changing_email_verifies_the_new_address_first(client, smtp_server, celery_worker):
    user = UserFactory(email="old@example.org")
    client.force_login(user)
    page = client.get("/accounts/email/")
    assert page.status_code == 200
    assert "old@example.org" in page.content.decode()
    client.post("/accounts/email/", {"action_add": "", "email": "new@example.org"})
    message = smtp_server.wait_for_message("new@example.org")
    assert "confirm-email" in message.get_body(preferencelist=("plain",)).get_content()
    user.refresh_from_db()
    assert user.email == "old@example.org"  # unchanged until the new address is confirmed


def test_account_pages_share_the_site_layout(client):
    client.force_login(UserFactory())
    for url in ("/accounts/email/", "/accounts/password/change/"):
        page = client.get(url).content.decode()
        assert 'class="site-header"' in page, url
        assert 'aria-label="Account settings"' in page, url


@pytest.mark.django_db(transaction=True)
def test_account_mail_links_point_at_site_url_whatever_the_host_header(
    client, settings, smtp_server, celery_worker
):
    settings.SITE_URL = "https://driverline.example"
    UserFactory(email="known@example.org")
    forged = {"HTTP_HOST": "attacker.example"}  # allowed here (ALLOWED_HOSTS is "*" in tests)
    signup = {"password1": PASSWORD, "password2": PASSWORD}
    client.post("/accounts/signup/", {"email": "new@example.org", **signup}, **forged)
    client.__class__().post("/accounts/signup/", {"email": "known@example.org", **signup}, **forged)
    client.post("/accounts/password/reset/", {"email": "known@example.org"}, **forged)
    client.post("/accounts/password/reset/", {"email": "nobody@example.org"}, **forged)
    wait_for(lambda: len(smtp_server.messages) == 4, message="four account messages")
    for message in smtp_server.messages:
        text = message.as_string()
        links = re.findall(r"https?://\S+", text)
        assert links, text
        assert all(link.startswith("https://driverline.example/") for link in links), text
        assert "attacker.example" not in text
        assert "The Driverline team" in text
