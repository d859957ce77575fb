"""Links to the canonical site, for mail, structured data and canonical tags."""

from __future__ import annotations

from django.conf import settings


def absolute_url(path: str) -> str:
    """`path` on the canonical site (SITE_URL, never built from the request's Host header)."""
    return f"{settings.SITE_URL}{path}"
