"""Trials under the articles, kept as the registry says: fetched by Celery, politely.

`trial_refresh` asks the registry for one trial and stores what it says; a failed fetch keeps
the last data and its date, counts the failure and waits longer before the next attempt
(doubling from TRIALS_RETRY_BASE_SECONDS, at most TRIALS_RETRY_MAX_SECONDS, or the Retry-After
the registry asked for). A change of overall status, or results posted for the first time, is
recorded once as a TrialChange, however many refreshes run at the same moment: each works from
the locked row, and the change's unique key lets one through; once it is committed, the
editors' mail is queued (evidence/notifications.py). `trials_refresh_due` refreshes
every trial a public article cites that was never fetched or is older than a day.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from evidence import registry, selectors, tasks
from evidence.models import Trial, TrialChange

log = logging.getLogger(__name__)

# The fields a Study fills on its Trial.
STUDY_FIELDS = (
    "title",
    "phases",
    "overall_status",
    "conditions",
    "interventions",
    "sponsor",
    "enrollment",
    "enrollment_actual",
    "locations",
    "last_update_posted",
    "results_first_posted",
)


def backoff(failures: int, retry_after: int | None = None) -> timedelta:
    """How long to wait after `failures` failures in a row (the registry's own ask, if longer)."""
    seconds = min(
        settings.TRIALS_RETRY_BASE_SECONDS * 2 ** max(failures - 1, 0),
        settings.TRIALS_RETRY_MAX_SECONDS,
    )
    return timedelta(seconds=max(seconds, retry_after or 0))


def trial_refresh(*, nct_id: str, now: datetime | None = None) -> Trial:
    """Ask the registry for `nct_id` and store what it says (see the module's docstring)."""
    now = now or timezone.now()
    trial, _ = Trial.objects.get_or_create(nct_id=nct_id)
    if trial.next_attempt_at and trial.next_attempt_at > now:
        return trial  # still waiting after a failure
    try:
        study = registry.study_fetch(nct_id)
    except registry.RegistryError as error:
        return _failed(trial, error, now)
    with transaction.atomic():
        current = Trial.objects.select_for_update().get(pk=trial.pk)
        _record_changes(current, study)
        for name in STUDY_FIELDS:
            value = getattr(study, name)
            setattr(current, name, list(value) if isinstance(value, tuple) else value)
        current.as_of = current.checked_at = now
        current.failures, current.next_attempt_at, current.last_error = 0, None, ""
        current.source = ""
        current.save()
    return current


def _failed(trial: Trial, error: registry.RegistryError, now: datetime) -> Trial:
    failures = trial.failures + 1
    wait = backoff(failures, error.retry_after)
    Trial.objects.filter(pk=trial.pk).update(
        checked_at=now,
        failures=failures,
        next_attempt_at=now + wait,
        last_error=str(error)[:300],
    )
    log.warning("trial %s not refreshed (%s); next try in %s", trial.nct_id, error, wait)
    trial.refresh_from_db()
    return trial


def _record_changes(current: Trial, study: registry.Study) -> None:
    """The changes readers are told of, between the stored record and the registry's."""
    if current.as_of is None:
        return  # the first record: nothing has changed yet
    changes = []
    if study.overall_status != current.overall_status:
        changes.append((TrialChange.Kind.STATUS, current.overall_status, study.overall_status))
    if study.results_first_posted and not current.results_first_posted:
        changes.append((TrialChange.Kind.RESULTS, "", ""))
    for kind, old, new in changes:
        key = f"{kind}:{new}:{study.last_update_posted or study.results_first_posted or ''}"
        try:
            with transaction.atomic():
                change = TrialChange.objects.create(
                    trial=current,
                    kind=kind,
                    old_status=old,
                    new_status=new,
                    registry_date=(
                        study.results_first_posted
                        if kind == TrialChange.Kind.RESULTS
                        else study.last_update_posted
                    ),
                    key=key,
                )
        except IntegrityError:
            continue  # recorded already
        log.info("trial %s: %s (%s -> %s)", current.nct_id, kind, old, new)
        # The editors hear of it once the change is committed (a lost task: refresh_trials).
        transaction.on_commit(partial(tasks.notify_trial_change_editors.delay, change.pk))


def trials_refresh_due(*, now: datetime | None = None) -> list[str]:
    """Refresh each trial a public article cites that was never fetched or is a day old,
    one request at a time with a pause between; returns the NCT numbers asked for."""
    now = now or timezone.now()
    cited = selectors.cited_nct_ids()
    known = dict(Trial.objects.filter(nct_id__in=cited).values_list("nct_id", "as_of"))
    stale = now - timedelta(hours=settings.TRIALS_REFRESH_HOURS)
    due = [nct for nct in cited if known.get(nct) is None or known[nct] < stale]
    for index, nct_id in enumerate(due):
        if index:
            time.sleep(settings.TRIALS_REQUEST_PAUSE_SECONDS)
        trial_refresh(nct_id=nct_id, now=now)
    return due
