"""Links to the canonical site, for pages, feeds, mail and structured data."""

from __future__ import annotations

from django.conf import settings


def absolute_url(path: str) -> str:
    """`path` on the canonical site (SITE_URL, never built from the request's Host header)."""
    return f"{settings.SITE_URL}{path}"


def mail_context() -> dict:
    """What every mail template may use: the site's name and its address."""
    return {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL}
