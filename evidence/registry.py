"""ClinicalTrials.gov's public API, version 2: one study by its NCT number.

The one client for the registry (settings.TRIALS_API_URL, .../api/v2). It is called from Celery
tasks only, never during a page request: a GET with a timeout and a descriptive User-Agent,
answered with a Study or a RegistryError that says whether to wait (429 and 503 with their
Retry-After, a timeout, a network failure) or that the record does not exist (404).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import requests
from django.conf import settings

NCT_RE = re.compile(r"\bNCT\d{8}\b")

PHASES = {
    "EARLY_PHASE1": "Early phase 1",
    "PHASE1": "Phase 1",
    "PHASE2": "Phase 2",
    "PHASE3": "Phase 3",
    "PHASE4": "Phase 4",
    "NA": "Not applicable",
}


@dataclass(frozen=True)
class Study:
    """What a trial card shows, as the registry gives it."""

    nct_id: str
    title: str
    phases: tuple[str, ...]
    overall_status: str
    conditions: tuple[str, ...]
    interventions: tuple[str, ...]
    sponsor: str
    enrollment: int | None
    enrollment_actual: bool
    locations: int | None
    last_update_posted: date | None
    results_first_posted: date | None


class RegistryError(Exception):
    """The registry did not give the record. `retry_after`: seconds it asked us to wait;
    `missing`: it has no such record (a mistyped NCT number)."""

    def __init__(self, message: str, *, retry_after: int | None = None, missing: bool = False):
        super().__init__(message)
        self.retry_after = retry_after
        self.missing = missing


def user_agent() -> str:
    return f"{settings.SITE_NAME}/1.0 (+{settings.SITE_URL}; trial cards, one request per study)"


def _retry_after(response: requests.Response) -> int | None:
    value = response.headers.get("Retry-After", "")
    return int(value) if value.strip().isdigit() else None


def study_fetch(nct_id: str) -> Study:
    """The registry's record of `nct_id`, or RegistryError."""
    url = f"{settings.TRIALS_API_URL.rstrip('/')}/studies/{nct_id}"
    headers = {"User-Agent": user_agent(), "Accept": "application/json"}
    try:
        response = requests.get(url, headers=headers, timeout=settings.TRIALS_API_TIMEOUT)
    except requests.RequestException as error:
        raise RegistryError(f"{nct_id}: the registry could not be reached ({error})") from error
    if response.status_code == 404:
        raise RegistryError(f"{nct_id}: no such study (404)", missing=True)
    if response.status_code != 200:
        raise RegistryError(
            f"{nct_id}: the registry answered {response.status_code}",
            retry_after=_retry_after(response),
        )
    try:
        payload = response.json()
    except ValueError as error:
        raise RegistryError(f"{nct_id}: the registry's answer is not JSON") from error
    return study_parse(payload, nct_id=nct_id)


def _day(struct: dict | None) -> date | None:
    """A registry date: "2025-01-14", or "2025-01" for a month (its first day)."""
    text = (struct or {}).get("date") or ""
    try:
        return date.fromisoformat(text if len(text) == 10 else f"{text}-01")
    except ValueError:
        return None


def study_parse(payload: dict, *, nct_id: str) -> Study:
    """A Study from the API's JSON for one study; RegistryError if it is not that study."""
    if not isinstance(payload, dict):
        raise RegistryError(f"{nct_id}: the registry's answer is not a study")
    protocol = payload.get("protocolSection") or {}
    ident = protocol.get("identificationModule") or {}
    if ident.get("nctId") != nct_id:
        raise RegistryError(f"{nct_id}: the registry answered with another study or none")
    status = protocol.get("statusModule") or {}
    design = protocol.get("designModule") or {}
    enrollment = design.get("enrollmentInfo") or {}
    arms = protocol.get("armsInterventionsModule") or {}
    sponsor = (protocol.get("sponsorCollaboratorsModule") or {}).get("leadSponsor") or {}
    locations = (protocol.get("contactsLocationsModule") or {}).get("locations")
    count = enrollment.get("count")
    return Study(
        nct_id=nct_id,
        title=(ident.get("briefTitle") or ident.get("officialTitle") or nct_id)[:500],
        phases=tuple(str(p) for p in design.get("phases") or ()),
        overall_status=str(status.get("overallStatus") or "UNKNOWN"),
        conditions=tuple(
            str(c) for c in (protocol.get("conditionsModule") or {}).get("conditions") or ()
        ),
        interventions=tuple(
            str(i.get("name")) for i in arms.get("interventions") or () if i.get("name")
        ),
        sponsor=str(sponsor.get("name") or ""),
        enrollment=count if isinstance(count, int) else None,
        enrollment_actual=enrollment.get("type") == "ACTUAL",
        locations=len(locations) if isinstance(locations, list) else None,
        last_update_posted=_day(status.get("lastUpdatePostDateStruct")),
        results_first_posted=_day(status.get("resultsFirstPostDateStruct")),
    )
