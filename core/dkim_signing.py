"""DKIM: a signature on every message that leaves over SMTP, once a key is configured.

The settings (config/settings.py) are DKIM_SELECTOR, DKIM_DOMAIN (empty: each message's From
domain) and the private key, as PEM text in DKIM_PRIVATE_KEY or a file in
DKIM_PRIVATE_KEY_FILE. `private_key_load` reads and checks them while the settings load, so a
process with an unusable key (web, worker or beat) refuses to start instead of failing at send
time; core.checks reports the same faults in `manage.py check`. `message_sign` turns a
message into the bytes handed to the server, signed with relaxed/relaxed canonicalisation
over those of SIGNED_HEADERS that the message has. core.mail.SigningSmtpBackend calls it, and
the newsletter engine's own connection is one of those backends, so list mail and account mail
are signed by the same code.

This module imports nothing of Django's mail package: the settings import it.
"""

from __future__ import annotations

import re
from email.message import Message
from email.utils import parseaddr
from functools import lru_cache
from pathlib import Path

import dkim
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from dkim.crypto import UnparsableKeyError, parse_pem_private_key

# The headers a receiver must be able to trust: who it is from and to, what it is, when,
# which message, and the list headers (Gmail and Yahoo honour one-click unsubscribe only
# when List-Unsubscribe and List-Unsubscribe-Post are signed). The MIME headers are signed
# too, as RFC 6376 5.4.1 advises, so the structure of the body cannot be swapped.
SIGNED_HEADERS = (
    "From",
    "Sender",
    "Reply-To",
    "To",
    "Cc",
    "Subject",
    "Date",
    "Message-ID",
    "MIME-Version",
    "Content-Type",
    "List-Id",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
)
# Receivers ignore signatures from shorter RSA keys (RFC 8301); 2048 bits is the usual size.
MIN_KEY_BITS = 1024
_LABELS = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)(\.(?!-)[a-z0-9_-]{1,63}(?<!-))*$", re.I)


def private_key_load(*, selector: str, domain: str = "", pem: str = "", path: str = "") -> str:
    """The configured key as PEM text, or "" when Driverline does not sign.

    Raises ImproperlyConfigured, naming the setting, when the values cannot work: both a key
    and a key file, a file that cannot be read, text that is not an RSA private key or one
    too short to count, a key without a selector, a selector or domain that is no DNS name.
    A selector alone is fine: the mail provider signs, and mailcheck looks its key up.
    """
    if pem and path:
        raise ImproperlyConfigured("Set DKIM_PRIVATE_KEY or DKIM_PRIVATE_KEY_FILE, not both.")
    source = "DKIM_PRIVATE_KEY"
    if path:
        source = f"DKIM_PRIVATE_KEY_FILE ({path})"
        try:
            pem = Path(path).read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as error:
            raise ImproperlyConfigured(f"{source} cannot be read: {error}") from error
    if selector and not _LABELS.match(selector):
        raise ImproperlyConfigured(f"DKIM_SELECTOR {selector!r} is not a DNS name.")
    if domain and not _LABELS.match(domain):
        raise ImproperlyConfigured(f"DKIM_DOMAIN {domain!r} is not a domain name.")
    pem = pem.replace("\r\n", "\n").strip()
    if not pem:
        return ""
    if not selector:
        raise ImproperlyConfigured(
            f"{source} is set but DKIM_SELECTOR is not: receivers find the public key at "
            "<selector>._domainkey.<domain>, so a signature needs the selector."
        )
    pem += "\n"
    bits = key_bits(pem, source=source)
    if bits < MIN_KEY_BITS:
        raise ImproperlyConfigured(
            f"{source} is a {bits}-bit key; receivers ignore signatures from keys under "
            f"{MIN_KEY_BITS} bits. Generate a 2048-bit key."
        )
    return pem


def key_bits(pem: str, *, source: str = "DKIM_PRIVATE_KEY") -> int:
    return public_numbers(pem, source=source)[0].bit_length()


def public_numbers(pem: str, *, source: str = "DKIM_PRIVATE_KEY") -> tuple[int, int]:
    """The public half (modulus, exponent) of a PEM RSA private key."""
    try:
        key = _parsed(pem)
    except (UnparsableKeyError, ValueError, IndexError) as error:
        raise ImproperlyConfigured(
            f"{source} is not an RSA private key in PEM form (PKCS#1 or PKCS#8): {error}"
        ) from error
    return key["modulus"], key["publicExponent"]


@lru_cache(maxsize=4)
def _parsed(pem: str) -> dict:
    return parse_pem_private_key(pem.encode("ascii", errors="replace"))


def address_domain(address: str) -> str:
    """The domain of an address as a header holds it ("Name <a@example.org>"), lower case
    and in its ASCII (IDNA) form, as in DNS."""
    domain = parseaddr(address)[1].rpartition("@")[2].strip().lower()
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return domain


def domains_related(domain: str, other: str) -> bool:
    """The same domain, or one a subdomain of the other: aligned under relaxed rules."""
    return domain == other or domain.endswith(f".{other}") or other.endswith(f".{domain}")


def signing_domain(from_address: str) -> str:
    """The d= of our signatures: DKIM_DOMAIN, or else the From domain itself (which aligns
    with From under DMARC's strict rule as well as its relaxed one)."""
    return settings.DKIM_DOMAIN or address_domain(from_address)


def message_sign(message: Message, *, from_address: str) -> bytes:
    """The message's bytes as they go to the server: signed when a key is configured, as
    they are otherwise. Nothing changes the message after this, so the signature holds."""
    raw = message.as_bytes(linesep="\r\n")
    if not settings.DKIM_PRIVATE_KEY:
        return raw
    signature = dkim.sign(
        raw,
        selector=settings.DKIM_SELECTOR.encode("ascii"),
        domain=signing_domain(from_address).encode("ascii"),
        privkey=settings.DKIM_PRIVATE_KEY.encode("ascii"),
        canonicalize=(b"relaxed", b"relaxed"),
        include_headers=[name.encode("ascii") for name in SIGNED_HEADERS if name in message],
        linesep=b"\r\n",
    )
    return signature + raw
