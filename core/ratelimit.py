"""Rate limits: a fixed window in the shared cache for the limits allauth does not cover, and
the one 429 answer (site layout, Retry-After) for allauth's."""

from __future__ import annotations

import hashlib
import math

from allauth.core.internal.ratelimit import parse_rates
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def allow(key: str, rate: str) -> bool:
    """True while `key` is under `rate` ("count/seconds") in the current window."""
    count, seconds = (int(part) for part in rate.split("/"))
    cache.add(key, 0, timeout=seconds)
    try:
        return cache.incr(key) <= count
    except ValueError:  # the window expired between add and incr
        cache.set(key, 1, timeout=seconds)
        return True


def window_seconds(rate: str) -> int:
    """The length of a window of `rate` ("count/seconds"): a refused client may retry after it."""
    return int(rate.split("/")[1])


def ip_digest(ip: str) -> str:
    """IP addresses are kept only as salted hashes, enough to rate-limit and spot abuse."""
    return hashlib.sha256(f"{settings.SECRET_KEY}:{ip}".encode()).hexdigest()


def rate_limited(request: HttpRequest) -> HttpResponse:
    """allauth's 429 (its `handler429` hook in config.urls). allauth does not say which of its
    limits was hit, so Retry-After is its longest window, after which every one has cleared."""
    rates = [
        rate
        for value in (settings.ACCOUNT_RATE_LIMITS or {}).values()
        for rate in parse_rates(value or None)
    ]
    seconds = int(max((rate.duration for rate in rates), default=60))
    minutes = max(1, math.ceil(seconds / 60))
    response = render(request, "429.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(seconds)
    return response
