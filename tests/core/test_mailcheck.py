"""`manage.py mailcheck` against a real DNS server on a local port answering with the records
each test publishes (tests/core/conftest.py): what it reports for each check, and its exit
status."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from io import StringIO

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command

LIST_DOMAIN, ACCOUNT_DOMAIN = "news.driverline.example", "driverline.example"
SELECTOR = "dl2026"
SPF = "v=spf1 include:_spf.provider.example -all"
DMARC = "v=DMARC1; p=quarantine; rua=mailto:dmarc@driverline.example"
LINE = re.compile(
    r"^\s+(OK|WARN|FAIL|UNKNOWN)\s+(SPF|DKIM|DMARC|alignment|SITE_URL|senders)\s+(.+?)\s{2,}(.*)$"
)


@pytest.fixture
def published(dns_server, settings, dkim_key):
    """A deployment whose DNS is in order: list mail from a subdomain that inherits the
    parent's DMARC record, account mail from the parent, each From domain with its own SPF
    record and the key at the selector; other TXT records beside them, as in real zones."""
    settings.SITE_URL = "https://driverline.example"
    settings.NEWSLETTER_FROM_EMAIL = f"Driverline newsletter <newsletter@{LIST_DOMAIN}>"
    settings.DEFAULT_FROM_EMAIL = f"Driverline <accounts@{ACCOUNT_DOMAIN}>"
    settings.DKIM_SELECTOR, settings.DKIM_DOMAIN = SELECTOR, ""
    settings.DKIM_PRIVATE_KEY = dkim_key.pem
    settings.MAILCHECK_DNS_TIMEOUT = 2.0
    for domain in (LIST_DOMAIN, ACCOUNT_DOMAIN):
        dns_server.add(domain, "site-verification=abc123", SPF)
        dns_server.add(f"{SELECTOR}._domainkey.{domain}", dkim_key.record)
    dns_server.add(f"_dmarc.{ACCOUNT_DOMAIN}", DMARC)
    return dns_server


def mailcheck(*args) -> tuple[int, dict[tuple[str, str], tuple[str, str]], str]:
    """Exit status, {(check, subject): (status, detail)} and the whole output."""
    out = StringIO()
    try:
        call_command("mailcheck", *args, stdout=out, no_color=True)
        status, summary = 0, ""
    except CommandError as error:
        status, summary = error.returncode, str(error)
    text = out.getvalue() + summary
    found = {}
    for line in text.splitlines():
        if match := LINE.match(line):
            found[(match[2], match[3])] = (match[1], match[4])
    return status, found, text


def statuses(found) -> dict[tuple[str, str], str]:
    return {key: status for key, (status, _) in found.items()}


def test_a_deployment_with_spf_dkim_and_dmarc_in_order_passes(published):
    status, found, text = mailcheck()

    assert status == 0, text
    assert set(statuses(found).values()) == {"OK"}, text
    assert len(found) == 10  # four checks for each of two domains, SITE_URL, senders
    assert "from _dmarc.driverline.example" in found[("DMARC", f"_dmarc.{LIST_DOMAIN}")][1]
    assert "matches DKIM_PRIVATE_KEY" in found[("DKIM", f"{SELECTOR}._domainkey.{LIST_DOMAIN}")][1]
    assert "Mail check passed: 10 OK" in text
    assert f"{SELECTOR}._domainkey.{ACCOUNT_DOMAIN}" in published.queries


def test_a_domain_without_spf_fails(published):
    published.records[LIST_DOMAIN] = ["site-verification=abc123"]

    status, found, text = mailcheck()

    assert status == 1
    assert found[("SPF", LIST_DOMAIN)][0] == "FAIL"
    assert "no SPF record" in found[("SPF", LIST_DOMAIN)][1]
    assert found[("SPF", ACCOUNT_DOMAIN)][0] == "OK"
    assert "Mail check failed: 9 OK, 0 warning(s), 1 failed" in text


@pytest.mark.parametrize(
    ("records", "expected", "said"),
    [
        (["v=spf1 +all"], "FAIL", "lets any server send"),
        (["v=spf1 mx"], "WARN", "without -all or ~all"),
        ([SPF, "v=spf1 mx -all"], "FAIL", "2 SPF records"),
        (["v=spf1 ip4:192.0.2.0/24 ~all"], "OK", "envelope sender is the From address"),
    ],
)
def test_spf_records_are_judged_by_what_they_allow(published, records, expected, said):
    published.records[ACCOUNT_DOMAIN] = records

    _, found, _ = mailcheck()

    assert found[("SPF", ACCOUNT_DOMAIN)][0] == expected
    assert said in found[("SPF", ACCOUNT_DOMAIN)][1]


def test_no_dmarc_record_fails_for_the_domain_and_its_subdomain(published):
    del published.records[f"_dmarc.{ACCOUNT_DOMAIN}"]

    status, found, _ = mailcheck()

    assert status == 1
    for domain in (LIST_DOMAIN, ACCOUNT_DOMAIN):
        assert found[("DMARC", f"_dmarc.{domain}")][0] == "FAIL"
        assert "no DMARC record" in found[("DMARC", f"_dmarc.{domain}")][1]


def test_a_monitoring_only_dmarc_policy_warns_and_passes(published):
    published.records[f"_dmarc.{ACCOUNT_DOMAIN}"] = ["v=DMARC1; p=none"]

    status, found, text = mailcheck()

    assert status == 0, text
    assert found[("DMARC", f"_dmarc.{ACCOUNT_DOMAIN}")][0] == "WARN"
    assert "no rua=" in found[("DMARC", f"_dmarc.{ACCOUNT_DOMAIN}")][1]


def test_no_key_at_the_configured_selector_fails(published, dkim_key):
    del published.records[f"{SELECTOR}._domainkey.{LIST_DOMAIN}"]
    published.add(f"old2024._domainkey.{LIST_DOMAIN}", dkim_key.record)

    status, found, _ = mailcheck()

    assert status == 1
    name = f"{SELECTOR}._domainkey.{LIST_DOMAIN}"
    assert found[("DKIM", name)] == ("FAIL", f"no DKIM key published at {name}")
    assert found[("DKIM", f"{SELECTOR}._domainkey.{ACCOUNT_DOMAIN}")][0] == "OK"


def test_a_published_key_that_is_not_our_private_keys_half_fails(published, other_dkim_key):
    name = f"{SELECTOR}._domainkey.{ACCOUNT_DOMAIN}"
    published.records[name] = [other_dkim_key.record]

    status, found, _ = mailcheck()

    assert status == 1
    assert found[("DKIM", name)][0] == "FAIL"
    assert "not the public half of DKIM_PRIVATE_KEY" in found[("DKIM", name)][1]


def test_a_revoked_key_fails(published):
    name = f"{SELECTOR}._domainkey.{ACCOUNT_DOMAIN}"
    published.records[name] = ["v=DKIM1; k=rsa; p="]

    _, found, _ = mailcheck()

    assert found[("DKIM", name)] == ("FAIL", f"the key at {name} is revoked (empty p=)")


def test_a_provider_signing_with_our_selector_passes_without_a_private_key(published, settings):
    settings.DKIM_PRIVATE_KEY = ""

    status, found, _ = mailcheck()

    assert status == 0
    assert "Driverline does not sign" in found[("DKIM", f"{SELECTOR}._domainkey.{LIST_DOMAIN}")][1]


def test_without_a_selector_dkim_fails_and_dmarc_rests_on_spf(published, settings):
    settings.DKIM_SELECTOR = settings.DKIM_PRIVATE_KEY = ""

    status, found, _ = mailcheck()

    assert status == 1
    assert found[("DKIM", LIST_DOMAIN)][0] == "FAIL"
    assert found[("alignment", LIST_DOMAIN)] == ("WARN", "no DKIM: DMARC rests on SPF alone")


def test_a_parent_dkim_domain_aligns_unless_dmarc_asks_for_strict_alignment(
    published, settings, dkim_key
):
    settings.DKIM_DOMAIN = ACCOUNT_DOMAIN
    assert statuses(mailcheck()[1])[("alignment", LIST_DOMAIN)] == "OK"

    published.records[f"_dmarc.{ACCOUNT_DOMAIN}"] = [f"{DMARC}; adkim=s"]

    status, found, _ = mailcheck()
    assert status == 1
    assert found[("alignment", LIST_DOMAIN)][0] == "FAIL"
    assert "adkim=s" in found[("alignment", LIST_DOMAIN)][1]
    assert found[("alignment", ACCOUNT_DOMAIN)][0] == "OK"


def test_an_http_site_url_fails_one_click_unsubscribe(published, settings):
    settings.SITE_URL = "http://driverline.example"

    status, found, _ = mailcheck()

    assert status == 1
    assert found[("SITE_URL", "http://driverline.example")][0] == "FAIL"
    assert "RFC 8058" in found[("SITE_URL", "http://driverline.example")][1]


def test_list_and_account_mail_from_one_address_fails(published, settings):
    settings.NEWSLETTER_FROM_EMAIL = f"Driverline <accounts@{ACCOUNT_DOMAIN}>"

    status, found, _ = mailcheck()

    assert status == 1
    (sender,) = [value for (check, _), value in found.items() if check == "senders"]
    assert sender[0] == "FAIL"
    assert f"both come from accounts@{ACCOUNT_DOMAIN}" in sender[1]
    # One domain now: its DNS is checked once.
    assert [check for check, _ in found].count("SPF") == 1


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_dns_is_reported_as_such_within_the_time_limit(published, settings):
    settings.MAILCHECK_NAMESERVER = f"127.0.0.1:{closed_port()}"
    settings.MAILCHECK_DNS_TIMEOUT = 0.5
    started = time.monotonic()

    status, found, text = mailcheck()

    assert time.monotonic() - started < 3  # one lookup waited for, not one per record
    assert status == 2, text
    dns_checks = {key: value for key, value in found.items() if key[0] in ("SPF", "DKIM", "DMARC")}
    assert len(dns_checks) == 6
    for state, detail in dns_checks.values():
        assert state == "UNKNOWN"
        assert detail.startswith("DNS could not be reached (no answer from DNS server 127.0.0.1:")
    assert found[("SITE_URL", "https://driverline.example")][0] == "OK"
    assert "Mail check incomplete: 4 OK, 0 warning(s), 0 failed, 6 could not be checked." in text


def test_the_command_line_says_dns_could_not_be_reached_without_a_traceback(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DKIM_", "DJANGO_SET"))},
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "ENV_FILE": str(tmp_path / "no.env"),
        "VAR_DIR": str(tmp_path / "var"),
        "SITE_URL": "https://driverline.example",
        "MAILCHECK_NAMESERVER": f"127.0.0.1:{closed_port()}",
        "MAILCHECK_DNS_TIMEOUT": "0.5",
        "DKIM_SELECTOR": SELECTOR,  # so that DKIM too is a DNS check
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "mailcheck", "--no-color"],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "DNS could not be reached" in result.stdout
    assert "Mail check incomplete" in result.stderr
