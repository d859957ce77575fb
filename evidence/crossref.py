"""Crossref's public REST API: one work by its DOI, for the notices that update it.

The one client for Crossref (settings.CROSSREF_API_URL). Crossref asks callers to say who they
are: the User-Agent names the site and a mailto (CROSSREF_MAILTO, else the site's server
address), which also puts us in its "polite" pool. A work's `updated-by` lists the notices that
update it (from the publisher or from Retraction Watch); each is read as a retraction, a
correction or an expression of concern, or ignored (a new version, an addendum).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from email.utils import parseaddr

import requests
from django.conf import settings

# Crossref's update types, by what an editor must do about them.
UPDATE_KINDS = {
    "retraction": "retraction",
    "partial_retraction": "retraction",
    "withdrawal": "retraction",
    "removal": "retraction",
    "correction": "correction",
    "corrigendum": "correction",
    "erratum": "correction",
    "expression_of_concern": "concern",
}


@dataclass(frozen=True)
class Update:
    kind: str  # retraction, correction or concern
    notice: str  # the notice's DOI
    on: date | None


@dataclass(frozen=True)
class Work:
    doi: str
    title: str
    updates: tuple[Update, ...]


class CrossrefError(Exception):
    def __init__(self, message: str, *, missing: bool = False):
        super().__init__(message)
        self.missing = missing


def user_agent() -> str:
    mailto = settings.CROSSREF_MAILTO or parseaddr(settings.SERVER_EMAIL)[1]
    return f"{settings.SITE_NAME}/1.0 (+{settings.SITE_URL}; mailto:{mailto})"


def work_fetch(doi: str) -> Work:
    """Crossref's record of `doi`, or CrossrefError."""
    url = f"{settings.CROSSREF_API_URL.rstrip('/')}/works/{doi}"
    headers = {"User-Agent": user_agent(), "Accept": "application/json"}
    try:
        response = requests.get(url, headers=headers, timeout=settings.CROSSREF_API_TIMEOUT)
    except requests.RequestException as error:
        raise CrossrefError(f"{doi}: Crossref could not be reached ({error})") from error
    if response.status_code == 404:
        raise CrossrefError(f"{doi}: Crossref has no such work (404)", missing=True)
    if response.status_code != 200:
        raise CrossrefError(f"{doi}: Crossref answered {response.status_code}")
    try:
        payload = response.json()
    except ValueError as error:
        raise CrossrefError(f"{doi}: Crossref's answer is not JSON") from error
    return work_parse(payload, doi=doi)


def _day(stamp: dict | None) -> date | None:
    parts = ((stamp or {}).get("date-parts") or [[]])[0] or []
    try:
        return date(*([*list(parts), 1, 1])[:3]) if parts else None
    except (TypeError, ValueError):
        return None


def work_parse(payload: dict, *, doi: str) -> Work:
    """A Work from Crossref's JSON for one work; CrossrefError if it is not that work."""
    message = payload.get("message") if isinstance(payload, dict) else None
    if not isinstance(message, dict) or str(message.get("DOI", "")).lower() != doi.lower():
        raise CrossrefError(f"{doi}: Crossref answered with another work or none")
    updates = []
    for entry in message.get("updated-by") or ():
        kind = UPDATE_KINDS.get(str(entry.get("type", "")).lower().replace("-", "_"))
        if kind:
            updates.append(Update(kind, str(entry.get("DOI", "")), _day(entry.get("updated"))))
    titles = message.get("title") or [""]
    return Work(doi=doi, title=str(titles[0])[:300], updates=tuple(updates))
