"""Fault drills with real worker processes, a real broker and the test database: a mail
server that refuses our sender or our message, a database that drops the worker's
connection mid-send, a rate-limit cache that goes away, and a long 451 outage."""

import os
import shutil
import signal
import subprocess
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from newsletter.models import Delivery, Edition, Subscriber
from tests.conftest import free_port, wait_for
from tests.newsletter.workers import (
    assert_each_mailed_once,
    broker_client,
    received,
    sending_edition,
    start,
    sweeping,
    worker_env,
    workers,
)


def status(mailing: Edition) -> str:
    return Edition.objects.get(pk=mailing.pk).status


@pytest.mark.parametrize(
    ("refusal", "answer"),
    [("sender", "550 5.7.1 Sender address not verified"), ("message", "554 5.7.1 Looks like spam")],
)
@pytest.mark.django_db(transaction=True)
def test_a_server_refusing_our_sender_or_message_stops_the_edition_and_bounces_nobody(
    refusal, answer, smtp_server, tmp_path, admin_client, admin_user
):
    client = broker_client(tmp_path)
    queue = f"refused-{refusal}-{os.getpid()}"
    mailing, ours = sending_edition("r", "Refused by the server", 30)
    if refusal == "sender":
        smtp_server.refuse_senders = {"newsletter@localhost"}
    else:
        smtp_server.refuse_data, smtp_server.refuse_data_from = answer, "newsletter@localhost"
    with workers(worker_env(tmp_path, client, queue)), sweeping(client, queue, every=1):
        start(client, queue, mailing)
        wait_for(lambda: status(mailing) == Edition.Status.ATTENTION, timeout=30)
        # The editors hear of it, with the server's answer (account mail has its own sender).
        notice = smtp_server.wait_for_message(admin_user.email)
        assert "Sending stopped" in notice["Subject"]
        assert answer in notice.get_body(("plain",)).get_content()
        assert set(Subscriber.objects.values_list("status", flat=True)) == {"active"}
        assert set(Delivery.objects.values_list("status", flat=True)) == {"queued"}
        page = admin_client.get(f"/admin/newsletter/edition/{mailing.pk}/change/")
        assert "Needs attention" in page.content.decode()
        assert answer in page.content.decode()
        assert not received(smtp_server, ours)

        # The cause is fixed; an editor resumes, and everyone gets the edition once.
        smtp_server.refuse_senders, smtp_server.refuse_data = set(), ""
        resumed = admin_client.post(f"/admin/newsletter/edition/{mailing.pk}/resume/")
        assert resumed.status_code == 302
        wait_for(lambda: status(mailing) == Edition.Status.SENT, timeout=30)
    assert_each_mailed_once(smtp_server, ours)


@pytest.mark.django_db(transaction=True)
def test_a_terminated_database_connection_mid_send_strands_nothing_and_sends_nothing_twice(
    smtp_server, tmp_path
):
    if connection.vendor != "postgresql":
        pytest.skip("terminating a backend needs PostgreSQL (CI runs this on it)")
    client = broker_client(tmp_path)
    queue = f"dbdrop-{os.getpid()}"
    mailing, ours = sending_edition("d", "Database dropped", 400)
    smtp_server.delay = 0.005
    # No sweep: recovery must not wait for the lease to run out.
    with workers(worker_env(tmp_path, client, queue)):
        start(client, queue, mailing)
        wait_for(lambda: len(received(smtp_server, ours)) >= 50, timeout=60)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            assert cursor.fetchone()[0] >= 1  # the worker's connection is gone
        wait_for(
            lambda: status(mailing) == Edition.Status.SENT,
            timeout=30,
            message="the worker did not carry on after losing its connection: "
            + str(Counter(Delivery.objects.values_list("status", flat=True))),
        )
    assert_each_mailed_once(smtp_server, ours)


@pytest.mark.django_db(transaction=True)
def test_the_rate_limit_cache_going_away_pauses_sending_and_it_resumes_when_back(
    smtp_server, tmp_path
):
    redis_server = shutil.which("redis-server")
    if not redis_server:
        pytest.fail("redis-server is needed for this drill (Debian's redis-server package)")
    port = free_port()
    command = [redis_server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no"]  # fmt: skip
    cache = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    client = broker_client(tmp_path)
    queue = f"cache-{os.getpid()}"
    mailing, ours = sending_edition("c", "Cache away", 120)
    env = worker_env(
        tmp_path,
        client,
        queue,
        CACHE_URL=f"redis://127.0.0.1:{port}/0",
        NEWSLETTER_RATE_PER_SECOND="40",
    )
    try:
        with workers(env):
            start(client, queue, mailing)
            wait_for(lambda: len(received(smtp_server, ours)) >= 20, timeout=30)
            cache.send_signal(signal.SIGKILL)
            cache.wait(timeout=10)
            time.sleep(1)  # what was in flight lands
            during = len(received(smtp_server, ours))
            time.sleep(3)
            assert len(received(smtp_server, ours)) == during, "sent with no rate to hold it"
            assert status(mailing) == Edition.Status.SENDING
            assert during < 120
            cache = subprocess.Popen(command, stdout=subprocess.DEVNULL)
            wait_for(
                lambda: status(mailing) == Edition.Status.SENT,
                timeout=30,
                message="sending did not resume when the cache came back",
            )
    finally:
        cache.kill()
        cache.wait(timeout=10)
    assert_each_mailed_once(smtp_server, ours)


@pytest.mark.django_db(transaction=True)
def test_a_451_outage_longer_than_the_old_retry_budget_ends_with_everyone_mailed_once(
    smtp_server, tmp_path
):
    # The old engine gave up after 5 attempts: with a 1 s base, 1+2+4+8 = 15 s of trying.
    client = broker_client(tmp_path)
    queue = f"outage-{os.getpid()}"
    mailing, ours = sending_edition("o", "Long outage", 50)
    smtp_server.defer_until = time.time() + 3600
    env = worker_env(
        tmp_path, client, queue, NEWSLETTER_RETRY_BASE_SECONDS="1", NEWSLETTER_RETRY_MAX_SECONDS="3"
    )
    with workers(env), sweeping(client, queue, every=2):
        start(client, queue, mailing)
        # The outage lasts 20 s from the first refusal, however long the workers took to start.
        wait_for(lambda: smtp_server.deferred, timeout=60, message="no send was tried")
        smtp_server.defer_until = time.time() + 20
        wait_for(lambda: status(mailing) == Edition.Status.SENT, timeout=60)
    assert smtp_server.deferred > 10  # the outage was met again and again
    assert_each_mailed_once(smtp_server, ours)
    assert not Delivery.objects.filter(status="failed").exists()
    # The retry budget is a time (48 hours by default), not a count of attempts.
    row = Delivery.objects.filter(edition=mailing).order_by("-attempts").first()
    assert row.attempts >= 2
    assert row.retry_until > timezone.now() + timedelta(hours=47)
