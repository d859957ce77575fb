from celery import shared_task
from django.conf import settings
from django.utils import timezone

from comments import notifications
from core.mail import RETRY_POLICY, MailDeferred


# Mail's one policy (core.mail): a 4xx or a dropped connection is retried, a 5xx is final.
@shared_task(**RETRY_POLICY)
def notify_comment_published(comment_id: int) -> int:
    return notifications.comment_notify(comment_id=comment_id)


@shared_task(bind=True, max_retries=5)
def send_moderation_digest(self, period: str | None = None) -> int:
    """Periodic (beat): the waiting queue, to moderators, when it is not empty."""
    period = period or timezone.now().strftime("%Y-%m-%d")
    try:
        return notifications.moderation_digest_send(period=period)
    except MailDeferred as error:
        # The same period on every retry, so only the moderators it has not reached are tried.
        delay = settings.COMMENTS_DIGEST_RETRY_SECONDS * 2**self.request.retries
        raise self.retry(args=(period,), exc=error, countdown=delay) from error
