"""Heartbeats of beat and the workers, for /readyz.

Beat sends `core.heartbeat` every HEALTH_HEARTBEAT_SECONDS: the moment it publishes the task,
beat's own process notes the time (the after_task_publish signal, sent in the publisher), and
the worker that runs it notes the time it ran. So a fresh beat heartbeat with a stale worker
one means no worker is consuming; both stale means beat is down (and says nothing of the
workers). Times live in the shared cache, one key each, and expire on their own.
"""

from __future__ import annotations

import time

from celery import shared_task
from celery.signals import after_task_publish
from django.conf import settings
from django.core.cache import cache

from core.health import register_readiness_check

TASK = "core.heartbeat"
KEYS = {"beat": "health:heartbeat:beat", "worker": "health:heartbeat:worker"}


def _note(part: str) -> None:
    # Kept well past the staleness bound, so /readyz can still say how long ago it was.
    cache.set(KEYS[part], time.time(), timeout=10 * settings.HEALTH_HEARTBEAT_STALE_SECONDS)


@shared_task(name=TASK, ignore_result=True)
def heartbeat() -> None:
    """Periodic (beat): a worker ran it."""
    _note("worker")


@after_task_publish.connect(sender=TASK, dispatch_uid="core.heartbeat.published")
def heartbeat_published(**kwargs) -> None:
    """In the process that sent the heartbeat: beat."""
    _note("beat")


def heartbeat_report(part: str) -> dict:
    """Whether `part` ("beat" or "worker") showed a heartbeat within the staleness bound."""
    seen = cache.get(KEYS[part])
    if seen is None:
        return {"ok": False, "error": "no heartbeat seen", "seconds_ago": None}
    ago = max(0.0, time.time() - seen)
    report = {"ok": ago <= settings.HEALTH_HEARTBEAT_STALE_SECONDS, "seconds_ago": round(ago)}
    if not report["ok"]:
        report["error"] = f"no heartbeat for {round(ago)} s"
    return report


# Informative: a web instance serves pages while beat or the workers are down, so neither
# takes it out of a load balancer; a monitor alerts on them.
register_readiness_check("beat")(lambda: heartbeat_report("beat"))
register_readiness_check("worker")(lambda: heartbeat_report("worker"))
