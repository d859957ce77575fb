"""The rendered discussion for anonymous readers, cached under a version bumped on change.

Every write that changes what readers see calls `discussion_changed` inside its transaction;
the version moves only after the commit, so no reader can cache the old state under the new
version. Entries also expire (COMMENTS_CACHE_SECONDS), which bounds how long a change made
elsewhere, such as a reader renaming themselves, takes to show.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction


def _version_key(article_id: int) -> str:
    return f"comments:version:{article_id}"


def discussion_version(article_id: int) -> int:
    key = _version_key(article_id)
    version = cache.get(key)
    if version is None:
        # A fresh start (or an evicted key) never reuses a number an old entry was stored under.
        cache.add(key, time.time_ns(), timeout=None)
        version = cache.get(key) or time.time_ns()
    return version


def _bump(article_id: int) -> None:
    try:
        cache.incr(_version_key(article_id))
    except ValueError:
        cache.set(_version_key(article_id), time.time_ns(), timeout=None)


def discussion_changed(article_id: int) -> None:
    transaction.on_commit(lambda: _bump(article_id))


def cached_discussion(*, article, sort: str, page: int, render) -> str:
    version = discussion_version(article.pk)
    key = (
        f"comments:html:{article.pk}:{version}:{article.updated_at.timestamp()}:"
        f"{int(article.comments_open)}:{sort}:{page}"
    )
    html = cache.get(key)
    if html is None:
        html = render()
        cache.set(key, html, timeout=settings.COMMENTS_CACHE_SECONDS)
    return html
