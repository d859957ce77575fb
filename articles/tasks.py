from celery import shared_task
from django.conf import settings

from articles import review_due, services
from core.mail import MailDeferred


@shared_task
def publish_due_articles() -> list[int]:
    """Periodic (beat): scheduled articles whose time has come become published."""
    return services.publish_due_articles()


@shared_task(bind=True, max_retries=5)
def send_reviews_due(self) -> int:
    """Periodic (beat, weekly): editors and medical reviewers hear which reviews are due."""
    try:
        return review_due.review_due_mail_send()
    except MailDeferred as error:
        # The same week on every retry, so only the people it has not reached are tried.
        delay = settings.COMMENTS_DIGEST_RETRY_SECONDS * 2**self.request.retries
        raise self.retry(exc=error, countdown=delay) from error
