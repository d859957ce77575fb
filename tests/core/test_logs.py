"""Log lines as an operator's log aggregator receives them (README, "Logs and errors"): one
JSON line a request, the same request id on the lines and tasks it caused, nothing personal."""

from __future__ import annotations

import io
import json
import logging
import os
import runpy
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import structlog
from celery import Celery
from django.conf import settings as django_settings
from django.core import mail

from core.logconfig import logging_settings
from core.requestlog import user_hash
from newsletter.models import Subscriber
from newsletter.tokens import LinkKind, link_token
from tests.conftest import wait_for
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]


class Lines:
    """What the console handler wrote, as the JSON objects of LOG_FORMAT=json."""

    def __init__(self) -> None:
        self.stream = io.StringIO()

    @property
    def raw(self) -> str:
        return self.stream.getvalue()

    def all(self) -> list[dict]:
        return [json.loads(line) for line in self.raw.splitlines()]

    def requests(self) -> list[dict]:
        return [line for line in self.all() if line["event"].startswith("request_")]


def _json_handler(stream) -> logging.Handler:
    config = logging_settings(log_format="json", level="INFO", filters={}, loggers={})
    formatter_config = dict(config["formatters"]["structlog"])
    formatter = formatter_config.pop("()")(**formatter_config)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    return handler


@pytest.fixture
def log_lines():
    """The settings' own formatter, in JSON, on the root logger at INFO."""
    lines = Lines()
    handler, root = _json_handler(lines.stream), logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield lines
    root.removeHandler(handler)
    root.setLevel(level)
    structlog.contextvars.clear_contextvars()


@pytest.mark.django_db
def test_a_request_is_one_json_line_with_its_id_method_path_status_duration_and_user(
    client, log_lines
):
    reader = UserFactory(email="private.reader@example.org")
    client.force_login(reader)
    log_lines.stream.truncate(0)

    response = client.get("/accounts/settings/?ref=private.reader@example.org")

    [line] = log_lines.requests()
    assert line["event"] == "request_finished"
    assert line["level"] == "info"
    assert line["time"].endswith("Z")
    assert line["request_id"] == response["X-Request-ID"]
    uuid.UUID(line["request_id"])  # made here: no trusted proxy header is configured
    assert (line["method"], line["path"], line["status"]) == ("GET", "/accounts/settings/", 200)
    assert 0 < line["duration_ms"] < 10_000
    assert line["user"] == user_hash(reader.pk) != str(reader.pk)
    assert "private.reader" not in log_lines.raw
    assert "ip" not in line


@pytest.mark.django_db
def test_signed_links_in_the_path_never_reach_the_log(client, log_lines):
    subscriber = Subscriber.objects.create(email="s@example.org", status="active")
    kinds = (LinkKind.CONFIRM, LinkKind.PREFERENCES, LinkKind.UNSUBSCRIBE)
    tokens = [link_token(subscriber=subscriber, kind=kind) for kind in kinds]
    for kind, token in zip(kinds, tokens, strict=True):
        client.get(f"/newsletter/{kind}/{token}/")
    client.get("/accounts/confirm-email/MQ:1tKx3s:Xq5Wvq2cFfE1d3P7m9ZyK4b8rQe0T6uIhLaNoSpVwYc/")

    paths = [line["path"] for line in log_lines.requests()]
    assert paths == [
        "/newsletter/confirm/[redacted]/",
        "/newsletter/preferences/[redacted]/",
        "/newsletter/unsubscribe/[redacted]/",
        "/accounts/confirm-email/[redacted]/",
    ]
    assert not any(token in log_lines.raw for token in tokens)
    assert "Xq5Wvq2c" not in log_lines.raw


@pytest.mark.urls("tests.core.sentry_urls")
def test_a_failing_request_is_one_error_line_whose_traceback_names_no_reader(client, log_lines):
    client.raise_request_exception = False
    token = link_token(subscriber=Subscriber(token_id="Zq3xK9"), kind=LinkKind.CONFIRM)
    response = client.get(f"/newsletter/confirm/{token}/", {"email": "private.reader@example.org"})

    assert response.status_code == 500
    said, line = log_lines.all()  # the view's own line, then the request's
    assert said["event"] == "confirming [email]"
    assert said["request_id"] == response["X-Request-ID"]
    assert (line["event"], line["level"], line["status"]) == ("request_failed", "error", 500)
    assert line["request_id"] == response["X-Request-ID"]
    assert line["exception"].endswith("RuntimeError: confirming [email] with [redacted] failed")
    assert token not in log_lines.raw
    assert "private.reader" not in log_lines.raw


@pytest.mark.django_db
def test_a_line_logged_during_a_request_carries_the_requests_id(client, settings, log_lines):
    settings.ALLOWED_HOSTS = ["testserver"]
    response = client.get("/", HTTP_HOST="evil.example")  # Django logs a warning, then answers

    warning, request_line = log_lines.all()
    assert warning["logger"] == "django.security.DisallowedHost"
    assert warning["request_id"] == request_line["request_id"] == response["X-Request-ID"]
    assert request_line["status"] == 400


def test_health_probes_log_nothing(client, log_lines):
    for path in ("/healthz", "/readyz", "/healthz/"):
        client.get(path)
    assert log_lines.requests() == []


@pytest.mark.django_db
def test_a_proxys_request_id_is_kept_only_from_the_configured_header(client, settings, log_lines):
    proxied = {"HTTP_X_REQUEST_ID": "lb-7f3a9c1e2d"}
    untrusted = client.get("/robots.txt", **proxied)
    settings.LOG_REQUEST_ID_HEADER = "X-Request-ID"
    trusted = client.get("/robots.txt", **proxied)
    forged = client.get("/robots.txt", HTTP_X_REQUEST_ID='x" level=error\nfake line')

    ids = [line["request_id"] for line in log_lines.requests()]
    assert ids[1] == trusted["X-Request-ID"] == "lb-7f3a9c1e2d"
    assert ids[0] == untrusted["X-Request-ID"] != "lb-7f3a9c1e2d"
    assert ids[2] == forged["X-Request-ID"]
    assert "fake" not in log_lines.raw
    assert len(log_lines.raw.splitlines()) == 3


@pytest.mark.django_db(transaction=True)
def test_the_mail_task_a_signup_queued_logs_the_signup_requests_id_on_the_worker(
    celery_worker, client, log_lines
):
    response = client.post("/newsletter/", {"email": "new.reader@example.org", "frequency": "each"})
    wait_for(lambda: mail.outbox, message="the worker never sent the confirmation")
    request_id = response["X-Request-ID"]
    queued = [line for line in log_lines.all() if line["event"] == "task_enqueued"]
    assert queued
    assert all(line["request_id"] == request_id for line in queued)
    task_ids = {line["child_task_id"] for line in queued}

    def on_worker() -> list[dict]:
        return [line for line in log_lines.all() if line.get("task_id") in task_ids]

    wait_for(
        lambda: "task_succeeded" in {line["event"] for line in on_worker()},
        message="the worker logged no task_succeeded line for the signup's task",
    )
    on_worker = on_worker()
    assert {"task_started", "task_succeeded"} <= {line["event"] for line in on_worker}
    assert all(line["request_id"] == request_id for line in on_worker)
    assert "new.reader" not in log_lines.raw


def test_a_worker_process_writes_json_lines_with_the_request_id_of_its_task(tmp_path):
    """`celery worker` as the Procfile starts it, with LOG_FORMAT=json: the heartbeat task,
    queued under a request's id, runs with that id on the worker's own lines."""
    folders = {name: tmp_path / "celery" / name for name in ("queue", "control", "processed")}
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "CACHE_URL", "CELERY_BROKER_URL"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        ENV_FILE=str(tmp_path / "no.env"),
        VAR_DIR=str(tmp_path),
        SECRET_KEY=django_settings.SECRET_KEY,
        LOG_FORMAT="json",
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "--quiet", "-A", "config", "worker", "--pool=solo",
         "--without-heartbeat", "--without-mingle", "--without-gossip"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        wait_for(lambda: folders["queue"].is_dir(), message="the worker made no broker folders")
        publisher = Celery(broker="filesystem://")
        publisher.conf.broker_transport_options = {
            "data_folder_in": str(folders["queue"]),
            "data_folder_out": str(folders["queue"]),
            "control_folder": str(folders["control"]),
        }
        with structlog.contextvars.bound_contextvars(request_id="req-5a1b2c3d"):
            publisher.send_task("core.heartbeat", queue="celery")
        output = []

        def succeeded() -> bool:
            output.append(worker.stdout.readline())
            return "task_succeeded" in output[-1]

        wait_for(succeeded, timeout=60, message="the worker never ran the task")
    finally:
        worker.terminate()
        worker.wait(timeout=20)
    lines = [json.loads(line) for line in output if line.startswith("{")]
    assert len(lines) == len([line for line in output if line.strip()])  # every line is JSON
    task_lines = [line for line in lines if line.get("task_id")]
    assert {line["event"] for line in task_lines} >= {"task_started", "task_succeeded"}
    assert {line["request_id"] for line in task_lines} == {"req-5a1b2c3d"}


def test_plain_lines_are_the_default_and_json_is_one_setting_away(monkeypatch, tmp_path):
    monkeypatch.setenv("ENV_FILE", str(tmp_path / "no.env"))
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("LOG_FORMAT", raising=False)
    settings_file = str(ROOT / "config" / "logs.py")  # read afresh (settings.py imports it)
    default = runpy.run_path(settings_file)["LOGGING"]["formatters"]["structlog"]
    monkeypatch.setenv("LOG_FORMAT", "json")
    json_lines = runpy.run_path(settings_file)["LOGGING"]["formatters"]["structlog"]
    assert isinstance(default["processors"][-1], structlog.dev.ConsoleRenderer)
    assert isinstance(json_lines["processors"][-1], structlog.processors.JSONRenderer)
    monkeypatch.setenv("LOG_FORMAT", "yaml")
    with pytest.raises(ValueError, match="LOG_FORMAT must be one of plain, json"):
        runpy.run_path(settings_file)
