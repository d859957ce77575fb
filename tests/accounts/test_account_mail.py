"""Account mail as readers receive it: our words, the site's name, a plain and a styled part,
and links on SITE_URL, through a real worker and a real SMTP server."""

import re

import pytest

from tests.conftest import wait_for
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def parts(message) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def assert_ours(message, *, site_url: str = "https://driverline.example") -> tuple[str, str]:
    """What every account mail carries, whatever it is about."""
    assert message["Subject"].startswith("[Driverline] ")
    text, html = parts(message)
    for part in (text, html):
        assert "Driverline" in part
        assert "Hello from" not in part
        assert "Thank you for using" not in part
        assert "{{" not in part
        assert "{%" not in part
    links = re.findall(r"https?://[^\s\"<>]+", text) + re.findall(r'href="([^"]+)"', html)
    assert links
    assert all(link.startswith(f"{site_url}/") for link in links), links
    # Styled inline like the rest of our mail: clients that drop <style> still show it.
    assert re.search(r'<body style="[^"]*font-family', html)
    assert "It is not the newsletter" in text
    return text, html


@pytest.fixture
def site(settings):
    settings.SITE_URL = "https://driverline.example"


def test_the_sign_up_mail_welcomes_the_reader_and_asks_them_to_confirm(
    client, site, smtp_server, celery_worker
):
    client.post(
        "/accounts/signup/",
        {
            "email": "new@example.org",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "display_name": "Nadia K.",
        },
    )
    message = smtp_server.wait_for_message("new@example.org")
    assert message["Subject"] == "[Driverline] Confirm your email address to finish signing up"
    text, html = assert_ours(message)
    assert text.startswith("Hello Nadia K.,")
    assert "Welcome to Driverline" in text
    link = re.search(r"https://driverline\.example/accounts/confirm-email/\S+/", text).group(0)
    button = re.search(rf'<a [^>]*href="{re.escape(link)}"[^>]*>', html).group(0)
    assert re.search(r'style="[^"]*background', button), button
    assert "If it was not you, ignore this mail" in text
    assert "works for 3 days" in text


def test_the_password_reset_mail_says_what_to_do_and_what_if_it_was_not_you(
    client, site, smtp_server, celery_worker
):
    UserFactory(email="known@example.org")
    client.post("/accounts/password/reset/", {"email": "known@example.org"})
    message = smtp_server.wait_for_message("known@example.org")
    assert message["Subject"] == "[Driverline] Reset your password"
    text, html = assert_ours(message)
    link = re.search(r"https://driverline\.example/accounts/password/reset/key/\S+/", text)
    assert link, text
    assert f'href="{link.group(0)}"' in html
    assert "your password stays as it is" in text


def test_a_reset_for_an_unknown_address_and_a_second_sign_up_are_told_kindly(
    client, site, smtp_server, celery_worker
):
    UserFactory(email="taken@example.org")
    client.post("/accounts/password/reset/", {"email": "nobody@example.org"})
    client.post(
        "/accounts/signup/",
        {"email": "taken@example.org", "password1": PASSWORD, "password2": PASSWORD},
    )
    unknown = smtp_server.wait_for_message("nobody@example.org")
    assert unknown["Subject"] == "[Driverline] There is no account at this address"
    assert "/accounts/signup/" in assert_ours(unknown)[0]
    taken = smtp_server.wait_for_message("taken@example.org")
    assert taken["Subject"] == "[Driverline] You already have an account"
    assert "/accounts/password/reset/" in assert_ours(taken)[0]


def test_a_changed_password_is_announced_with_a_way_back_if_it_was_not_you(
    client, site, smtp_server, celery_worker
):
    user = UserFactory(email="reader@example.org")
    client.force_login(user)
    response = client.post(
        "/accounts/password/change/",
        {
            "oldpassword": PASSWORD,
            "password1": "a new long passphrase",
            "password2": "a new long passphrase",
        },
    )
    assert response.status_code == 302
    message = wait_for(lambda: next(iter(smtp_server.to("reader@example.org")), None))
    assert message["Subject"] == "[Driverline] Your password was changed"
    text, html = assert_ours(message)
    assert "If it was not you" in text
    assert "Choose a new password" in html
    assert "https://driverline.example/accounts/password/reset/" in text
    assert "127.0.0.1" in text


@pytest.mark.django_db(transaction=False)
def test_every_mail_allauth_can_send_has_our_subject_text_and_html():
    from pathlib import Path

    import allauth
    from django.template.loader import get_template

    ours = Path(__file__).resolve().parents[2] / "site" / "templates" / "account" / "email"
    stock = Path(allauth.__file__).parent / "templates" / "account" / "email"
    for subject in stock.glob("*_subject.txt"):
        name = subject.name.removesuffix("_subject.txt")
        for suffix in ("_subject.txt", "_message.txt", "_message.html"):
            assert (ours / f"{name}{suffix}").is_file(), f"{name}{suffix}"
            assert get_template(f"account/email/{name}{suffix}").origin.name.startswith(str(ours))
