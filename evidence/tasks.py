from celery import shared_task

from evidence import services


@shared_task
def refresh_trials() -> list[str]:
    """Periodic (beat): trials cited by public articles, new or a day old, from the registry."""
    return services.trials_refresh_due()
