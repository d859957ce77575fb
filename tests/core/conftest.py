"""DKIM keys made for the run, and a real DNS server on a local port answering with records
a test sets: the deliverability tests never reach the internet."""

from __future__ import annotations

import base64
import socket
import subprocess
import threading
from dataclasses import dataclass

import dns.flags
import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import pytest
from dns.rdtypes.ANY.TXT import TXT


@dataclass(frozen=True)
class DkimKey:
    pem: str  # the private key, as DKIM_PRIVATE_KEY holds it
    record: str  # the TXT record that publishes its public half


def make_key(bits: int = 2048) -> DkimKey:
    """A new RSA key through openssl (as an operator would make one), and its DNS record."""
    pem = subprocess.run(
        ["openssl", "genrsa", str(bits)], capture_output=True, check=True, timeout=60
    ).stdout
    public = subprocess.run(
        ["openssl", "rsa", "-pubout", "-outform", "DER"],
        input=pem,
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    return DkimKey(pem.decode(), f"v=DKIM1; k=rsa; p={base64.b64encode(public).decode()}")


@pytest.fixture(scope="session")
def dkim_key() -> DkimKey:
    return make_key()


@pytest.fixture(scope="session")
def other_dkim_key() -> DkimKey:
    return make_key()


class DnsServer:
    """A DNS server on a UDP port of 127.0.0.1, speaking the wire format through dnspython's
    own parser: TXT questions are answered from `records` (name -> TXT strings), any other
    name is NXDOMAIN. `queries` lists the names asked, in order."""

    def __init__(self) -> None:
        self.records: dict[str, list[str]] = {}
        self.queries: list[str] = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.address = f"127.0.0.1:{self.sock.getsockname()[1]}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def add(self, name: str, *texts: str) -> None:
        self.records.setdefault(name.lower().rstrip("."), []).extend(texts)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                wire, client = self.sock.recvfrom(4096)
            except TimeoutError:
                continue
            query = dns.message.from_wire(wire)
            question = query.question[0]
            name = question.name.to_text().lower().rstrip(".")
            self.queries.append(name)
            response = dns.message.make_response(query)
            response.flags |= dns.flags.AA
            if name not in self.records:
                response.set_rcode(dns.rcode.NXDOMAIN)
            elif question.rdtype == dns.rdatatype.TXT:
                answer = dns.rrset.RRset(question.name, dns.rdataclass.IN, dns.rdatatype.TXT)
                for text in self.records[name]:
                    # Long records go out as several strings of at most 255 bytes, as in a zone.
                    data = text.encode()
                    strings = [data[i : i + 255] for i in range(0, len(data), 255)] or [b""]
                    answer.add(TXT(dns.rdataclass.IN, dns.rdatatype.TXT, strings), ttl=300)
                response.answer.append(answer)
            self.sock.sendto(response.to_wire(), client)

    def __enter__(self) -> DnsServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


@pytest.fixture
def dns_server(settings):
    with DnsServer() as server:
        settings.MAILCHECK_NAMESERVER = server.address
        yield server
