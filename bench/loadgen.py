"""Load for `make bench`: GETs from client threads against the local gunicorn, bounded in
requests and seconds, summarised as requests per second and latency percentiles."""

from __future__ import annotations

import http.client
import statistics
import threading
import time


def load(
    port: int, path: str, *, requests: int, seconds: float, concurrency: int, cookie: str = ""
) -> dict:
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
                headers = {"Host": "127.0.0.1", **({"Cookie": cookie} if cookie else {})}
                conn.request("GET", path, headers=headers)
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
    return summary(path, latencies, len(errors), wall)


def summary(path: str, latencies: list[float], errors: int, wall: float) -> dict:
    latencies = sorted(latencies)

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    return {
        "path": path,
        "requests": len(latencies),
        "errors": errors,
        "rps": round(len(latencies) / wall, 1),
        "p50_ms": round(pct(0.50), 1) if latencies else None,
        "p95_ms": round(pct(0.95), 1) if latencies else None,
        "mean_ms": round(statistics.fmean(latencies) * 1000, 1) if latencies else None,
        "_latencies": latencies,
        "_wall": wall,
    }


def load_in_turns(port: int, pages: list, *, rounds: int, requests: int, seconds: float, **kw):
    """Each page in turn, `rounds` times, each turn with its share of the bounds, so a change in
    the load of a shared machine falls on every page alike (their ratio is the figure)."""
    runs: dict[str, list[dict]] = {name: [] for name, _, _ in pages}
    for _ in range(rounds):
        for name, path, cookie in pages:
            runs[name].append(
                load(
                    port,
                    path,
                    requests=requests // rounds,
                    seconds=seconds / rounds,
                    cookie=cookie,
                    **kw,
                )
            )
    return [
        {
            "name": name,
            **summary(
                path,
                [latency for run in runs[name] for latency in run["_latencies"]],
                sum(run["errors"] for run in runs[name]),
                sum(run["_wall"] for run in runs[name]),
            ),
        }
        for name, path, _ in pages
    ]
