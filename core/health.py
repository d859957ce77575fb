"""Health for load balancers and monitors: /healthz (the process serves) and /readyz (the
database, the cache and the broker answer; how the worker, beat and the newsletter are doing).

Both are answered by a middleware at the top of the stack, before anything that reads the Host
header, the session, CSRF, rate limits or the HTTPS redirect: a load balancer probes an
instance by its own address, over plain HTTP, with no cookies. Apps add their own parts to
/readyz with `register_readiness_check` in their AppConfig.ready, so core imports no app.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.crypto import get_random_string

log = logging.getLogger(__name__)

HEALTHZ = "/healthz"
READYZ = "/readyz"


class CheckFailed(Exception):
    """A readiness check's answer that the part is not usable; the message is shown as is, so
    it must say nothing secret (no URL, no host name, no password)."""


@dataclass(frozen=True)
class ReadinessCheck:
    name: str
    check: Callable[[], dict]  # returns details (plain JSON); raises when the part fails
    required: bool  # a failure answers 503: the instance should take no traffic


READINESS_CHECKS: dict[str, ReadinessCheck] = {}


def register_readiness_check(name: str, *, required: bool = False):
    """Add `check` to /readyz under `name`. A required check that fails makes /readyz answer
    503; an informative one is reported and never takes an instance out of service."""

    def add(check: Callable[[], dict]) -> Callable[[], dict]:
        READINESS_CHECKS[name] = ReadinessCheck(name=name, check=check, required=required)
        return check

    return add


@register_readiness_check("database", required=True)
def database_check() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"vendor": connection.vendor}


@register_readiness_check("cache", required=True)
def cache_check() -> dict:
    # A value of our own, so a cache that accepts writes and loses them is caught too.
    key, value = "health:probe", get_random_string(12)
    cache.set(key, value, timeout=30)
    if cache.get(key) != value:
        raise CheckFailed("the cache did not return what was written")
    return {}


@register_readiness_check("broker", required=True)
def broker_check() -> dict:
    timeout = settings.HEALTH_BROKER_TIMEOUT
    # The project's Celery app (config.celery), found at run time: core imports no config.
    with current_app.connection_for_write(connect_timeout=timeout) as broker:
        broker.ensure_connection(max_retries=0, timeout=timeout)
        return {"transport": broker.transport.driver_name}


def _run(item: ReadinessCheck) -> dict:
    started = time.monotonic()
    try:
        result = {"ok": True, **item.check()}
    except CheckFailed as failure:
        result = {"ok": False, "error": str(failure)}
    except Exception as error:  # any failure of a part is its report, never a 500
        # The exception's text can name hosts and users (a driver's "connection to server at
        # db.internal failed"): the log has it, the answer only its kind.
        log.warning("readiness check %s failed: %r", item.name, error)
        result = {"ok": False, "error": type(error).__name__}
        if item.name == "database":
            connection.close()  # a broken connection must not be reused by the next probe
    result["required"] = item.required  # a check may report itself not ok without raising
    result["ms"] = round(1000 * (time.monotonic() - started), 1)
    return result


def readiness() -> tuple[bool, dict]:
    """Every check's report, and whether all the required ones passed."""
    parts = {name: _run(item) for name, item in READINESS_CHECKS.items()}
    ready = all(part["ok"] for part in parts.values() if part["required"])
    return ready, parts


_cached: dict = {}
_cached_lock = threading.Lock()


def readiness_cached() -> tuple[bool, dict]:
    """readiness(), reused for HEALTH_READY_CACHE_SECONDS within this process, so a monitor
    and a load balancer polling every second cost each part at most one check per interval."""
    with _cached_lock:
        now = time.monotonic()
        if _cached.get("until", 0) > now:
            return _cached["ready"], _cached["parts"]
        ready, parts = readiness()
        _cached.update(ready=ready, parts=parts, until=now + settings.HEALTH_READY_CACHE_SECONDS)
        return ready, parts


def readiness_cache_clear() -> None:
    with _cached_lock:
        _cached.clear()


def _answer(request: HttpRequest, path: str) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        response = JsonResponse({"error": "method not allowed"}, status=405)
        response["Allow"] = "GET, HEAD"
    elif path == HEALTHZ:
        response = JsonResponse({"status": "ok"})
    else:
        ready, parts = readiness_cached()
        response = JsonResponse(
            {"status": "ready" if ready else "unavailable", "checks": parts},
            status=200 if ready else 503,
        )
    response["Cache-Control"] = "no-store"
    return response


class HealthMiddleware:
    """First in MIDDLEWARE: answers /healthz and /readyz (with or without a trailing slash)
    before ALLOWED_HOSTS, the HTTPS redirect, sessions, CSRF and rate limits are reached."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # path_info: the same URLs when the site is mounted under a prefix (SCRIPT_NAME).
        if (path := request.path_info.rstrip("/")) in (HEALTHZ, READYZ):
            return _answer(request, path)
        return self.get_response(request)
