"""A fixed-window rate limit in the shared cache, for limits allauth does not cover."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache


def allow(key: str, rate: str) -> bool:
    """True while `key` is under `rate` ("count/seconds") in the current window."""
    count, seconds = (int(part) for part in rate.split("/"))
    cache.add(key, 0, timeout=seconds)
    try:
        return cache.incr(key) <= count
    except ValueError:  # the window expired between add and incr
        cache.set(key, 1, timeout=seconds)
        return True


def ip_digest(ip: str) -> str:
    """IP addresses are kept only as salted hashes, enough to rate-limit and spot abuse."""
    return hashlib.sha256(f"{settings.SECRET_KEY}:{ip}".encode()).hexdigest()
