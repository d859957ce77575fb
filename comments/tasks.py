from celery import shared_task

from comments import notifications
from config.mail import MailDeferred


# Only temporary failures are retried (config.mail.classify); a permanent refusal is final.
@shared_task(autoretry_for=(MailDeferred,), retry_backoff=30, retry_backoff_max=900, max_retries=6)
def notify_comment_published(comment_id: int) -> int:
    return notifications.comment_notify(comment_id=comment_id)


@shared_task(autoretry_for=(MailDeferred,), retry_backoff=60, max_retries=5)
def send_moderation_digest() -> int:
    """Periodic (beat): the waiting queue, to moderators, when it is not empty."""
    return notifications.moderation_digest_send()
