from celery import shared_task

from core.mail import RETRY_POLICY
from evidence import citations, notifications, services


@shared_task
def refresh_trials() -> list[str]:
    """Periodic (beat): trials cited by public articles, new or a day old, from the registry;
    then any change whose editors' mail never finished (a lost task) is handed over again."""
    due = services.trials_refresh_due()
    for change_id in notifications.changes_awaiting_editors():
        notify_trial_change_editors.delay(change_id)
    return due


@shared_task(**RETRY_POLICY)
def notify_trial_change_editors(change_id: int) -> int:
    """The editors of the articles citing a changed trial, each once (notifications.py)."""
    return notifications.trial_change_editors_notify(change_id=change_id)


@shared_task
def check_references() -> int:
    """Periodic (beat, weekly): cited DOIs against Crossref, cited pages for dead links; then
    each finding no editor has heard of goes to a mail task of its own."""
    checked = citations.references_check_due()
    for finding_id in citations.findings_unmailed():
        mail_finding.delay(finding_id)
    return checked


@shared_task(**RETRY_POLICY)
def mail_finding(finding_id: int) -> int:
    return citations.finding_mail_send(finding_id=finding_id)
