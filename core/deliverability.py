"""What `manage.py mailcheck` checks: for the From domains of list mail (NEWSLETTER_FROM_EMAIL)
and account mail (DEFAULT_FROM_EMAIL), that SPF, DKIM and DMARC records exist and align with
From; that SITE_URL is https, as one-click unsubscribe requires; that the two kinds of mail
leave from different addresses. Each check gives a Finding; DNS comes through
core.dnsclient, so a test points it at a local server with recorded answers.

DMARC passes when SPF or DKIM passes for a domain aligned with From. Alignment is judged
here without the public suffix list: the same domain, or one a subdomain of the other, is
aligned; two subdomains of a common parent may be (under relaxed alignment, when that parent
is the organisational domain), which is said as a warning rather than guessed.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parseaddr
from urllib.parse import urlsplit

import dkim
from django.conf import settings

from core.dkim_signing import address_domain, domains_related, public_numbers, signing_domain
from core.dnsclient import DnsUnreachable

Lookup = Callable[[str], list[str]]


class Status(enum.Enum):
    OK = "OK"
    WARN = "WARN"
    FAIL = "FAIL"
    UNKNOWN = "UNKNOWN"  # could not be checked: DNS gave no answer


@dataclass(frozen=True)
class Finding:
    check: str  # SPF, DKIM, DMARC, alignment, SITE_URL, senders
    subject: str  # the domain or DNS name looked at, or the settings compared
    status: Status
    detail: str


def mail_findings(*, lookup: Lookup) -> list[Finding]:
    """Every check, list mail's domain first; a domain both kinds share is checked once."""
    senders = {
        "list mail": settings.NEWSLETTER_FROM_EMAIL,
        "account mail": settings.DEFAULT_FROM_EMAIL,
    }
    domains: dict[str, str] = {}
    for address in senders.values():
        domains.setdefault(address_domain(address), address)
    findings = []
    for domain, address in domains.items():
        findings += _domain_findings(domain, address, lookup)
    findings.append(site_url_check())
    findings.append(senders_check(senders))
    return findings


def _domain_findings(domain: str, address: str, lookup: Lookup) -> list[Finding]:
    selector = settings.DKIM_SELECTOR
    key_name = f"{selector}._domainkey.{signing_domain(address)}" if selector else domain
    policy: dict[str, str] = {}  # the DMARC record's tags, for the alignment check
    return [
        _dns_check("SPF", domain, lambda: spf_check(domain, lookup)),
        _dns_check("DKIM", key_name, lambda: dkim_check(address, lookup)),
        _dns_check("DMARC", f"_dmarc.{domain}", lambda: dmarc_check(domain, lookup, into=policy)),
        alignment_check(address, policy),
    ]


def _dns_check(check: str, subject: str, run: Callable[[], tuple[Status, str]]) -> Finding:
    try:
        status, detail = run()
    except DnsUnreachable as error:
        status, detail = Status.UNKNOWN, str(error)
    return Finding(check, subject, status, detail)


def spf_check(domain: str, lookup: Lookup) -> tuple[Status, str]:
    records = [text for text in lookup(domain) if _tag_version(text, "v=spf1")]
    if not records:
        return Status.FAIL, f'no SPF record (a TXT record "v=spf1 ... -all" at {domain})'
    if len(records) > 1:
        return Status.FAIL, f"{len(records)} SPF records: receivers treat that as an error"
    record = records[0]
    terms = record.split()[1:]
    last = next((term for term in terms if term.lstrip("+-~?").lower() == "all"), None)
    redirect = any(term.lower().startswith("redirect=") for term in terms)
    if last is not None and last[0] not in "-~?":
        return Status.FAIL, f"{record}: '{last}' lets any server send as {domain}"
    # Django hands the From address to the server as the envelope sender, so SPF is
    # checked for this domain and aligns, unless the provider rewrites the Return-Path.
    note = "envelope sender is the From address (unless your provider rewrites it)"
    if (last is None and not redirect) or last == "?all":
        return Status.WARN, f"{record}: ends without -all or ~all, so it proves little; {note}"
    return Status.OK, f"{record}; {note}"


def dkim_check(address: str, lookup: Lookup) -> tuple[Status, str]:
    if not settings.DKIM_SELECTOR:
        return Status.FAIL, (
            "DKIM_SELECTOR is not set: Driverline signs nothing and cannot look up a key "
            "(set it, with DKIM_PRIVATE_KEY when Driverline signs, alone when your provider does)"
        )
    domain = signing_domain(address)
    name = f"{settings.DKIM_SELECTOR}._domainkey.{domain}"
    records = [text for text in lookup(name) if "p=" in text]
    if not records:
        return Status.FAIL, f"no DKIM key published at {name}"
    if len(records) > 1:
        return Status.FAIL, f"{len(records)} key records at {name}: receivers may pick either"
    tags = _tags(records[0])
    if not tags.get("p"):
        return Status.FAIL, f"the key at {name} is revoked (empty p=)"
    try:
        public_key, bits, kind, _ = dkim.evaluate_pk(name.encode(), records[0].encode())
    except dkim.DKIMException as error:
        return Status.FAIL, f"the key at {name} cannot be read: {error}"
    found = f"{kind.decode()} key of {bits} bits, d={domain}"
    if not settings.DKIM_PRIVATE_KEY:
        return Status.OK, f"{found}; Driverline does not sign (your provider must, with it)"
    if (public_key["modulus"], public_key["publicExponent"]) != public_numbers(
        settings.DKIM_PRIVATE_KEY
    ):
        return Status.FAIL, (
            f"the key at {name} is not the public half of DKIM_PRIVATE_KEY: every signature "
            "fails (publish `openssl rsa -in key.pem -pubout -outform der | base64 -w0` as p=)"
        )
    if bits < 2048:
        return Status.WARN, f"{found}, matches DKIM_PRIVATE_KEY; 2048 bits is the norm now"
    return Status.OK, f"{found}, matches DKIM_PRIVATE_KEY"


def dmarc_check(domain: str, lookup: Lookup, *, into: dict) -> tuple[Status, str]:
    """The DMARC record of `domain`, or the nearest parent's (a receiver falls back to the
    organisational domain's); its tags are left in `into` for the alignment check."""
    for candidate in _self_and_parents(domain):
        records = [text for text in lookup(f"_dmarc.{candidate}") if _tag_version(text, "v=DMARC1")]
        if records:
            break
    else:
        return Status.FAIL, f'no DMARC record (a TXT record "v=DMARC1; p=..." at _dmarc.{domain})'
    if len(records) > 1:
        return Status.FAIL, f"{len(records)} DMARC records at _dmarc.{candidate}: none applies"
    tags = _tags(records[0])
    inherited = candidate != domain
    policy = (tags.get("sp") if inherited else None) or tags.get("p", "")
    into.update(tags)
    where = f" (from _dmarc.{candidate})" if inherited else ""
    reports = f"reports to {tags['rua']}" if tags.get("rua") else "no rua=, so no reports"
    if policy.lower() not in ("none", "quarantine", "reject"):
        return Status.FAIL, f"{records[0]}{where}: no valid p= policy"
    if policy.lower() == "none":
        return Status.WARN, (
            f"policy none{where}: receivers only report; move to quarantine or reject once "
            f"the reports are clean; {reports}"
        )
    return Status.OK, f"policy {policy.lower()}{where}; {reports}"


def alignment_check(address: str, policy: dict) -> Finding:
    """DKIM's d= against the From domain, by the DMARC record's adkim= (relaxed unless it
    says strict). SPF aligns by construction (see spf_check)."""
    domain = address_domain(address)
    if not settings.DKIM_SELECTOR:
        return Finding("alignment", domain, Status.WARN, "no DKIM: DMARC rests on SPF alone")
    signer = signing_domain(address)
    strict = policy.get("adkim", "r").lower() == "s"
    if signer == domain:
        return Finding("alignment", domain, Status.OK, f"DKIM d={signer} is the From domain")
    related = domains_related(domain, signer)
    if related and not strict:
        return Finding(
            "alignment", domain, Status.OK, f"DKIM d={signer} aligns with {domain} (relaxed)"
        )
    if related:
        return Finding(
            "alignment", domain, Status.FAIL, f"DKIM d={signer} is not {domain}, and adkim=s"
        )
    parent = _common_parent(domain, signer)
    if parent and not strict:
        return Finding(
            "alignment", domain, Status.WARN,
            f"DKIM d={signer} aligns with {domain} only if {parent} is the organisational "
            "domain (mailcheck has no public suffix list)",
        )  # fmt: skip
    return Finding(
        "alignment", domain, Status.FAIL, f"DKIM d={signer} does not align with {domain}"
    )


def site_url_check() -> Finding:
    scheme = urlsplit(settings.SITE_URL).scheme
    if scheme == "https":
        return Finding(
            "SITE_URL", settings.SITE_URL, Status.OK, "https: one-click unsubscribe works"
        )
    return Finding(
        "SITE_URL", settings.SITE_URL, Status.FAIL,
        "not https: one-click unsubscribe (RFC 8058) needs an https List-Unsubscribe URL, "
        "and Gmail and Yahoo require one-click for bulk mail",
    )  # fmt: skip


def senders_check(senders: dict[str, str]) -> Finding:
    listed, account = (parseaddr(address)[1].lower() for address in senders.values())
    subject = "NEWSLETTER_FROM_EMAIL, DEFAULT_FROM_EMAIL"
    if listed == account:
        return Finding(
            "senders", subject, Status.FAIL,
            f"list mail and account mail both come from {listed}: a spam complaint about "
            "the newsletter would then count against password resets too",
        )  # fmt: skip
    return Finding(
        "senders", subject, Status.OK, f"list mail from {listed}, account mail from {account}"
    )


def _tag_version(text: str, version: str) -> bool:
    head = text.strip().split(";", 1)[0].split(" ", 1)[0]
    return head.replace(" ", "").lower() == version.lower()


def _tags(record: str) -> dict[str, str]:
    """A tag=value; list (DKIM and DMARC records), names lower case."""
    pairs = (part.split("=", 1) for part in record.split(";") if "=" in part)
    return {name.strip().lower(): "".join(value.split()) for name, value in pairs}


def _self_and_parents(domain: str) -> list[str]:
    labels = domain.split(".")
    return [".".join(labels[i:]) for i in range(max(1, len(labels) - 1))]


def _common_parent(domain: str, other: str) -> str:
    """The longest parent of both with at least two labels, or ""."""
    ours, theirs = domain.split(".")[::-1], other.split(".")[::-1]
    shared = []
    for a, b in zip(ours, theirs, strict=False):
        if a != b:
            break
        shared.append(a)
    return ".".join(shared[::-1]) if len(shared) >= 2 else ""
