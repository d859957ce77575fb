"""The bench's own database, broker, queue and folders, so it never touches `make run`'s data.

Database: with a PostgreSQL DATABASE_URL, the database `<name>_bench` on the same server;
without one, `driverline_bench` on 127.0.0.1:5432 when that server answers; either is created
if missing. Otherwise SQLite in var/bench/var/. Broker and cache: Redis database 14 (or
BENCH_REDIS_DB) of REDIS_URL's server, or of 127.0.0.1:6379 when it answers; otherwise
kombu's filesystem transport and the file cache in var/bench/var/. Values from .env count
as set, as they do for the app.
"""

from __future__ import annotations

import os
import secrets
import socket
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import environ
import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "var" / "bench"
LOCAL_POSTGRES = "postgres://postgres@127.0.0.1:5432/driverline"
LOCAL_REDIS = "redis://127.0.0.1:6379"
# BENCH_REDIS_DB picks another database, for a bench beside another one on the same server.
REDIS_DB = int(os.environ.get("BENCH_REDIS_DB", "14"))


def answers(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=0.5).close()
    except OSError:
        return False
    return True


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _create_database(url: str, name: str) -> None:
    """CREATE DATABASE `name` on the server of `url` unless it exists."""
    parts = urlsplit(url)
    maintenance = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True, connect_timeout=5) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if found is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def bench_database(configured: str) -> str:
    """The bench's DATABASE_URL, derived from the configured one (see the module docstring)."""
    explicit = configured.startswith(("postgres://", "postgresql://", "pgsql://"))
    if not explicit and not answers("127.0.0.1", 5432):
        return f"sqlite:///{OUT / 'var' / 'bench.sqlite3'}"
    parts = urlsplit(configured if explicit else LOCAL_POSTGRES)
    name = parts.path.lstrip("/") or "driverline"
    name = name if name.endswith("_bench") else f"{name}_bench"
    url = urlunsplit(parts._replace(path=f"/{name}"))
    try:
        _create_database(url, name)
    except psycopg.Error as error:
        if explicit:
            raise
        print(f"PostgreSQL at 127.0.0.1:5432 answers but refused the bench ({error}); SQLite.")
        return f"sqlite:///{OUT / 'var' / 'bench.sqlite3'}"
    return url


def bench_redis(configured: str) -> str:
    """Database 14 of the configured Redis, or of a local one; "" when there is none."""
    if not configured and not answers("127.0.0.1", 6379):
        return ""
    return urlunsplit(urlsplit(configured or LOCAL_REDIS)._replace(path=f"/{REDIS_DB}"))


def bench_env() -> dict[str, str]:
    """The environment of every process of the bench. Everything that could reach the data,
    the broker or the mail of `make run` is set explicitly, so a value in .env cannot win."""
    dotenv = ROOT / ".env"
    if dotenv.is_file():
        environ.Env.read_env(dotenv, overwrite=False)
    env = dict(os.environ)
    redis = bench_redis(env.get("REDIS_URL", ""))
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        VAR_DIR=str(OUT / "var"),
        DATABASE_URL=bench_database(env.get("DATABASE_URL", "")),
        REDIS_URL=redis,
        CELERY_BROKER_URL=redis or "filesystem://",
        # Tasks the pages queue (comment notifications) wait here; no worker takes them.
        CELERY_QUEUE="bench-pages",
        EMAIL_URL="",  # mail goes to files in var/bench/var/mail/ unless a part says otherwise
        DEBUG="false",
        SITE_URL="http://127.0.0.1",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECRET_KEY=secrets.token_urlsafe(50),
        LOG_LEVEL="WARNING",
        COMMENTS_RATE_PER_USER="1000000/60",
        COMMENTS_RATE_PER_IP="1000000/60",
    )
    return env


def describe(env: dict[str, str]) -> tuple[str, str]:
    """Which database and which broker, in words."""
    db = urlsplit(env["DATABASE_URL"])
    if db.scheme == "sqlite":
        database = (
            f"SQLite {Path(env['DATABASE_URL'].removeprefix('sqlite:///')).relative_to(ROOT)}"
        )
    else:
        database = f"PostgreSQL {db.path.lstrip('/')} on {db.hostname}:{db.port or 5432}"
    broker = urlsplit(env["CELERY_BROKER_URL"])
    if broker.scheme.startswith("redis"):
        return database, f"Redis {broker.hostname}:{broker.port or 6379}, db {REDIS_DB}"
    return database, "filesystem (var/bench/var/celery/)"
