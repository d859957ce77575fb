"""DKIM signatures on our mail as the SMTP server receives it, verified with dkimpy against
the public key, through the newsletter engine's own connection and the send task alike; and
the settings that choose the signing backend or refuse a key that cannot work."""

from __future__ import annotations

import os
import re
import runpy
import subprocess
import sys

import dkim
import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured

from core import checks
from core.dkim_signing import private_key_load
from core.mail import _send_email, email_payload, render_mail
from newsletter import delivery
from newsletter.models import Delivery, Subscriber
from tests.core.conftest import make_key
from tests.newsletter.mailings import edition, sending, subscribers

SELECTOR = "dl2026"
LIST_FROM = "Driverline newsletter <newsletter@driverline.example>"
ACCOUNT_FROM = "Driverline <accounts@accounts.driverline.example>"


@pytest.fixture
def signing(settings, smtp_server, dkim_key):
    """Mail over SMTP, signed as the settings would have it with DKIM configured."""
    settings.EMAIL_BACKEND = "core.mail.SigningSmtpBackend"
    settings.DKIM_SELECTOR, settings.DKIM_DOMAIN = SELECTOR, ""
    settings.DKIM_PRIVATE_KEY = dkim_key.pem
    settings.NEWSLETTER_FROM_EMAIL, settings.DEFAULT_FROM_EMAIL = LIST_FROM, ACCOUNT_FROM
    return smtp_server


def published(key, *domains):
    """dkimpy's DNS lookup, answered with our key's record at the selector of each domain."""
    records = {f"{SELECTOR}._domainkey.{domain}": key.record for domain in domains}

    def dnsfunc(name: bytes, timeout: int = 5) -> str | None:
        return records.get(name.decode().rstrip("."))

    return dnsfunc


def signature_tags(raw: bytes) -> dict[str, str]:
    head = raw.split(b"\r\n\r\n", 1)[0].decode()
    value = re.search(r"^DKIM-Signature:(.*?)(?=\r\n\S)", head, re.S | re.M).group(1)
    return {
        name.strip(): "".join(text.split())
        for name, text in (part.split("=", 1) for part in value.split(";") if "=" in part)
    }


@pytest.mark.django_db
def test_newsletter_mail_sent_by_the_engine_is_signed_and_verifies(signing, dkim_key):
    subscribers(3)
    signing.refuse = {"s1@example.org"}
    mailing = sending(edition())

    assert delivery.send_batch(edition_id=mailing.pk) == 3

    assert len(signing.envelopes) == 2
    for envelope in signing.envelopes:
        raw = envelope.original_content
        assert dkim.verify(raw, dnsfunc=published(dkim_key, "driverline.example"))
        tags = signature_tags(raw)
        assert (tags["d"], tags["s"], tags["c"]) == (
            "driverline.example",
            SELECTOR,
            "relaxed/relaxed",
        )
        signed = set(tags["h"].lower().split(":"))
        assert {"from", "to", "subject", "date", "message-id", "list-id"} <= signed
        assert {"list-unsubscribe", "list-unsubscribe-post"} <= signed
        assert "cc" not in signed  # only headers the message has
    # Signing changes nothing of what the engine records, recipient by recipient.
    assert Subscriber.objects.get(email="s1@example.org").status == Subscriber.Status.BOUNCED
    assert sorted(Delivery.objects.values_list("status", flat=True)) == ["bounced", "sent", "sent"]


@pytest.mark.django_db
def test_a_subject_changed_after_signing_fails_verification(signing, dkim_key):
    subscribers(1)
    delivery.send_batch(edition_id=sending(edition()).pk)
    raw = signing.envelopes[0].original_content
    dnsfunc = published(dkim_key, "driverline.example")
    assert dkim.verify(raw, dnsfunc=dnsfunc)

    tampered = raw.replace(b"Subject: This week", b"Subject: Last week", 1)

    assert tampered != raw
    assert not dkim.verify(tampered, dnsfunc=dnsfunc)


@pytest.mark.django_db
def test_account_mail_from_the_send_task_is_signed_for_its_own_from_domain(
    signing, dkim_key, other_dkim_key
):
    message = render_mail(
        "newsletter/email/attention",
        to="editor@example.org",
        context={"edition": edition(), "edition_url": "https://driverline.example/admin/"},
    )

    _send_email(email_payload(message))  # the Celery task's body, as a worker runs it

    raw = signing.envelopes[-1].original_content
    assert signature_tags(raw)["d"] == "accounts.driverline.example"
    assert dkim.verify(raw, dnsfunc=published(dkim_key, "accounts.driverline.example"))
    assert not dkim.verify(raw, dnsfunc=published(other_dkim_key, "accounts.driverline.example"))


@pytest.mark.django_db
def test_dkim_domain_signs_every_from_domain_with_one_d(signing, settings, dkim_key):
    settings.DKIM_DOMAIN = "driverline.example"
    message = render_mail(
        "newsletter/email/attention",
        to="editor@example.org",
        context={"edition": edition(), "edition_url": "https://driverline.example/admin/"},
    )
    _send_email(email_payload(message))

    raw = signing.envelopes[-1].original_content
    assert signature_tags(raw)["d"] == "driverline.example"
    assert dkim.verify(raw, dnsfunc=published(dkim_key, "driverline.example"))


@pytest.mark.django_db
@pytest.mark.parametrize("backend", ["django.core.mail.backends.smtp.EmailBackend", "signing"])
def test_without_a_dkim_key_no_message_carries_a_signature(smtp_server, settings, backend):
    if backend == "signing":
        settings.EMAIL_BACKEND = "core.mail.SigningSmtpBackend"
    settings.DKIM_SELECTOR, settings.DKIM_PRIVATE_KEY = SELECTOR, ""
    subscribers(2)
    delivery.send_batch(edition_id=sending(edition()).pk)

    assert len(smtp_server.envelopes) == 2
    assert all(b"DKIM-Signature" not in e.original_content for e in smtp_server.envelopes)


def settings_from(monkeypatch, tmp_path, **environment) -> dict:
    """config/settings.py run afresh with this environment (and no .env file)."""
    for name in ("EMAIL_URL", "DKIM_SELECTOR", "DKIM_DOMAIN", "DKIM_PRIVATE_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("DKIM_PRIVATE_KEY_FILE", raising=False)
    monkeypatch.setenv("ENV_FILE", str(tmp_path / "no.env"))
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SECRET_KEY", "test-only-secret")
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(django_settings.BASE_DIR / "config" / "settings.py"))


def test_settings_sign_smtp_mail_only_when_a_key_is_configured(monkeypatch, tmp_path, dkim_key):
    key_file = tmp_path / "dkim.pem"
    key_file.write_text(dkim_key.pem)
    smtp = {"EMAIL_URL": "smtp://127.0.0.1:2525"}
    key = {"DKIM_SELECTOR": SELECTOR, "DKIM_PRIVATE_KEY_FILE": str(key_file)}

    signed = settings_from(monkeypatch, tmp_path, **smtp, **key)
    assert signed["EMAIL_BACKEND"] == "core.mail.SigningSmtpBackend"
    assert signed["DKIM_PRIVATE_KEY"] == dkim_key.pem.strip() + "\n"
    plain = settings_from(monkeypatch, tmp_path, **smtp, DKIM_SELECTOR=SELECTOR)
    assert plain["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    files = settings_from(monkeypatch, tmp_path, **key)
    assert files["EMAIL_BACKEND"] == "core.mail.EmlFileBackend"
    # The key as text in the environment, its newlines written as \n.
    inline = settings_from(
        monkeypatch, tmp_path, **smtp, DKIM_SELECTOR=SELECTOR,
        DKIM_PRIVATE_KEY=dkim_key.pem.strip().replace("\n", "\\n"),
    )  # fmt: skip
    assert inline["DKIM_PRIVATE_KEY"] == signed["DKIM_PRIVATE_KEY"]


def test_a_process_with_an_unreadable_key_refuses_to_start(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DKIM_", "DJANGO_SET"))},
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "ENV_FILE": str(tmp_path / "no.env"),
        "VAR_DIR": str(tmp_path / "var"),
        "DKIM_SELECTOR": SELECTOR,
        "DKIM_PRIVATE_KEY_FILE": str(tmp_path / "missing.pem"),
    }
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured: DKIM_PRIVATE_KEY_FILE" in result.stderr
    assert "missing.pem" in result.stderr


@pytest.fixture(scope="module")
def short_key() -> str:
    return make_key(512).pem


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"pem": "KEY", "path": "/etc/dkim.pem"}, "not both"),
        ({"path": "/nonexistent/dkim.pem"}, "DKIM_PRIVATE_KEY_FILE (/nonexistent/dkim.pem)"),
        ({"pem": "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----"}, "PEM"),
        ({"pem": "not a key at all"}, "not an RSA private key"),
        ({"pem": "short"}, "512-bit key"),
        ({"pem": "good", "selector": ""}, "DKIM_SELECTOR is not"),
        ({"pem": "good", "selector": "bad selector"}, "DKIM_SELECTOR 'bad selector'"),
        ({"pem": "good", "domain": "-bad-.example"}, "DKIM_DOMAIN"),
    ],
)
def test_a_key_that_cannot_work_is_refused_naming_the_setting(values, named, dkim_key, short_key):
    pems = {"good": dkim_key.pem, "short": short_key}
    arguments = {"selector": SELECTOR, **values}
    arguments["pem"] = pems.get(arguments.get("pem", ""), arguments.get("pem", ""))
    with pytest.raises(ImproperlyConfigured, match=re.escape(named)):
        private_key_load(**arguments)


def test_a_selector_alone_signs_nothing():
    assert private_key_load(selector=SELECTOR) == ""


def test_system_checks_report_a_bad_key_a_backend_that_cannot_sign_and_a_foreign_domain(
    settings, dkim_key
):
    settings.DKIM_SELECTOR, settings.DKIM_DOMAIN = SELECTOR, ""
    settings.DKIM_PRIVATE_KEY = "-----BEGIN PRIVATE KEY-----\nbm9wZQ==\n-----END PRIVATE KEY-----"
    assert [m.id for m in checks.dkim_settings_check()] == ["core.E001"]

    settings.DKIM_PRIVATE_KEY = dkim_key.pem
    settings.EMAIL_BACKEND = "core.mail.SigningSmtpBackend"
    settings.NEWSLETTER_FROM_EMAIL = "Driverline newsletter <newsletter@news.driverline.example>"
    settings.DEFAULT_FROM_EMAIL = "Driverline <accounts@driverline.example>"
    settings.DKIM_DOMAIN = "driverline.example"
    assert checks.dkim_settings_check() == []

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DKIM_DOMAIN = "elsewhere.example"
    assert [m.id for m in checks.dkim_settings_check()] == ["core.W001", "core.W002", "core.W002"]


def test_no_dkim_settings_no_check_messages(settings):
    settings.DKIM_SELECTOR = settings.DKIM_DOMAIN = settings.DKIM_PRIVATE_KEY = ""
    assert checks.dkim_settings_check() == []
