from celery import shared_task

from articles import services


@shared_task
def publish_due_articles() -> list[int]:
    """Periodic (beat): scheduled articles whose time has come become published."""
    return services.publish_due_articles()
