"""`make bench`: Driverline's pages under gunicorn, then a newsletter send by real workers.

Runs against its own database, broker queue and var/ folder (bench/environment.py), so it
never touches the data of `make run`. Loopback only; every loop is bounded in requests,
messages or seconds. The newsletter part is described in bench/newsletter.py. On PostgreSQL
the bench first adds an archive of 1,000 published articles (bench/corpus.py) so that the
search page has something to rank; `--search-only` measures just that page and an article page,
taking turns.

    python -m bench [--requests N] [--seconds S] [--concurrency C] [--workers W]
                    [--subscribers N] [--newsletter-only | --search-only | --skip-newsletter]
    make bench BENCH_ARGS="--subscribers 100000"
    make bench BENCH_ONLY=search
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from datetime import UTC, datetime

from bench import newsletter
from bench.environment import OUT, ROOT, bench_env, describe, free_port
from bench.loadgen import load, load_in_turns


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


CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def post_concurrently(
    port: int, slug: str, sessions: list[str], *, posts_each: int, seconds: float
):
    """Each session posts `posts_each` comments at once with the others, as browsers do."""
    marker = f"bench-{secrets.token_hex(4)}"
    ok, failed, lock = [0], [], threading.Lock()
    deadline = time.monotonic() + seconds
    barrier = threading.Barrier(len(sessions))

    def poster(n: int, session: str) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        cookie = f"sessionid={session}"
        conn.request("GET", f"/articles/{slug}/", headers={"Host": "127.0.0.1", "Cookie": cookie})
        response = conn.getresponse()
        page = response.read().decode()
        csrf = response.headers.get("Set-Cookie", "").split("csrftoken=")[1].split(";")[0]
        token = CSRF_RE.search(page).group(1)
        conn.close()
        barrier.wait(timeout=30)
        for i in range(posts_each):
            if time.monotonic() > deadline:
                return
            body = urllib.parse.urlencode(
                {"body": f"{marker} {n}-{i}", "csrfmiddlewaretoken": token}
            )
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request(
                "POST",
                f"/articles/{slug}/comments/",
                body=body,
                headers={
                    "Host": "127.0.0.1",
                    "Cookie": f"{cookie}; csrftoken={csrf}",
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Referer": "http://127.0.0.1/",
                },
            )
            status = conn.getresponse().status
            conn.close()
            with lock:
                if status == 302:
                    ok[0] += 1
                else:
                    failed.append(status)

    started = time.perf_counter()
    threads = [threading.Thread(target=poster, args=(n, s)) for n, s in enumerate(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return marker, ok[0], failed, wall


ARTICLE_PAGE = "/articles/fda-approves-zenocutuzumab-nrg1-cholangiocarcinoma/"
SEARCH_QUERY = "NRG1 fusion"


def pages(env: dict[str, str], args: argparse.Namespace) -> tuple[dict, list[str], bool]:
    """The page part: its JSON figures, its table lines, and whether it went cleanly."""
    manage(env, "collectstatic", "--noinput", "-v0")
    archive = {"archive": 0, "matches": None}
    if env["DATABASE_URL"].startswith("postgres"):
        # SQLite keeps its word-match search; the search is measured at size on PostgreSQL.
        out = manage(
            env,
            "shell",
            "-c",
            f"from bench.corpus import build_archive; build_archive(query={SEARCH_QUERY!r})",
        )
        archive = json.loads(out.strip().splitlines()[-1])
    fixture = json.loads(
        manage(
            env, "shell", "-c", f"from bench.fixtures import build; build(posters={args.posters})"
        )
        .strip()
        .splitlines()[-1]
    )
    signed_in = f"sessionid={fixture['sessions'][0]}"

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
        search_page = "/search/?" + urllib.parse.urlencode({"q": SEARCH_QUERY})
        pages = [
            ("article page", ARTICLE_PAGE, ""),
            ("home page", "/", ""),
            ("search", search_page, ""),
            ("article, 0 comments, anonymous", fixture["empty"], ""),
            (f"article, {fixture['comments']} comments, anonymous", fixture["threaded"], ""),
            ("article, 0 comments, signed in", fixture["empty"], signed_in),
            (f"article, {fixture['comments']} comments, signed in", fixture["threaded"], signed_in),
        ]
        if args.search_only:
            pages = [("article page", ARTICLE_PAGE, ""), ("search", search_page, "")]
        results = []
        for name, path, cookie in pages:
            load(port, path, requests=50, seconds=5, concurrency=2, cookie=cookie)  # warm up
            if not args.search_only:
                result = load(
                    port,
                    path,
                    requests=args.requests,
                    seconds=args.seconds,
                    concurrency=args.concurrency,
                    cookie=cookie,
                )
                results.append({"name": name, **result})
        if args.search_only:
            # The two pages take turns, four times, so their ratio survives a busy machine.
            results = load_in_turns(
                port,
                pages,
                rounds=4,
                requests=args.requests,
                seconds=args.seconds,
                concurrency=args.concurrency,
            )
        for result in results:
            result.pop("_latencies"), result.pop("_wall")
        if not args.search_only:
            marker, accepted, refused, wall = post_concurrently(
                port,
                fixture["posting_slug"],
                fixture["sessions"],
                posts_each=args.posts_each,
                seconds=args.seconds,
            )
    finally:
        server.terminate()
        server.wait(timeout=10)

    header = f"{'page':<36}{'requests':>10}{'errors':>8}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}"
    lines = [
        f"gunicorn {args.workers} workers; {args.concurrency} clients",
        header,
        "-" * len(header),
    ]
    for r in results:
        lines.append(
            f"{r['name']:<36}{r['requests']:>10}{r['errors']:>8}{r['rps']:>9}"
            f"{r['p50_ms']!s:>9}{r['p95_ms']!s:>9}"
        )
    by_name = {r["name"]: r for r in results}
    article_rps = by_name["article page"]["rps"]
    search_ratio = round(by_name["search"]["rps"] / article_rps, 2) if article_rps else 0
    lines += [
        "",
        f"search / article page req/s: {search_ratio} (goal >= 0.8 on PostgreSQL; "
        + (
            f"{archive['archive']} archive articles, {SEARCH_QUERY!r} finds {archive['matches']})"
            if archive["archive"]
            else "no archive on SQLite)"
        ),
    ]
    figures = {
        "gunicorn_workers": args.workers,
        "client_concurrency": args.concurrency,
        "results": results,
        "archive_articles": archive["archive"],
        "search_query": SEARCH_QUERY,
        "search_matches": archive["matches"],
        "search_to_article_ratio": search_ratio,
    }
    clean = not any(r["errors"] for r in results)
    if args.search_only:
        return figures, lines, clean

    saved = int(
        manage(
            env,
            "shell",
            "-c",
            f"from bench.fixtures import count_posted; "
            f"count_posted({fixture['posting_slug']!r}, {marker!r})",
        ).split()[-1]
    )
    posting = {
        "posters": len(fixture["sessions"]),
        "accepted": accepted,
        "refused": len(refused),
        "saved": saved,
        "lost": accepted - saved,
        "comments_per_second": round(saved / wall, 1),
    }
    full = by_name[f"article, {fixture['comments']} comments, anonymous"]
    empty = by_name["article, 0 comments, anonymous"]
    ratio = round(full["rps"] / empty["rps"], 2) if empty["rps"] else 0
    lines += [
        f"queries per article page (anonymous): {fixture['queries_anonymous']['empty']} with no "
        f"comments, {fixture['queries_anonymous']['threaded']} with {fixture['comments']}",
        f"{fixture['comments']}-comment page / empty page, anonymous req/s: {ratio} (goal >= 0.5)",
        f"concurrent posting: {posting['posters']} posters, {posting['saved']} comments saved, "
        f"{posting['comments_per_second']} comments/s, refused {posting['refused']}, "
        f"lost {posting['lost']}",
    ]
    figures.update(
        queries=fixture["queries_anonymous"], threaded_to_empty_ratio=ratio, posting=posting
    )
    return figures, lines, clean and not posting["lost"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="per page (bound)")
    parser.add_argument("--seconds", type=float, default=20, help="per page (bound)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--posters", type=int, default=20, help="concurrent comment posters")
    parser.add_argument("--posts-each", type=int, default=10, help="comments per poster")
    parser.add_argument(
        "--subscribers", type=int, default=10_000, help="newsletter audience (100000: large run)"
    )
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--newsletter-only", action="store_true", help="skip the page part")
    only.add_argument("--skip-newsletter", action="store_true", help="skip the newsletter part")
    only.add_argument(
        "--search-only",
        action="store_true",
        help="only the search page and an article page (and no newsletter)",
    )
    args = parser.parse_args()

    OUT.mkdir(parents=True, exist_ok=True)
    env = bench_env()
    database, broker = describe(env)
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"Bench database: {database}; broker and cache: {broker}")
    print("Preparing the bench database…", flush=True)
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "seed_demo", "--quiet-logins")

    report: dict = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine,
        "database": "postgresql" if env["DATABASE_URL"].startswith("postgres") else "sqlite",
        "database_name": database,
        "broker": broker,
        "command": " ".join(["python -m bench", *sys.argv[1:]]),
    }
    lines = [f"{machine}; {database}; broker {broker}"]
    ok = True
    if not args.newsletter_only:
        report["pages"], page_lines, ok = pages(env, args)
        lines += ["", *page_lines]
    if not (args.skip_newsletter or args.search_only):
        report["newsletter"] = newsletter.run(env, subscribers=args.subscribers)
        lines += ["", *newsletter.table(report["newsletter"])]
        ok = ok and report["newsletter"]["ok"]

    table = "\n".join(lines)
    print()
    print(table)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (OUT / f"{stamp}.json").write_text(json.dumps(report, indent=2))
    (OUT / "latest.txt").write_text(table + "\n")
    print(f"\nWritten to var/bench/{stamp}.json and var/bench/latest.txt")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
