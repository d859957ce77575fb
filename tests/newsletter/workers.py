"""Real worker processes for the fault drills: `celery -A config worker` against the test
database and a real broker (Redis when REDIS_URL is set, as in CI, or RabbitMQ; otherwise
kombu's filesystem transport), with a sweep run from the test as beat would run it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings
from django.db import connection

from newsletter import ledger
from newsletter.models import Edition, Subscriber

ROOT = Path(__file__).resolve().parents[2]
RABBITMQ_URL = os.environ.get("RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        return (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        )
    return f"sqlite:///{db['NAME']}"


def rabbitmq_reachable() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 5672), timeout=1).close()
    except OSError:
        return False
    return True


def broker_client(tmp_path: Path, kind: str = "default") -> Celery:
    """A client of the drill's broker: RabbitMQ for kind "amqp" (CI has one: a missing one
    fails there instead of skipping), else Redis when configured, else the filesystem."""
    if kind == "amqp":
        if not rabbitmq_reachable():
            if os.environ.get("CI"):
                pytest.fail("RabbitMQ is not running on 127.0.0.1:5672")
            pytest.skip("RabbitMQ is not running on 127.0.0.1:5672")
        url = RABBITMQ_URL
    else:
        url = settings.REDIS_URL or "filesystem://"
    # Not the current app: the rest of the suite keeps publishing through config.celery.
    client = Celery(broker=url, set_as_current=False)
    if url == "filesystem://":
        folders = {name: tmp_path / "celery" / name for name in ("queue", "control", "processed")}
        for folder in folders.values():
            folder.mkdir(parents=True, exist_ok=True)
        client.conf.broker_transport_options = {
            "data_folder_in": str(folders["queue"]),
            "data_folder_out": str(folders["queue"]),
            "control_folder": str(folders["control"]),
            "processed_folder": str(folders["processed"]),
        }
    return client


def worker_env(tmp_path: Path, client: Celery, queue: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": client.conf.broker_url,
        "CELERY_QUEUE": queue,
        "EMAIL_URL": f"smtp://127.0.0.1:{settings.EMAIL_PORT}",
        "NEWSLETTER_BATCH_SIZE": "10",
        "VAR_DIR": str(tmp_path),  # the filesystem broker's folders are var/celery/*
        "SECRET_KEY": settings.SECRET_KEY,
        "SITE_URL": settings.SITE_URL,
        **extra,
    }


def worker_process(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo",
         "--concurrency=1", "-Q", env["CELERY_QUEUE"], "--loglevel=WARNING",
         "--without-heartbeat", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
    )  # fmt: skip


@contextmanager
def workers(env: dict[str, str], count: int = 1):
    started = [worker_process(env) for _ in range(count)]
    try:
        yield started
    finally:
        for process in started:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)


@contextmanager
def sweeping(client: Celery, queue: str, every: float | None = None):
    """What beat does every NEWSLETTER_SWEEP_SECONDS: the sweep task's two steps, with the
    tasks it starts sent to the drill's queue."""
    every = every or float(os.environ.get("NEWSLETTER_SWEEP_SECONDS", 10))
    stop = threading.Event()

    def sweep() -> None:
        try:
            while not stop.wait(every):
                ledger.requeue_expired()
                for edition_id in ledger.editions_to_dispatch():
                    send(client, queue, edition_id)
        finally:
            connection.close()

    thread = threading.Thread(target=sweep, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)


def sending_edition(prefix: str, subject: str, count: int) -> tuple[Edition, set[str]]:
    """An edition already sending to `count` readers, and their addresses."""
    emails = {f"{prefix}{n}@example.org" for n in range(count)}
    Subscriber.objects.bulk_create(Subscriber(email=e, status="active") for e in emails)
    mailing = Edition.objects.create(subject=subject)
    ledger.deliveries_create(edition=mailing)
    Edition.objects.filter(pk=mailing.pk).update(status="sending")
    return mailing, emails


def send(client: Celery, queue: str, edition_id: int) -> None:
    """One send task to the drill's queue, declared first: on RabbitMQ a message published
    before the worker has bound its queue would otherwise be dropped."""
    declare = [client.amqp.queues[queue]]
    client.send_task("newsletter.tasks.edition_deliver", [edition_id], queue=queue, declare=declare)


def start(client: Celery, queue: str, mailing: Edition, tasks: int = 1) -> None:
    for _ in range(tasks):
        send(client, queue, mailing.pk)


def received(smtp_server, emails: set[str]) -> Counter:
    """Messages per reader of this test (a late mail of another test may reach the port)."""
    time.sleep(0.2)
    return Counter(
        r for envelope in smtp_server.envelopes for r in envelope.rcpt_tos if r in emails
    )


def assert_each_mailed_once(smtp_server, emails: set[str]) -> None:
    """Every reader of the drill got the edition, and nobody got it twice."""
    counts = received(smtp_server, emails)
    assert set(emails) - set(counts) == set(), "some readers got nothing"
    assert {email: n for email, n in counts.items() if n > 1} == {}, "some got it twice"
