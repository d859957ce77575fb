"""The Celery application: configured from Django settings (CELERY_* names)."""

import logging.config
import os

from celery import Celery
from celery.signals import setup_logging

from core.logconfig import TaskLogStep

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("driverline")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Each task's log lines carry the request id (and task id) it was queued with.
app.steps["worker"].add(TaskLogStep)


@setup_logging.connect
def _logging(**kwargs):
    """Workers and beat log as web does (settings.LOGGING), not with Celery's own handlers."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
