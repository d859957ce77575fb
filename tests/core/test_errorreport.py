"""Error reports (README, "Logs and errors"): with SENTRY_DSN, a view's and a task's errors
reach the Sentry endpoint, scrubbed of addresses, tokens and signed links; without it,
sentry_sdk is never loaded."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core import signing

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
ADDRESS = "private.reader@example.org"


class Ingest:
    """A Sentry-compatible ingest endpoint on 127.0.0.1: keeps every envelope posted to it."""

    def __init__(self) -> None:
        self.envelopes: list[tuple[str, bytes]] = []
        ingest = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                encoding = self.headers.get("Content-Encoding", "")
                if encoding == "gzip":
                    body = gzip.decompress(body)
                elif encoding == "deflate":
                    body = zlib.decompress(body)
                elif encoding == "br":
                    import brotli

                    body = brotli.decompress(body)
                ingest.envelopes.append((self.path, body))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self) -> list[dict]:
        found = []
        for _path, body in self.envelopes:
            lines = body.split(b"\n")
            for header, payload in zip(lines[1::2], lines[2::2], strict=False):
                if json.loads(header).get("type") == "event":
                    found.append(json.loads(payload))
        return found


@pytest.fixture
def ingest():
    server = Ingest()
    yield server
    server.server.shutdown()


def _environment(tmp_path, **values) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"REDIS_URL", "CACHE_URL", "CELERY_BROKER_URL", "SENTRY_DSN"}
    }
    env.update(ENV_FILE=str(tmp_path / "no.env"), VAR_DIR=str(tmp_path), **values)
    return env


def test_view_and_task_errors_reach_sentry_without_addresses_tokens_or_signed_links(
    ingest, tmp_path
):
    token = signing.TimestampSigner(salt="newsletter.link.confirm").sign("Zq3xK9.page.each")
    link = f"https://driverline.example/newsletter/unsubscribe/{token}/"
    dsn = f"http://publickey@127.0.0.1:{ingest.port}/1"
    subprocess.run(
        [sys.executable, "-m", "tests.core.sentry_scenario", ADDRESS, token, link],
        cwd=ROOT, env=_environment(tmp_path, SENTRY_DSN=dsn), check=True, timeout=90,
    )  # fmt: skip

    assert {path for path, _ in ingest.envelopes} == {"/api/1/envelope/"}
    events = ingest.events()
    kinds = {event["exception"]["values"][-1]["type"]: event for event in events}
    view, task = kinds["RuntimeError"], kinds["LookupError"]
    assert view["exception"]["values"][-1]["value"] == "confirming [email] with [redacted] failed"
    assert view["request"]["url"] == "http://driverline.example/newsletter/confirm/[redacted]/"
    assert view["request"]["query_string"] == "email=[redacted]"
    assert view["request"]["headers"]["Referer"] == link.replace(token, "[redacted]")
    assert task["exception"]["values"][-1]["value"] == (
        "no subscriber [email] for https://driverline.example/newsletter/unsubscribe/[redacted]/"
    )
    assert len(view["tags"]["request_id"]) == 36  # the id of the request's log lines
    crumbs = [crumb.get("message") for crumb in view["breadcrumbs"]["values"]]
    assert "confirming [email]" in crumbs
    assert task["extra"]["celery-job"]["task_name"] == "tests.sentry_scenario.unsubscribe_failing"
    sent = b"".join(body for _path, body in ingest.envelopes).decode()
    for secret in (ADDRESS, "private.reader", token, token.rsplit(":", 1)[1], "Zq3xK9"):
        assert secret not in sent
    assert "example.org" not in sent
    assert "s3cr3tcookie" not in sent  # no cookies (send_default_pii is off)


def test_without_a_dsn_sentry_sdk_is_never_imported(tmp_path):
    """A fresh process loads the settings, Django and the Celery app, as web and workers do."""
    probe = (
        "import sys, django; django.setup(); import config.celery, config.urls; "
        "print('sentry_sdk' in sys.modules)"
    )
    env = _environment(tmp_path, DJANGO_SETTINGS_MODULE="config.settings", SECRET_KEY="x" * 50)
    without = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True
    )
    env["SENTRY_DSN"] = "http://publickey@127.0.0.1:9/1"
    with_dsn = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert (without.stdout.strip(), with_dsn.stdout.strip()) == ("False", "True"), (
        without.stderr + with_dsn.stderr
    )
