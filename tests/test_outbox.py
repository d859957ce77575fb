import pytest
from django.core.mail import send_mail

pytestmark = pytest.mark.django_db


def test_development_mail_lands_in_var_mail_and_staff_can_read_it(
    settings, tmp_path, admin_client, client
):
    settings.EMAIL_BACKEND = "config.mail.EmlFileBackend"
    settings.EMAIL_FILE_PATH = tmp_path
    send_mail("Hello there", "Follow https://example.org/x to go on.", None, ["a@example.org"])
    send_mail("Second", "Body", None, ["b@example.org"])
    files = sorted(tmp_path.glob("*.eml"))
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
