"""Real worker processes: two sending one edition at once, and one killed with SIGKILL
mid-edition on Redis and on RabbitMQ, after which the sweep and a new worker finish the job
within a minute. Every subscriber gets the edition; the only duplicates are rows the ledger
marks as possibly sent twice."""

import os
import signal
import time

import pytest

from newsletter import delivery
from newsletter.models import Delivery, Edition
from tests.conftest import wait_for
from tests.newsletter.workers import (
    assert_each_mailed_once,
    broker_client,
    received,
    sending_edition,
    start,
    sweeping,
    worker_env,
    worker_process,
    workers,
)

SUBSCRIBERS = 600


@pytest.mark.django_db(transaction=True)
def test_two_worker_processes_sending_one_edition_send_each_message_once(smtp_server, tmp_path):
    client = broker_client(tmp_path)
    queue = f"pair-test-{os.getpid()}"
    mailing, ours = sending_edition("p", "Two workers at once", SUBSCRIBERS)
    with workers(worker_env(tmp_path, client, queue), count=2):
        start(client, queue, mailing, tasks=2)
        wait_for(
            lambda: Edition.objects.get(pk=mailing.pk).status == Edition.Status.SENT,
            timeout=120,
            message="the two workers did not finish the edition",
        )
    assert_each_mailed_once(smtp_server, ours)


@pytest.mark.parametrize("broker", ["redis", "amqp"])
@pytest.mark.django_db(transaction=True)
def test_a_killed_worker_loses_no_subscriber_and_is_recovered_within_a_minute(
    broker, smtp_server, tmp_path, admin_client
):
    client = broker_client(tmp_path, "amqp" if broker == "amqp" else "default")
    queue = f"kill-{broker}-{os.getpid()}"
    mailing, ours = sending_edition("k", "Killed mid-send", SUBSCRIBERS)
    smtp_server.delay = 0.002  # so that the kill lands mid-edition
    env = worker_env(tmp_path, client, queue)

    def sent() -> int:
        return Delivery.objects.filter(edition=mailing, status="sent").count()

    first = worker_process(env)
    try:
        start(client, queue, mailing)
        wait_for(lambda: sent() >= 60, timeout=60, message="the first worker sent nothing")
        os.kill(first.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        first.wait(timeout=10)
        stranded = Delivery.objects.filter(edition=mailing, status="sending").count()
        assert sent() < SUBSCRIBERS, "the worker finished before it could be killed"
        with workers(env), sweeping(client, queue):
            # Nothing else is done here: RabbitMQ gives the dead worker's task back, Redis
            # does not, and the leases and the sweep take care of the rest.
            wait_for(
                lambda: Edition.objects.get(pk=mailing.pk).status == Edition.Status.SENT,
                timeout=60,
                message="the edition was not recovered within a minute of the kill",
            )
            recovered = time.monotonic() - killed_at
    finally:
        if first.poll() is None:
            first.kill()
        if broker == "amqp":  # RabbitMQ keeps queues; a drill leaves none behind
            with client.connection_for_write() as conn:
                conn.default_channel.queue_delete(queue)
    counts = received(smtp_server, ours)
    duplicates = sum(n - 1 for n in counts.values())
    resent = Delivery.objects.filter(edition=mailing, resent=True).count()
    print(f"\nkilled on {broker}: {len(counts)}/{SUBSCRIBERS} delivered in {recovered:.0f}s, "
          f"{duplicates} duplicate(s), {stranded} claimed by the dead worker, {resent} marked resent")  # fmt: skip
    assert len(counts) == SUBSCRIBERS
    # A duplicate is only ever a row the ledger says may have left twice: at most one group.
    assert duplicates <= resent <= delivery.RECORD_EVERY
    page = admin_client.get(f"/admin/newsletter/edition/{mailing.pk}/change/").content.decode()
    assert f"Possibly sent twice <strong>{resent}</strong>" in page
