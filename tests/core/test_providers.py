"""Choosing a mail provider by configuration alone, and one failure policy for its answers:
a local HTTP server answers as Postmark's API does."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from core.mail import Fault, MailDeferred, MailRefused, deliver, render_mail
from core.providers import anymail_settings, provider_backend
from tests.provider_api import (
    POSTMARK_BAD_TOKEN,
    POSTMARK_INACTIVE,
    POSTMARK_SERVER_ERROR,
)

SHOW = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'backend': s.EMAIL_BACKEND, 'anymail': s.ANYMAIL}))"
)


def _settings_from(env_file, **environment) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANYMAIL_", "EMAIL_"))}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", ENV_FILE=str(env_file), **environment)
    result = subprocess.run(
        [sys.executable, "-c", SHOW],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return {"error": result.stderr} if result.returncode else json.loads(result.stdout)


def test_a_provider_is_chosen_and_configured_by_the_environment_alone(tmp_path):
    env_file = tmp_path / "env"
    env_file.write_text(
        "EMAIL_PROVIDER=postmark\nANYMAIL_POSTMARK_SERVER_TOKEN=token-from-file\n"
        "EMAIL_URL=smtp://ignored.example:25\n"
    )
    seen = _settings_from(env_file, ANYMAIL_WEBHOOK_SECRET="hook:secret", EMAIL_TIMEOUT="12")
    assert seen["backend"] == "anymail.backends.postmark.EmailBackend"
    assert seen["anymail"] == {
        "POSTMARK_SERVER_TOKEN": "token-from-file",
        "WEBHOOK_SECRET": "hook:secret",
        # A silent provider holds a worker no longer than a silent SMTP server would.
        "REQUESTS_TIMEOUT": 12,
    }


def test_an_unknown_provider_stops_startup_naming_the_setting(tmp_path):
    env_file = tmp_path / "env"
    env_file.write_text("EMAIL_PROVIDER=carrier-pigeon\n")
    assert "EMAIL_PROVIDER='carrier-pigeon'" in _settings_from(env_file)["error"]


def test_provider_names_map_to_anymail_backends():
    assert provider_backend("Amazon-SES") == "anymail.backends.amazon_ses.EmailBackend"
    assert provider_backend("brevo") == "anymail.backends.brevo.EmailBackend"
    assert provider_backend("mailgun") == "anymail.backends.mailgun.EmailBackend"
    for wrong in ("base_requests", "../smtp", "", "os.path", "sendmail"):
        with pytest.raises(ImproperlyConfigured):
            provider_backend(wrong)


def test_anymail_variables_become_settings_and_switches_booleans():
    assert anymail_settings(
        {
            "ANYMAIL_MAILGUN_API_KEY": "key-1",
            "ANYMAIL_IGNORE_RECIPIENT_STATUS": "True",
            "ANYMAIL_POSTMARK_USE_BULK_API": "false",
            "ANYMAIL_": "nothing",
            "MAILGUN_API_KEY": "not ours",
        }
    ) == {
        "MAILGUN_API_KEY": "key-1",
        "IGNORE_RECIPIENT_STATUS": True,
        "POSTMARK_USE_BULK_API": False,
    }


def _mail() -> object:
    return render_mail("account/email/unknown_account", to="reader@example.org", context={})


@pytest.mark.django_db
def test_account_mail_through_a_provider_is_sent(postmark):
    deliver(_mail())
    assert postmark.ids.keys() == {"reader@example.org"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("answer", "outcome", "fault"),
    [
        (POSTMARK_SERVER_ERROR, MailDeferred, None),
        (POSTMARK_INACTIVE, MailRefused, Fault.RECIPIENT_REFUSED),
        (POSTMARK_BAD_TOKEN, MailRefused, Fault.REFUSED),
    ],
)
def test_a_providers_answers_follow_the_one_failure_policy_of_all_mail(
    postmark, answer, outcome, fault
):
    postmark.answer_all = answer
    with pytest.raises(outcome) as raised:
        deliver(_mail())
    assert str(raised.value).startswith(f"Postmark {answer[0]}: ")
    assert getattr(raised.value, "fault", None) is fault
