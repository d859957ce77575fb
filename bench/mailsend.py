"""`make bench`, newsletter part: an edition sent to N subscribers by real Celery workers.

    python -m bench.mailsend [--subscribers N] [--workers 1,2]

Everything stays on this machine: an aiosmtpd sink in its own process counts what arrives;
the workers are real `celery -A config worker` processes. The bench uses its own database
(PostgreSQL `<name>_bench` when a server answers, else SQLite in var/bench/) and its own Redis
database (14) and queue when Redis answers, else the filesystem broker, so it never touches the
data of `make run`. It reports, for one and for two workers: the time to create the delivery
rows, emails per second (first claim to last recorded send), peak memory of each worker
(VmHWM), and the ceiling of the sink measured by a plain smtplib loop over one connection.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import signal
import smtplib
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "var" / "bench"
QUEUE = "bench-newsletter"


def answers(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=0.5).close()
        return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bench_database() -> str:
    """The bench's own database: `<name>_bench` beside DATABASE_URL's, or a local one."""
    url = os.environ.get("DATABASE_URL", "")
    if not url and answers("127.0.0.1", 5432):
        url = "postgres://postgres@127.0.0.1:5432/driverline"
    if not url.startswith("postgres"):
        return f"sqlite:///{OUT / 'var' / 'mailsend.sqlite3'}"
    parts = urlsplit(url)
    name = parts.path.lstrip("/") or "driverline"
    bench_name = name if name.endswith("_bench") else f"{name}_bench"
    import psycopg

    admin = urlunsplit(parts._replace(path="/postgres", scheme="postgresql"))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [bench_name])
        if exists.fetchone() is None:
            conn.execute(f'CREATE DATABASE "{bench_name}"')
    return urlunsplit(parts._replace(path=f"/{bench_name}"))


def bench_env(smtp_port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("EMAIL_URL", "CELERY_BROKER_URL")}
    redis = os.environ.get("REDIS_URL") or (
        "redis://127.0.0.1:6379/0" if answers("127.0.0.1", 6379) else ""
    )
    if redis:
        env["REDIS_URL"] = urlunsplit(urlsplit(redis)._replace(path="/14"))
    else:
        env.pop("REDIS_URL", None)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        VAR_DIR=str(OUT / "var"),
        DATABASE_URL=bench_database(),
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
        CELERY_QUEUE=QUEUE,
        DEBUG="false",
        SITE_URL="http://127.0.0.1",
        ALLOWED_HOSTS="127.0.0.1",
        SECRET_KEY=os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        LOG_LEVEL="WARNING",
        NEWSLETTER_RATE_PER_SECOND="0",
    )
    return env


SINK = """
import sys, threading, time
from pathlib import Path
from aiosmtpd.controller import Controller

class Count:
    messages = 0
    async def handle_DATA(self, server, session, envelope):
        Count.messages += len(envelope.rcpt_tos)
        return "250 2.0.0 OK"

out = Path(sys.argv[2])
controller = Controller(Count(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
while True:
    out.write_text(str(Count.messages))
    time.sleep(0.1)
"""


def sink_count(path: Path) -> int:
    time.sleep(0.3)  # the sink writes its count every 0.1 s
    return int(path.read_text() or 0)


def ceiling(port: int, payload: bytes, count: int) -> float:
    """Messages per second of a plain smtplib loop over one connection: what the sink takes."""
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        started = time.perf_counter()
        for n in range(count):
            smtp.sendmail("newsletter@127.0.0.1", [f"ceiling{n}@example.org"], payload)
        return count / (time.perf_counter() - started)


def start_worker(env: dict[str, str], n: int) -> subprocess.Popen:
    """One real worker process; with the solo pool, this process is the one that sends."""
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker",
        "--pool", "solo", "-Q", QUEUE, "-n", f"bench{n}-{os.getpid()}@%h",
        "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "WARNING",
    ]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--workers", default="1,2", help="worker counts to run, comma-separated")
    parser.add_argument("--timeout", type=float, default=900, help="per run, seconds")
    args = parser.parse_args()
    OUT.joinpath("var").mkdir(parents=True, exist_ok=True)

    smtp_port = free_port()
    env = bench_env(smtp_port)
    os.environ.clear()
    os.environ.update(env)
    counter = OUT / "var" / "sink-count"
    counter.write_text("0")
    sink = subprocess.Popen([sys.executable, "-c", SINK, str(smtp_port), str(counter)], cwd=ROOT)
    workers: list[subprocess.Popen] = []
    try:
        print("Preparing the newsletter bench database…", flush=True)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, check=True
        )
        subprocess.run(
            [sys.executable, "manage.py", "seed_demo", "--quiet-logins"],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        import django

        django.setup()
        from django.db import connection
        from django.db.models import Max, Min

        from articles.models import Article
        from newsletter import delivery
        from newsletter.models import Delivery, Edition, Subscriber
        from newsletter.tasks import send_edition

        for _ in range(100):
            if answers("127.0.0.1", smtp_port):
                break
            time.sleep(0.1)
        Edition.objects.filter(subject__startswith="Bench edition").delete()
        Subscriber.objects.filter(email__startswith="bench-").delete()
        started = time.perf_counter()
        for start in range(0, args.subscribers, 5000):
            Subscriber.objects.bulk_create(
                Subscriber(email=f"bench-{n}@example.org", status=Subscriber.Status.ACTIVE)
                for n in range(start, min(start + 5000, args.subscribers))
            )
        print(f"{args.subscribers} subscribers in {time.perf_counter() - started:.1f} s")
        featured = list(Article.objects.published()[:3])

        def new_edition(label: str) -> Edition:
            edition = Edition.objects.create(
                subject=f"Bench edition ({label})",
                preheader="Three articles",
                intro="This *week*: three things worth reading, and a question for you.",
            )
            edition.featured.set(featured)
            return edition

        sample = new_edition("sample")
        delivery.deliveries_create(edition=sample)
        row = Delivery.objects.filter(edition=sample).select_related("subscriber").first()
        payload = (
            delivery.build_message(delivery.render_edition(sample), row)
            .message()
            .as_bytes(linesep="\r\n")
        )
        sample.delete()
        ceiling_count = min(args.subscribers, 5000)
        before = sink_count(counter)
        ceiling_rate = ceiling(smtp_port, payload, ceiling_count)
        assert sink_count(counter) - before == ceiling_count, "the sink lost ceiling messages"
        print(f"sink ceiling (smtplib, one connection): {ceiling_rate:.0f} messages/s")

        runs = []
        for count in [int(w) for w in args.workers.split(",")]:
            edition = new_edition(f"{count} workers")
            started = time.perf_counter()
            created = delivery.deliveries_create(edition=edition)
            create_seconds = time.perf_counter() - started
            workers = [start_worker(env, n) for n in range(count)]
            before = sink_count(counter)
            Edition.objects.filter(pk=edition.pk).update(status=Edition.Status.SENDING)
            for _ in range(count):
                send_edition.delay(edition.pk)
            deadline = time.monotonic() + args.timeout
            rows = Delivery.objects.filter(edition=edition)
            while rows.filter(status__in=("queued", "sending")).exists():
                if time.monotonic() > deadline or any(w.poll() is not None for w in workers):
                    raise RuntimeError("the workers did not finish the edition")
                time.sleep(0.5)
            peaks = [peak_rss_mb(w.pid) for w in workers]
            for worker in workers:
                worker.send_signal(signal.SIGTERM)
            for worker in workers:
                worker.wait(timeout=30)
            workers = []
            times = rows.aggregate(first=Min("claimed_at"), last=Max("sent_at"))
            seconds = (times["last"] - times["first"]).total_seconds()
            received = sink_count(counter) - before
            sent = rows.filter(status="sent").count()
            runs.append(
                {
                    "workers": count,
                    "deliveries": created,
                    "create_seconds": round(create_seconds, 2),
                    "send_seconds": round(seconds, 1),
                    "emails_per_second": round(sent / seconds, 1),
                    "ratio_to_ceiling": round(sent / seconds / ceiling_rate, 2),
                    "peak_rss_mb": peaks,
                    "sent": sent,
                    "received": received,
                    "failed": rows.filter(status="failed").count(),
                }
            )
            print(f"{count} worker(s): {runs[-1]}", flush=True)
    finally:
        for worker in workers:
            worker.kill()
        sink.kill()

    engine = "postgresql" if connection.vendor == "postgresql" else "sqlite"
    broker = "redis" if env.get("REDIS_URL") else "filesystem"
    header = (
        f"{'workers':>8}{'subscribers':>13}{'create s':>10}{'send s':>9}{'emails/s':>10}"
        f"{'x ceiling':>11}{'peak MB per worker':>22}"
    )
    lines = [header, "-" * len(header)]
    for r in runs:
        peaks = ", ".join(f"{p:.0f}" for p in r["peak_rss_mb"])
        lines.append(
            f"{r['workers']:>8}{r['deliveries']:>13,}{r['create_seconds']:>10}"
            f"{r['send_seconds']:>9}{r['emails_per_second']:>10}{r['ratio_to_ceiling']:>11}"
            f"{peaks:>22}"
        )
    two = next((r for r in runs if r["workers"] == 2), None)
    lines += [
        "",
        f"sink ceiling, smtplib over one connection: {ceiling_rate:.0f} messages/s",
        *(
            [f"two workers / ceiling: {two['ratio_to_ceiling']} (goal >= 0.5)"]
            if two
            else []
        ),
        "every run: " + ", ".join(
            f"{r['workers']} worker(s) {r['received']:,} received of {r['deliveries']:,}, "
            f"{r['failed']} failed"
            for r in runs
        ),
    ]  # fmt: skip
    table = "\n".join(lines)
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"\nNewsletter send; {machine}; {engine}; broker {broker}")
    print(table)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (OUT / f"newsletter-{stamp}.json").write_text(
        json.dumps(
            {
                "when": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": machine,
                "database": engine,
                "broker": broker,
                "subscribers": args.subscribers,
                "ceiling_messages_per_second": round(ceiling_rate, 1),
                "runs": runs,
            },
            indent=2,
        )
    )
    (OUT / "newsletter-latest.txt").write_text(table + "\n")
    print(f"\nWritten to var/bench/newsletter-{stamp}.json and var/bench/newsletter-latest.txt")
    lost = any(r["received"] != r["deliveries"] or r["failed"] for r in runs)
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
