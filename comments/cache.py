"""A version per article's discussion, bumped after the commit of every write that changes
what readers see (`discussion_changed`, called inside the transaction), so no reader can
cache the old state under the new version.

The article page no longer caches the whole discussion under it: each comment's markup is
cached under a digest of what it shows (comments.fragments), which needs no invalidation.
The version stays for whatever caches a whole discussion next (a feed, an API).
"""

from __future__ import annotations

import time

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
