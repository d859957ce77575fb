"""Real worker processes: two sending one edition at once, and one killed with SIGKILL
mid-edition, after which a new worker finishes the job.

Real processes: `celery -A config worker` against the test database and a real broker (Redis
when REDIS_URL is set, as in CI; otherwise kombu's filesystem transport). Every subscriber
gets the edition; the only duplicates are messages the dead worker had in flight.
"""

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings
from django.db import connection

from newsletter import delivery
from newsletter.models import Delivery, Edition, Subscriber
from tests.conftest import wait_for

ROOT = Path(__file__).resolve().parents[2]
SUBSCRIBERS = 600
BATCH = 10


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        return (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        )
    return f"sqlite:///{db['NAME']}"


def broker_client(tmp_path: Path) -> tuple[str, Celery]:
    """Redis when configured; otherwise the filesystem transport in the worker's var/ folder."""
    # Not the current app: the rest of the suite keeps publishing through config.celery.
    client = Celery(broker=settings.REDIS_URL or "filesystem://", set_as_current=False)
    if not settings.REDIS_URL:
        folders = {name: tmp_path / "celery" / name for name in ("queue", "control", "processed")}
        for folder in folders.values():
            folder.mkdir(parents=True, exist_ok=True)
        client.conf.broker_transport_options = {
            "data_folder_in": str(folders["queue"]),
            "data_folder_out": str(folders["queue"]),
            "control_folder": str(folders["control"]),
            "processed_folder": str(folders["processed"]),
        }
    return client.conf.broker_url, client


def worker_env(tmp_path: Path, broker_url: str, queue: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": broker_url,
        "CELERY_QUEUE": queue,
        "EMAIL_URL": f"smtp://127.0.0.1:{settings.EMAIL_PORT}",
        "NEWSLETTER_BATCH_SIZE": str(BATCH),
        "VAR_DIR": str(tmp_path),  # the filesystem broker's folders are var/celery/*
        "SECRET_KEY": settings.SECRET_KEY,
    }


def worker_process(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo",
         "--concurrency=1", "-Q", env["CELERY_QUEUE"], "--loglevel=WARNING",
         "--without-heartbeat", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
    )  # fmt: skip


def sending_edition(prefix: str, subject: str) -> tuple[Edition, set[str]]:
    """An edition already sending to SUBSCRIBERS readers, and their addresses."""
    emails = {f"{prefix}{n}@example.org" for n in range(SUBSCRIBERS)}
    Subscriber.objects.bulk_create(Subscriber(email=e, status="active") for e in emails)
    mailing = Edition.objects.create(subject=subject)
    delivery.deliveries_create(edition=mailing)
    Edition.objects.filter(pk=mailing.pk).update(status="sending")
    return mailing, emails


def received(smtp_server, emails: set[str]) -> Counter:
    """Messages per reader of this test (a late mail of another test may reach the port)."""
    time.sleep(0.2)
    return Counter(
        r for envelope in smtp_server.envelopes for r in envelope.rcpt_tos if r in emails
    )


@pytest.mark.django_db(transaction=True)
def test_two_worker_processes_sending_one_edition_send_each_message_once(smtp_server, tmp_path):
    broker_url, client = broker_client(tmp_path)
    queue = f"pair-test-{os.getpid()}"
    mailing, ours = sending_edition("p", "Two workers at once")
    env = worker_env(tmp_path, broker_url, queue)
    workers = [worker_process(env), worker_process(env)]
    try:
        for _ in workers:
            client.send_task("newsletter.tasks.send_edition", args=[mailing.pk], queue=queue)
        wait_for(
            lambda: Edition.objects.get(pk=mailing.pk).status == Edition.Status.SENT,
            timeout=120,
            message="the two workers did not finish the edition",
        )
    finally:
        for worker in workers:
            worker.kill()
            worker.wait(timeout=10)
    counts = received(smtp_server, ours)
    claims = set(Delivery.objects.filter(edition=mailing).values_list("claim", flat=True))
    print(f"\ntwo workers: {len(counts)}/{SUBSCRIBERS} delivered in {len(claims)} batches")
    assert len(counts) == SUBSCRIBERS
    assert set(counts.values()) == {1}


@pytest.mark.django_db(transaction=True)
def test_a_killed_worker_loses_no_subscriber(smtp_server, tmp_path):
    broker_url, client = broker_client(tmp_path)
    queue = f"kill-test-{os.getpid()}"
    mailing, ours = sending_edition("k", "Killed mid-send")

    env = worker_env(tmp_path, broker_url, queue)

    def sent() -> int:
        return Delivery.objects.filter(edition=mailing, status="sent").count()

    first = worker_process(env)
    try:
        client.send_task("newsletter.tasks.send_edition", args=[mailing.pk], queue=queue)
        wait_for(lambda: sent() >= 60, timeout=60, message="the first worker sent nothing")
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        stranded = Delivery.objects.filter(edition=mailing, status="sending").count()
        assert sent() < SUBSCRIBERS, "the worker finished before it could be killed"

        second = worker_process(env)
        try:
            # What the beat task does every few minutes: requeue stale claims, kick the edition.
            delivery.requeue_stale(older_than=timedelta(seconds=-1))
            client.send_task("newsletter.tasks.send_edition", args=[mailing.pk], queue=queue)
            wait_for(
                lambda: (
                    not Delivery.objects.filter(
                        edition=mailing, status__in=("queued", "sending")
                    ).exists()
                ),
                timeout=120,
                message="the second worker did not finish the edition",
            )
        finally:
            second.kill()
            second.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    counts = received(smtp_server, ours)
    duplicates = sum(n - 1 for n in counts.values())
    print(f"\nkilled mid-edition: {len(counts)}/{SUBSCRIBERS} delivered, {duplicates} duplicate(s),"
          f" {stranded} claimed by the dead worker")  # fmt: skip
    assert len(counts) == SUBSCRIBERS
    assert duplicates <= max(stranded, BATCH)
