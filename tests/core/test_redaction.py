"""The one redaction of logs and error reports: no signed link, token or address survives it,
and an ordinary path stays readable."""

from __future__ import annotations

import pytest
from django.core import signing
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from core.redaction import redact, scrub

SIGNED = signing.TimestampSigner(salt="newsletter.link.unsubscribe").sign("Zq3xK9.page.each")
# Sample values that each URL's pattern accepts: allauth's keys are signed or "<uid>-<token>".
SAMPLES = {
    "token": SIGNED,
    "key": "MQ:1tKx3s:Xq5Wvq2cFfE1d3P7m9ZyK4b8rQe0T6uIhLaNoSpVwYc",
    "uidb36": "3",
}
SECRETS = {"key": "cz7w1k-5e1c3a9b0d2f4e6a8c0b2d4f6a8c0e2f"}  # a password reset's token


def _token_patterns(patterns, prefix=""):
    """(name, URL parameters) of every URL pattern that takes a token or a key."""
    for item in patterns:
        if isinstance(item, URLResolver):
            namespace = f"{item.namespace}:" if item.namespace else ""
            yield from _token_patterns(item.url_patterns, prefix + namespace)
        elif isinstance(item, URLPattern) and item.name:
            groups = set(item.pattern.regex.groupindex)
            if groups & {"token", "key"}:
                yield prefix + item.name, groups


TOKEN_URLS = sorted(_token_patterns(get_resolver().url_patterns))


def test_the_urls_with_tokens_are_all_found():
    names = {name for name, _ in TOKEN_URLS}
    assert {
        "newsletter_confirm",
        "newsletter_preferences",
        "newsletter_unsubscribe",
        "comment_undo",
        "trial_follow_confirm",
        "trial_unfollow_link",
        "account_confirm_email",
        "account_reset_password_from_key",
    } <= names


@pytest.mark.parametrize(("name", "groups"), TOKEN_URLS, ids=[name for name, _ in TOKEN_URLS])
def test_every_url_carrying_a_token_or_a_key_is_redacted(name, groups):
    values = {group: SECRETS.get(group, SAMPLES[group]) for group in groups}
    url = reverse(name, kwargs=values)
    logged = redact(f"GET https://driverline.example{url}?utm_source=mail")
    secret = values.get("token") or values["key"]
    assert secret not in logged
    assert "[redacted]" in logged
    assert logged.endswith("?utm_source=mail")  # the rest of the line is kept


@pytest.mark.parametrize(
    "text",
    [
        f"could not reach reader.one+onc@example.org with {SIGNED}",
        "/accounts/login/?next=/newsletter/preferences/" + SIGNED.replace(":", "%3A") + "/",
        "/accounts/signup/?email=reader.one%40example.org&token=abc123",
        "POST /anymail/postmark/tracking/?key=hook-secret-1",
    ],
)
def test_addresses_tokens_and_signed_values_are_taken_out_anywhere_in_a_text(text):
    redacted = redact(text)
    for secret in ("reader.one", "example.org", SIGNED, "abc123", "hook-secret-1"):
        assert secret not in redacted


def test_ordinary_paths_times_and_ids_stay_readable():
    for text in (
        "/articles/egfr-exon-20-insertions/",
        "/accounts/password/reset/key/done/",
        "/newsletter/preferences/",
        "/topics/her2/feed/atom/",
        "2026-12-04T19:53:09.941730Z",
        "task core.heartbeat[6ce532d6-246b-4c5b-a876-a360445c0a20] succeeded in 0.01s",
    ):
        assert redact(text) == text


def test_scrub_reaches_every_string_of_a_structure_and_leaves_the_rest():
    event = {
        "message": "bounce from reader@example.org",
        "request": {"url": f"https://driverline.example/newsletter/confirm/{SIGNED}/"},
        "frames": [{"vars": {"address": "'reader@example.org'", "attempts": 3}}],
        "tags": ("reader@example.org",),
    }
    assert scrub(event) == {
        "message": "bounce from [email]",
        "request": {"url": "https://driverline.example/newsletter/confirm/[redacted]/"},
        "frames": [{"vars": {"address": "'[email]'", "attempts": 3}}],
        "tags": ("[email]",),
    }
