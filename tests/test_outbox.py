import pytest
from django.core.mail import send_mail

from core.mail import ACCOUNT_SECURITY_HEADER
from tests.conftest import wait_for
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def mail_files(settings, tmp_path):
    settings.EMAIL_BACKEND = "core.mail.EmlFileBackend"
    settings.EMAIL_FILE_PATH = tmp_path
    return tmp_path


def test_development_mail_lands_in_var_mail_and_superusers_can_read_it(
    mail_files, admin_client, client
):
    send_mail("Hello there", "Follow https://example.org/x to go on.", None, ["a@example.org"])
    send_mail("Second", "Body", None, ["b@example.org"])
    files = sorted(mail_files.glob("*.eml"))
    assert len(files) == 2  # one file per message
    listing = admin_client.get("/admin/outbox/").content.decode()
    assert "Hello there" in listing
    assert "b@example.org" in listing
    hello = next(f for f in files if b"Hello there" in f.read_bytes())
    page = admin_client.get(f"/admin/outbox/{hello.name}/").content.decode()
    assert 'href="https://example.org/x"' in page
    assert admin_client.get("/admin/outbox/..%2Fsecret_key/").status_code == 404
    assert admin_client.get("/admin/outbox/missing.eml/").status_code == 404
    assert client.get("/admin/outbox/").status_code == 302  # the public is sent to log in


def test_the_outbox_is_for_superusers_only(mail_files, client, staff_groups):
    send_mail("Hello there", "Body", None, ["a@example.org"])
    name = next(mail_files.glob("*.eml")).name
    moderator = UserFactory(is_staff=True)
    moderator.groups.add(staff_groups["Moderators"])
    for user in (moderator, UserFactory(is_staff=True), UserFactory()):
        client.force_login(user)
        assert client.get("/admin/outbox/").status_code == 403
        assert client.get(f"/admin/outbox/{name}/").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_the_outbox_never_shows_account_mail_not_even_to_superusers(
    mail_files, admin_client, client, celery_worker
):
    UserFactory(email="editor@example.org")
    client.post("/accounts/password/reset/", {"email": "editor@example.org"})
    signup = {"email": "new@example.org", "password1": PASSWORD, "password2": PASSWORD}
    client.post("/accounts/signup/", signup)
    send_mail("A comment notification", "Body", None, ["reader@example.org"])
    wait_for(lambda: len(list(mail_files.glob("*.eml"))) == 3, message="three messages")
    files = list(mail_files.glob("*.eml"))
    account_mail = [f for f in files if ACCOUNT_SECURITY_HEADER.encode() in f.read_bytes()]
    assert len(account_mail) == 2  # the reset link and the verification link
    listing = admin_client.get("/admin/outbox/").content.decode()
    assert "A comment notification" in listing
    assert "editor@example.org" not in listing
    assert "new@example.org" not in listing
    for path in account_mail:
        assert admin_client.get(f"/admin/outbox/{path.name}/").status_code == 404


@pytest.mark.parametrize("backend", ["django.core.mail.backends.smtp.EmailBackend",
                                     "django.core.mail.backends.locmem.EmailBackend"])  # fmt: skip
def test_the_outbox_is_not_there_unless_mail_is_written_to_files(
    mail_files, settings, admin_client, client, backend
):
    send_mail("Hello there", "Body", None, ["a@example.org"])
    name = next(mail_files.glob("*.eml")).name
    settings.EMAIL_BACKEND = backend
    assert admin_client.get("/admin/outbox/").status_code == 404
    assert admin_client.get(f"/admin/outbox/{name}/").status_code == 404
    assert client.get("/admin/outbox/").status_code == 404  # not even a login page
