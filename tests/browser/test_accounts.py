"""A new reader signs up, gets the verification mail on a real SMTP server, and is signed in."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import User

pytestmark = pytest.mark.django_db(transaction=True)


def test_new_reader_signs_up_verifies_by_mail_and_is_signed_in(
    page, live_server, smtp_server, celery_worker, axe_check
):
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Join").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Sign Up")
    axe_check(page, context="signup")
    page.get_by_label("Email:", exact=True).fill("maria@example.org")
    page.get_by_label("Display name").fill("Maria, carer")
    page.get_by_label(re.compile(r"^Password:?$")).fill("a long and unusual passphrase")
    page.get_by_label("Password (again)").fill("a long and unusual passphrase")
    page.get_by_role("button", name="Sign Up").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Verify")
    axe_check(page, context="verification sent")

    message = smtp_server.wait_for_message("maria@example.org")
    body = message.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", body).group(0)
    path = "/" + link.split("/", 3)[3]

    page.goto(live_server.url + path)
    axe_check(page, context="confirm email")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("navigation", name="Account")).to_contain_text("Maria, carer")
    assert User.objects.get(email="maria@example.org").emailaddress_set.get().verified
