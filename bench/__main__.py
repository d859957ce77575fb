"""`make bench`: throughput and latency of Driverline's pages under gunicorn.

Runs against its own database and var/ folder (var/bench/), so it never touches the data
of `make run`. Loopback only; every load loop is bounded in requests and in seconds.

    python -m bench [--requests N] [--seconds S] [--concurrency C] [--workers W]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "var" / "bench"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bench_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("EMAIL_URL", "CELERY_BROKER_URL")}
    env.update(
        VAR_DIR=str(OUT / "var"),
        DEBUG="false",
        SITE_URL="http://127.0.0.1",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECRET_KEY=secrets.token_urlsafe(50),
        LOG_LEVEL="WARNING",
    )
    if "DATABASE_URL" not in os.environ:
        env["DATABASE_URL"] = f"sqlite:///{OUT / 'var' / 'bench.sqlite3'}"
    return env


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout


def load(port: int, path: str, *, requests: int, seconds: float, concurrency: int) -> dict:
    """Send GETs from `concurrency` threads until `requests` are done or `seconds` pass."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    issued = 0
    deadline = time.monotonic() + seconds

    def worker() -> None:
        nonlocal issued
        while True:
            with lock:
                if issued >= requests or time.monotonic() > deadline:
                    return
                issued += 1
            start = time.perf_counter()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conn.request("GET", path, headers={"Host": "127.0.0.1"})
                response = conn.getresponse()
                response.read()
                conn.close()
                ok = response.status == 200
            except OSError as error:
                ok, response = False, None
                errors.append(str(error))
            elapsed = time.perf_counter() - start
            with lock:
                if ok:
                    latencies.append(elapsed)
                elif response is not None:
                    errors.append(f"HTTP {response.status}")

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    return {
        "path": path,
        "requests": len(latencies),
        "errors": len(errors),
        "rps": round(len(latencies) / wall, 1),
        "p50_ms": round(pct(0.50), 1) if latencies else None,
        "p95_ms": round(pct(0.95), 1) if latencies else None,
        "mean_ms": round(statistics.fmean(latencies) * 1000, 1) if latencies else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="per page (bound)")
    parser.add_argument("--seconds", type=float, default=20, help="per page (bound)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    args = parser.parse_args()

    OUT.mkdir(parents=True, exist_ok=True)
    env = bench_env()
    print("Preparing the bench database and static files…", flush=True)
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "collectstatic", "--noinput", "-v0")
    manage(env, "seed_demo", "--quiet-logins")

    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "config.wsgi",
            "--bind", f"127.0.0.1:{port}",
            "--workers", str(args.workers),
            "--log-level", "warning",
        ],
        cwd=ROOT,
        env=env,
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        pages = {
            "article page": "/articles/fda-approves-zenocutuzumab-nrg1-cholangiocarcinoma/",
            "home page": "/",
            "search": "/search/?q=NRG1+fusion",
        }
        results = []
        for name, path in pages.items():
            load(port, path, requests=50, seconds=5, concurrency=2)  # warm up
            result = load(
                port,
                path,
                requests=args.requests,
                seconds=args.seconds,
                concurrency=args.concurrency,
            )
            results.append({"name": name, **result})
    finally:
        server.terminate()
        server.wait(timeout=10)

    engine = "postgresql" if env["DATABASE_URL"].startswith("postgres") else "sqlite"
    meta = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "database": engine,
        "gunicorn_workers": args.workers,
        "client_concurrency": args.concurrency,
        "command": "make bench",
    }
    header = f"{'page':<14}{'requests':>10}{'errors':>8}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}"
    lines = [header, "-" * len(header)]
    for r in results:
        lines.append(
            f"{r['name']:<14}{r['requests']:>10}{r['errors']:>8}{r['rps']:>9}"
            f"{r['p50_ms']!s:>9}{r['p95_ms']!s:>9}"
        )
    table = "\n".join(lines)
    print()
    print(
        f"{meta['machine']}; {engine}; gunicorn {args.workers} workers; {args.concurrency} clients"
    )
    print(table)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (OUT / f"{stamp}.json").write_text(json.dumps({**meta, "results": results}, indent=2))
    (OUT / "latest.txt").write_text(table + "\n")
    print(f"\nWritten to var/bench/{stamp}.json and var/bench/latest.txt")
    return 1 if any(r["errors"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
