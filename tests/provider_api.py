"""A real HTTP server standing in for a mail provider's sending API, answering as the provider
does (the bodies are Postmark's and Mailgun's documented answers), so anymail's backends talk
HTTP to it exactly as they would to the provider."""

from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

# Postmark's documented answers (https://postmarkapp.com/developer/api/overview#error-codes).
POSTMARK_INACTIVE = (
    422,
    {
        "ErrorCode": 406,
        "Message": "You tried to send to a recipient that has been marked as inactive.\n"
        "Found inactive addresses: {to}.\n"
        "Inactive recipients are ones that have generated a hard bounce or a spam complaint. ",
    },
)
POSTMARK_INVALID_TO = (422, {"ErrorCode": 300, "Message": "Invalid 'To' address: '{to}'."})
POSTMARK_SENDER_NOT_CONFIRMED = (
    422,
    {
        "ErrorCode": 400,
        "Message": "The 'From' address you supplied (newsletter@localhost) is not a Sender "
        "Signature on your account. Please add and confirm this address in order to be able "
        "to use it in the 'From' field of your messages.",
    },
)
POSTMARK_BAD_TOKEN = (
    401,
    {
        "ErrorCode": 10,
        "Message": "The Server Token you provided in the X-Postmark-Server-Token request "
        "header was invalid. Please verify that you are using a valid token.",
    },
)
POSTMARK_RATE_LIMITED = (429, {"ErrorCode": 429, "Message": "Rate limit exceeded."})
POSTMARK_UNAVAILABLE = (503, {"ErrorCode": 503, "Message": "Service Unavailable"})
POSTMARK_SERVER_ERROR = (500, {"ErrorCode": 500, "Message": "Internal Server Error"})


class ProviderApi:
    """Records every request; answers each by its recipient (`answers`, for Postmark's JSON
    bodies), or everything with `answer_all`, else with the provider's success answer and a
    fresh message id (kept in `ids`, by recipient)."""

    def __init__(self, provider: str) -> None:
        self.provider = provider
        self.requests: list[dict] = []
        self.answers: dict[str, tuple[int, dict]] = {}
        self.answer_all: tuple[int, dict] | None = None
        self.ids: dict[str, str] = {}
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> ProviderApi:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def received_by(self, address: str) -> list[dict]:
        return [r for r in self.requests if address in r.get("to", "")]

    def _answer(self, to: str) -> tuple[int, dict]:
        status, body = self.answer_all or self.answers.get(to) or (200, None)
        if body is not None:
            return status, {
                k: v.format(to=to) if isinstance(v, str) else v for k, v in body.items()
            }
        if self.provider == "mailgun":
            found = f"<{uuid.uuid4().hex}@mg.example.org>"
            answer = {"id": found, "message": "Queued. Thank you."}
        else:
            found = str(uuid.uuid4())
            answer = {"To": to, "SubmittedAt": "2026-12-04T10:00:00Z", "MessageID": found,
                      "ErrorCode": 0, "Message": "OK"}  # fmt: skip
        with self.lock:
            self.ids[to] = found
        return 200, answer

    def _handler(self):
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                request = {"path": self.path, "headers": dict(self.headers), "body": body}
                if "json" in self.headers.get("Content-Type", ""):
                    request["json"] = json.loads(body)
                    request["to"] = request["json"].get("To", "")
                else:  # Mailgun's form (multipart only with attachments, which we never send)
                    request["form"] = parse_qs(body.decode())
                    request["to"] = request["form"].get("to", [""])[0]
                with api.lock:
                    api.requests.append(request)
                status, answer = api._answer(request["to"])
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        return Handler
