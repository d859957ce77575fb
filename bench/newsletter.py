"""`make bench`, newsletter part: one edition sent to N subscribers by real Celery workers.

    make bench                                      # the pages, then 10,000 subscribers
    make bench BENCH_ARGS="--subscribers 100000"    # or: make bench SUBSCRIBERS=100000
    .venv/bin/python -m bench --newsletter-only [--subscribers N]

Loopback only, in the bench's own database and Redis database (bench/environment.py), on
its own queue, so it never meets `make run`'s data or workers:

1. N active subscribers (bench-<n>@example.org, two in three following one or two topics)
   replace those of an earlier run, in bulk.
2. A sink (bench/sink.py) starts in its own process and counts what it receives. Its
   ceiling: a plain smtplib loop over one connection sends one real edition message, as
   bytes, min(N, 5,000) times (at most 30 s).
3. For one and then two workers: a fresh edition (Markdown intro, three demo articles); W
   `celery -A config worker --pool solo --concurrency 1` processes start and answer a ping;
   `edition_send`, what the admin's button calls, creates the delivery rows and queues
   NEWSLETTER_PARALLEL_TASKS (2) tasks ("create s"); the bench polls the database until no row
   is queued or sending. Emails/s is sent rows over first claim to last recorded send ("send
   s"); "wall s" runs from the call to the poll that saw the end. Peak RSS is each worker's
   VmHWM, read before it stops; with the solo pool the celery process is the one that sends.
   CPU a message: the workers' and the sink's user plus system time over the send, per email
   (workers, sink, database and broker share this machine's cores).

Each run must put exactly N messages for N distinct recipients into the sink and fail no
row, or the bench exits non-zero. Goal: two workers reach at least half the ceiling.
"""

from __future__ import annotations

import os
import select
import signal
import smtplib
import socket
import subprocess
import sys
import time
from pathlib import Path

from bench.environment import ROOT, free_port

QUEUE = "bench-newsletter"
WORKER_COUNTS = (1, 2)
CEILING_MESSAGES = 5000
CEILING_SECONDS = 30.0
ROOT_WARNING = "You're running the worker with superuser privileges"


class Sink:
    """bench/sink.py in its own process, asked for its counts over a pipe."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.sink", str(self.port)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        if self._line(timeout=30) != "ready":
            raise RuntimeError("the SMTP sink did not start")

    def _line(self, timeout: float = 10) -> str:
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        if not ready:
            raise TimeoutError("the SMTP sink did not answer")
        return self.process.stdout.readline().strip()

    def _ask(self, command: str) -> str:
        self.process.stdin.write(f"{command}\n")
        self.process.stdin.flush()
        return self._line()

    def reset(self) -> None:
        self._ask("reset")

    def stats(self) -> dict[str, int]:
        messages, recipients, distinct, size = map(int, self._ask("stats").split())
        return {"messages": messages, "recipients": recipients, "distinct": distinct, "bytes": size}

    def close(self) -> None:
        self.process.stdin.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


def ceiling(port: int, payload: bytes, count: int) -> tuple[int, float]:
    """Messages sent and messages per second of a plain smtplib loop over one connection."""
    deadline = time.monotonic() + CEILING_SECONDS
    sent = 0
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        started = time.perf_counter()
        while sent < count and time.monotonic() < deadline:
            smtp.sendmail("newsletter@localhost", [f"ceiling-{sent}@example.org"], payload)
            sent += 1
        return sent, sent / (time.perf_counter() - started)


def start_worker(env: dict[str, str], name: str) -> subprocess.Popen:
    """One real worker; with the solo pool this process is the one that sends (no child)."""
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker",
        "--pool", "solo", "--concurrency", "1", "-Q", QUEUE, "-n", name,
        "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "WARNING",
    ]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)


def wait_ready(app, names: list[str], workers: list[subprocess.Popen]) -> None:
    """Until every worker answers a ping (at most 60 s)."""
    deadline = time.monotonic() + 60
    while True:
        replies = app.control.ping(destination=names, timeout=1.0)
        if {name for reply in replies for name in reply} >= set(names):
            return
        if any(worker.poll() is not None for worker in workers):
            raise RuntimeError("a worker exited while starting")
        if time.monotonic() > deadline:
            raise TimeoutError("the workers did not answer a ping within 60 s")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError(f"no VmHWM for process {pid}")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stop(workers: list[subprocess.Popen]) -> None:
    """Warm shutdown, then a kill for any worker still there after 30 s."""
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=10)


def send_with(env: dict[str, str], count: int, sink: Sink, subscribers: int) -> dict:
    """One edition sent by `count` workers; its figures and what the sink received."""
    from django.db.models import Max, Min

    from bench import fixtures
    from config.celery import app
    from newsletter import services
    from newsletter.models import Delivery

    edition = fixtures.newsletter_edition(f"{count} workers")
    names = [f"bench{n}-{os.getpid()}@{socket.gethostname()}" for n in range(count)]
    workers = [start_worker(env, name) for name in names]
    try:
        wait_ready(app, names, workers)
        sink.reset()
        watched = [worker.pid for worker in workers] + [sink.process.pid]
        cpu_before = [cpu_seconds(pid) for pid in watched]
        started = time.perf_counter()
        created = services.edition_send(edition=edition)
        create_seconds = time.perf_counter() - started
        rows = Delivery.objects.filter(edition=edition)
        pending = rows.filter(status__in=(Delivery.Status.QUEUED, Delivery.Status.SENDING))
        deadline = time.monotonic() + 60 + subscribers / 50
        while pending.exists():
            if any(worker.poll() is not None for worker in workers):
                raise RuntimeError("a worker exited during the send")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{count} worker(s) did not finish the edition in time")
            time.sleep(0.2)
        wall = time.perf_counter() - started
        peaks = [peak_rss_mb(worker.pid) for worker in workers]
        cpu = [cpu_seconds(pid) - b for pid, b in zip(watched, cpu_before, strict=True)]
    finally:
        stop(workers)
    times = rows.aggregate(first=Min("claimed_at"), last=Max("sent_at"))
    seconds = (times["last"] - times["first"]).total_seconds()
    sent = rows.filter(status=Delivery.Status.SENT).count()
    return {
        "workers": count,
        "deliveries": created,
        "create_seconds": round(create_seconds, 2),
        "send_seconds": round(seconds, 1),
        "wall_seconds": round(wall, 1),
        "emails_per_second": round(sent / seconds, 1),
        "peak_rss_mb": peaks,
        "worker_cpu_ms_per_email": round(1000 * sum(cpu[:-1]) / sent, 2),
        "sink_cpu_ms_per_email": round(1000 * cpu[-1] / sent, 2),
        "sent": sent,
        "failed": rows.filter(status=Delivery.Status.FAILED).count(),
        "received": sink.stats(),
    }


def run(env: dict[str, str], *, subscribers: int) -> dict:
    """The whole newsletter part; Django is set up in this process with the bench's env."""
    sink = Sink()
    try:
        env = {
            **env,
            "EMAIL_URL": f"smtp://127.0.0.1:{sink.port}",
            "CELERY_QUEUE": QUEUE,
            "NEWSLETTER_PARALLEL_TASKS": str(max(WORKER_COUNTS)),
            "NEWSLETTER_RATE_PER_SECOND": "0",
            # Celery's warning about root, printed by every worker of every run.
            "PYTHONWARNINGS": ",".join(
                filter(None, [env.get("PYTHONWARNINGS"), f"ignore:{ROOT_WARNING}"])
            ),
        }
        os.environ.update(env)
        import django

        django.setup()
        from bench import fixtures
        from config.celery import app

        app.control.purge()  # tasks left by an interrupted run
        started = time.perf_counter()
        fixtures.newsletter_audience(subscribers)
        print(f"{subscribers:,} subscribers created in {time.perf_counter() - started:.1f} s")

        sample = fixtures.newsletter_edition("sample")
        payload = fixtures.newsletter_message(sample)
        sample.delete()
        sink.reset()
        sink_cpu = cpu_seconds(sink.process.pid)
        ceiling_sent, ceiling_rate = ceiling(sink.port, payload, min(subscribers, CEILING_MESSAGES))
        sink_cpu = cpu_seconds(sink.process.pid) - sink_cpu
        ceiling_received = sink.stats()
        print(f"sink ceiling: {ceiling_rate:.0f} messages/s", flush=True)

        runs = []
        for count in WORKER_COUNTS:
            runs.append(send_with(env, count, sink, subscribers))
            print(f"{count} worker(s): {runs[-1]['emails_per_second']} emails/s", flush=True)
    finally:
        sink.close()

    for r in runs:
        r["ratio_to_ceiling"] = round(r["emails_per_second"] / ceiling_rate, 2)
        got = r["received"]
        r["ok"] = (
            r["deliveries"] == r["sent"] == got["recipients"] == got["distinct"] == subscribers
            and not r["failed"]
        )
    two = next(r for r in runs if r["workers"] == 2)
    return {
        "subscribers": subscribers,
        "parallel_tasks": max(WORKER_COUNTS),
        "ceiling": {
            "messages": ceiling_sent,
            "received": ceiling_received["recipients"],
            "message_bytes": len(payload),
            "messages_per_second": round(ceiling_rate, 1),
            "sink_cpu_ms_per_message": round(1000 * sink_cpu / ceiling_sent, 2),
        },
        "runs": runs,
        "two_workers_to_ceiling": two["ratio_to_ceiling"],
        "ok": ceiling_received["recipients"] == ceiling_sent and all(r["ok"] for r in runs),
    }


def table(result: dict) -> list[str]:
    """The lines `make bench` prints and writes to var/bench/latest.txt."""
    header = (
        f"{'newsletter send':<20}{'workers':>8}{'create s':>10}{'send s':>8}{'wall s':>8}"
        f"{'emails/s':>10}{'x ceiling':>11}{'peak MB per worker':>20}"
    )
    lines = [header, "-" * len(header)]
    for r in result["runs"]:
        peaks = ", ".join(f"{p:.0f}" for p in r["peak_rss_mb"])
        audience = f"{r['deliveries']:,} subscribers"
        lines.append(
            f"{audience:<20}{r['workers']:>8}{r['create_seconds']:>10}"
            f"{r['send_seconds']:>8}{r['wall_seconds']:>8}{r['emails_per_second']:>10}"
            f"{r['ratio_to_ceiling']:>11.2f}{peaks:>20}"
        )
    ceiling_ = result["ceiling"]
    lines += [
        "",
        f"sink ceiling, smtplib over one connection: {ceiling_['messages_per_second']:.0f} "
        f"messages/s ({ceiling_['messages']:,} messages of {ceiling_['message_bytes']:,} bytes; "
        f"the sink's CPU: {ceiling_['sink_cpu_ms_per_message']} ms a message)",
        f"two workers / ceiling: {result['two_workers_to_ceiling']:.2f} (goal >= 0.5)",
    ]
    for r in result["runs"]:
        got = r["received"]
        lines.append(
            f"{r['workers']} worker(s): {r['sent']:,} sent, {r['failed']} failed; the sink got "
            f"{got['recipients']:,} messages for {got['distinct']:,} distinct recipients, "
            f"{got['bytes'] // max(got['messages'], 1):,} bytes each; CPU a message: workers "
            f"{r['worker_cpu_ms_per_email']} ms, sink {r['sink_cpu_ms_per_email']} ms"
            + ("" if r["ok"] else "  <-- LOST OR DOUBLED")
        )
    return lines
