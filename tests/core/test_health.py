"""/healthz and /readyz as a load balancer and a monitor see them (README, "Health checks")."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from celery import current_app
from django.conf import settings as django_settings
from django.core.cache.backends.filebased import FileBasedCache
from django.db import connection
from django.utils import timezone

from core import health
from core.heartbeat import KEYS, heartbeat
from tests.conftest import free_port, wait_for
from tests.newsletter.mailings import edition, sending, subscribers

ROOT = Path(__file__).resolve().parents[2]
REDIS_DOWN = "redis://:hunter2@127.0.0.1:{port}/3"


@pytest.fixture(autouse=True)
def _fresh_readiness():
    health.readiness_cache_clear()
    yield
    health.readiness_cache_clear()


@pytest.fixture
def production_like(settings):
    """What a load balancer meets in production: hosts locked, HTTPS enforced."""
    settings.ALLOWED_HOSTS = ["driverline.example"]
    settings.SECURE_SSL_REDIRECT = True
    settings.DEBUG = False


def probe(client, path: str = "/readyz", **extra):
    # A load balancer asks an instance by its own address, over plain HTTP, without cookies.
    return client.get(path, HTTP_HOST="10.0.3.7:8000", **extra)


@pytest.mark.django_db
def test_healthz_answers_a_load_balancer_without_touching_database_or_cache(
    client, production_like, settings, django_assert_num_queries
):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_DOWN.format(port=free_port()),
        }
    }
    with django_assert_num_queries(0):
        response = probe(client, "/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


@pytest.mark.django_db
def test_readyz_reports_every_part_and_which_are_required(client, production_like):
    response = probe(client)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ready"
    checks = body["checks"]
    assert {name for name, part in checks.items() if part["required"]} == {
        "database",
        "cache",
        "broker",
    }
    assert {"beat", "worker", "deliveries"} <= set(checks)
    assert all(checks[name]["ok"] for name in ("database", "cache", "broker"))
    assert checks["deliveries"] == {
        "ok": True,
        "count": 0,
        "oldest_seconds": None,
        "required": False,
        "ms": checks["deliveries"]["ms"],
    }


@pytest.mark.django_db
def test_readyz_with_a_trailing_slash_or_head_answers_the_same(client, production_like):
    assert probe(client, "/readyz/").status_code == 200
    assert client.head("/healthz/", HTTP_HOST="10.0.3.7").status_code == 200
    assert client.get("/readyz").status_code == 200  # no Host header at all (HAProxy's default)


@pytest.mark.django_db
def test_posting_to_a_health_url_is_refused_with_405(client, production_like):
    response = client.post("/readyz", HTTP_HOST="10.0.3.7")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


@pytest.mark.django_db
def test_an_unreachable_broker_answers_503_without_its_address_or_password(client):
    before = current_app.conf.broker_url
    current_app.conf.broker_url = REDIS_DOWN.format(port=free_port())
    try:
        response = probe(client)
    finally:
        current_app.conf.broker_url = before
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True
    text = response.content.decode()
    assert "hunter2" not in text
    assert "127.0.0.1" not in text
    assert body["checks"]["broker"]["ms"] < 3000  # a short timeout, not the default retries


@pytest.mark.django_db
def test_an_unreachable_cache_answers_503_and_names_the_cache(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_DOWN.format(port=free_port()),
            "OPTIONS": {"socket_connect_timeout": 1},
        }
    }
    response = probe(client)
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["cache"]["ok"] is False
    assert checks["cache"]["error"]  # the kind of failure, for the operator
    assert "hunter2" not in response.content.decode()


def test_a_database_that_does_not_answer_answers_503_and_says_only_its_kind(
    client, transactional_db
):
    params = connection.settings_dict
    saved = dict(params)
    connection.close()
    if connection.vendor == "postgresql":
        params.update(PORT=str(free_port()), PASSWORD="hunter2")
    else:
        params["NAME"] = "/nonexistent-hunter2/driverline.sqlite3"
    try:
        response = probe(client)
    finally:
        connection.close()
        params.clear()
        params.update(saved)
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"] == {
        "ok": False,
        "error": "OperationalError",
        "required": True,
        "ms": checks["database"]["ms"],
    }
    assert checks["cache"]["ok"] is True
    assert "hunter2" not in response.content.decode()
    assert probe(client).status_code == 503  # the same answer for a moment: no new attempt
    health.readiness_cache_clear()
    assert probe(client).status_code == 200  # and back as soon as the database is


@pytest.mark.django_db
def test_readyz_costs_two_queries_and_nothing_when_polled_again_within_seconds(
    client, django_assert_num_queries
):
    subscribers(30)
    sending(edition())
    with django_assert_num_queries(2):  # SELECT 1, and one aggregate of the deliveries
        assert probe(client).status_code == 200
    with django_assert_num_queries(0):
        assert probe(client).status_code == 200


@pytest.mark.django_db
def test_readyz_counts_due_deliveries_and_the_age_of_the_oldest(client, settings):
    subscribers(3)
    sending(edition())
    settings.HEALTH_DELIVERIES_LATE_SECONDS = 300
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        response = probe(client)
    # A backlog is for a monitor: the instance still takes traffic.
    assert response.status_code == 200
    deliveries = response.json()["checks"]["deliveries"]
    assert deliveries["count"] == 3
    assert 595 <= deliveries["oldest_seconds"] <= 610
    assert deliveries["ok"] is False


@pytest.mark.django_db
def test_no_heartbeat_yet_is_reported_but_never_takes_the_instance_out(client):
    response = probe(client)
    assert response.status_code == 200
    checks = response.json()["checks"]
    assert checks["beat"]["ok"] is False
    assert checks["worker"]["ok"] is False
    assert checks["worker"]["error"] == "no heartbeat seen"


def test_beat_sends_the_heartbeat_often_and_it_expires_when_no_worker_takes_it():
    entry = django_settings.CELERY_BEAT_SCHEDULE["heartbeat"]
    assert entry["task"] == "core.heartbeat"
    seconds = entry["schedule"].total_seconds()
    assert seconds < django_settings.HEALTH_HEARTBEAT_STALE_SECONDS / 2
    assert entry["options"]["expires"] <= seconds


def test_a_real_beat_process_shows_its_heartbeat_in_the_shared_cache(tmp_path):
    """`celery beat` as `make run` starts it (filesystem broker, file cache in var/): the
    heartbeat's publish is noted by beat's own process."""
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
        HEALTH_HEARTBEAT_SECONDS="1",
    )
    beat = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel=WARNING",
         f"--schedule={tmp_path / 'beat-schedule'}"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    shared = FileBasedCache(str(tmp_path / "cache"), {})
    try:
        wait_for(
            lambda: shared.get(KEYS["beat"]), timeout=30, message="beat never sent a heartbeat"
        )
    finally:
        beat.kill()
        beat.wait(timeout=10)
    assert time.time() - shared.get(KEYS["beat"]) < 30
    assert shared.get(KEYS["worker"]) is None  # no worker ran: beat alone proves only beat


def test_a_heartbeat_sent_and_run_by_a_worker_shows_beat_and_worker_alive(celery_worker, client):
    heartbeat.apply_async()  # as beat sends it: the publisher notes beat's heartbeat
    wait_for(
        lambda: probe(client).json()["checks"]["worker"]["ok"] or health.readiness_cache_clear(),
        message="the worker never ran the heartbeat",
    )
    health.readiness_cache_clear()
    checks = probe(client).json()["checks"]
    assert checks["beat"]["ok"] is True
    assert checks["worker"]["seconds_ago"] <= 5

    later = timezone.now() + timedelta(seconds=django_settings.HEALTH_HEARTBEAT_STALE_SECONDS + 60)
    health.readiness_cache_clear()
    with time_machine.travel(later):
        response = probe(client)
    assert response.status_code == 200
    checks = json.loads(response.content)["checks"]
    assert checks["worker"]["ok"] is False
    assert checks["worker"]["error"].startswith("no heartbeat for ")
    assert checks["beat"]["ok"] is False
