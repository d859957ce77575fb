"""A local stand-in for ClinicalTrials.gov's API: a real HTTP server on 127.0.0.1 answering
with recorded responses (tests/evidence/recorded/, in the API v2 format), errors, 429s and
slow answers as a test sets them. Tests never reach the internet."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

RECORDED = Path(__file__).parent / "recorded"


def recorded(nct_id: str) -> dict:
    return json.loads((RECORDED / f"{nct_id}.json").read_text())


class Registry:
    """What the stand-in answers: `answers[nct_id]` is a list of (status, body, headers),
    used one at a time (the last one stays); a study without answers is its recording, or 404.
    `requests` lists (path, headers) of every request; `delay` slows every answer."""

    def __init__(self) -> None:
        self.answers: dict[str, list[tuple[int, bytes, dict]]] = {}
        self.requests: list[tuple[str, dict]] = []
        self.delay = 0.0

    def answer(self, nct_id: str, *answers) -> None:
        self.answers[nct_id] = [
            (status, body if isinstance(body, bytes) else json.dumps(body).encode(), headers)
            for status, body, headers in answers
        ]

    def respond(self, path: str) -> tuple[int, bytes, dict]:
        nct_id = path.rstrip("/").rpartition("/")[2]
        queued = self.answers.get(nct_id)
        if queued:
            return queued.pop(0) if len(queued) > 1 else queued[0]
        if (RECORDED / f"{nct_id}.json").is_file() and path.startswith("/api/v2/studies/"):
            return 200, (RECORDED / f"{nct_id}.json").read_bytes(), {}
        body = {"message": f"Study not found: {nct_id}"}
        return 404, json.dumps(body).encode(), {}

    def asked(self, nct_id: str) -> int:
        return sum(1 for path, _ in self.requests if path.endswith(f"/{nct_id}"))


@pytest.fixture
def registry(settings):
    state = Registry()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            state.requests.append((self.path, dict(self.headers)))
            if state.delay:
                time.sleep(state.delay)
            status, body, headers = state.respond(self.path)
            headers = dict(headers)
            self.send_response(status)
            self.send_header("Content-Type", headers.pop("Content-Type", "application/json"))
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.TRIALS_API_URL = f"http://127.0.0.1:{server.server_address[1]}/api/v2"
    settings.TRIALS_API_TIMEOUT = 2.0
    settings.TRIALS_REQUEST_PAUSE_SECONDS = 0
    yield state
    server.shutdown()
    server.server_close()


class Site:
    """A local web: `routes[path]` is a list of (status, body, headers) used one at a time
    (the last stays), or a `delay` in seconds for that path; anything else is a 404."""

    def __init__(self) -> None:
        self.routes: dict[str, list[tuple[int, bytes, dict]]] = {}
        self.delays: dict[str, float] = {}
        self.requests: list[tuple[str, dict]] = []
        self.url = ""

    def route(self, path: str, *answers) -> None:
        self.routes[path] = [
            (status, body if isinstance(body, bytes) else json.dumps(body).encode(), headers)
            for status, body, headers in answers
        ]

    def asked(self, path: str) -> int:
        return sum(1 for asked, _ in self.requests if asked == path)


@pytest.fixture
def web(settings):
    """A local server for Crossref (CROSSREF_API_URL points at it) and for cited pages."""
    state = Site()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            state.requests.append((self.path, dict(self.headers)))
            time.sleep(state.delays.get(self.path, 0))
            queued = state.routes.get(self.path) or [(404, b"{}", {})]
            status, body, headers = queued.pop(0) if len(queued) > 1 else queued[0]
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    settings.CROSSREF_API_URL = state.url
    settings.CROSSREF_MAILTO = "editors@driverline.example"
    settings.LINKCHECK_TIMEOUT = 0.5
    settings.LINKCHECK_RETRY_PAUSE_SECONDS = 0
    settings.CITATIONS_REQUEST_PAUSE_SECONDS = 0
    yield state
    server.shutdown()
    server.server_close()
