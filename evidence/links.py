"""Dead links: whether a cited web page still answers.

A GET that follows redirects (up to 10) with a short timeout: 404 and 410 are dead; 2xx and
3xx chains that end well are alive, at their final address; anything else (a timeout, a
refused connection, a 5xx, a 403 from a site that refuses robots) is not a finding, and a
timeout is tried again, up to LINKCHECK_ATTEMPTS times, before it counts as "could not check".
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import requests
from django.conf import settings

from evidence.crossref import user_agent

DEAD = (404, 410)


@dataclass(frozen=True)
class LinkResult:
    dead: bool
    checked: bool  # False: no answer could be had (nothing is concluded)
    status: int | None
    final_url: str
    detail: str


def link_check(url: str) -> LinkResult:
    headers = {"User-Agent": user_agent()}
    detail = ""
    for attempt in range(settings.LINKCHECK_ATTEMPTS):
        if attempt:
            time.sleep(settings.LINKCHECK_RETRY_PAUSE_SECONDS)
        try:
            with requests.get(
                url, headers=headers, timeout=settings.LINKCHECK_TIMEOUT, stream=True
            ) as response:
                status, final = response.status_code, response.url
        except requests.TooManyRedirects:
            return LinkResult(False, False, None, url, "too many redirects")
        except requests.RequestException as error:
            detail = f"no answer ({type(error).__name__})"
            continue
        if status in DEAD:
            return LinkResult(True, True, status, final, f"answered {status}")
        if status < 400:
            return LinkResult(False, True, status, final, "")
        return LinkResult(False, False, status, final, f"answered {status}")
    return LinkResult(False, False, None, url, detail)
