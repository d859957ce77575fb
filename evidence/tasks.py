from celery import shared_task

from core.mail import RETRY_POLICY
from evidence import citations, services


@shared_task
def refresh_trials() -> list[str]:
    """Periodic (beat): trials cited by public articles, new or a day old, from the registry."""
    return services.trials_refresh_due()


@shared_task
def check_references() -> int:
    """Periodic (beat, weekly): cited DOIs against Crossref, cited pages for dead links."""
    return citations.references_check_due()


@shared_task(**RETRY_POLICY)
def mail_finding(finding_id: int) -> int:
    return citations.finding_mail_send(finding_id=finding_id)
