"""DNS, for `manage.py mailcheck`: TXT records through dnspython, from MAILCHECK_NAMESERVER
when set (an IP address, with :port if not 53) or else the system's resolvers, each lookup
bounded by MAILCHECK_DNS_TIMEOUT seconds. Once DNS cannot be reached (a timeout, no network,
no server configured) the remaining lookups are not tried, so the check never waits out
each of them in turn."""

from __future__ import annotations

import dns.exception
import dns.resolver
from django.conf import settings


class DnsUnreachable(Exception):
    """No answer came: DNS could not be reached, or no server could answer for the name."""


class TxtLookup:
    def __init__(self, *, nameserver: str | None = None, timeout: float | None = None) -> None:
        self.nameserver = settings.MAILCHECK_NAMESERVER if nameserver is None else nameserver
        self.timeout = settings.MAILCHECK_DNS_TIMEOUT if timeout is None else timeout
        self.down: DnsUnreachable | None = None
        self._resolver: dns.resolver.Resolver | None = None

    def describe(self) -> str:
        return f"DNS server {self.nameserver}" if self.nameserver else "the system's resolvers"

    def __call__(self, name: str) -> list[str]:
        """The TXT strings at `name`, each record's pieces joined; [] when the name does not
        exist or has no TXT record; DnsUnreachable when no answer came."""
        if self.down is not None:
            raise self.down
        try:
            answer = self.resolver().resolve(name, "TXT", search=False)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []
        except dns.resolver.NoNameservers as error:  # SERVFAIL or REFUSED: this name only
            raise DnsUnreachable(f"DNS could not answer for {name} (server failure)") from error
        except (dns.exception.Timeout, dns.resolver.NoResolverConfiguration, OSError) as error:
            self.down = DnsUnreachable(f"DNS could not be reached ({self._why(error)})")
            raise self.down from error
        except ValueError as error:  # MAILCHECK_NAMESERVER is not an address
            self.down = DnsUnreachable(f"DNS could not be reached ({self.nameserver!r}: {error})")
            raise self.down from error
        return [b"".join(record.strings).decode("utf-8", "replace") for record in answer]

    def resolver(self) -> dns.resolver.Resolver:
        if self._resolver is None:
            resolver = dns.resolver.Resolver(configure=not self.nameserver)
            if self.nameserver:
                host, port = _host_port(self.nameserver)
                resolver.nameservers, resolver.port = [host], port
            resolver.timeout = resolver.lifetime = self.timeout
            # EDNS, as resolvers use today, so a 2048-bit DKIM key fits in one UDP answer.
            resolver.use_edns(0, 0, 1232)
            self._resolver = resolver
        return self._resolver

    def _why(self, error: Exception) -> str:
        if isinstance(error, dns.exception.Timeout):
            return f"no answer from {self.describe()} within {self.timeout:g} s"
        if isinstance(error, dns.resolver.NoResolverConfiguration):
            return "no DNS server is configured on this machine"
        return f"{self.describe()}: {error}"


def _host_port(value: str) -> tuple[str, int]:
    """ "192.0.2.1", "192.0.2.1:5353", "::1" or "[::1]:5353"."""
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        return host, int(rest.lstrip(":") or 53)
    if value.count(":") == 1:
        host, _, port = value.partition(":")
        return host, int(port)
    return value, 53
