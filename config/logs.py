"""Logs and errors (README, "Logs and errors"): LOGGING for every process, through structlog,
and Sentry when SENTRY_DSN is set. Imported by config/settings.py, after .env has been read."""

import logging

import environ

from core.logconfig import logging_settings, structlog_configure

env = environ.Env()

# Logs (README, "Logs and errors"): plain lines, or LOG_FORMAT=json; a proxy's request id is
# kept only from the header LOG_REQUEST_ID_HEADER names. One line a request (its end), the
# request id in every task's headers, no IP address, the user as a keyed hash (core.requestlog).
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
LOG_REQUEST_ID_HEADER = env.str("LOG_REQUEST_ID_HEADER", default="")
DJANGO_STRUCTLOG_CELERY_ENABLED = True
DJANGO_STRUCTLOG_IP_LOGGING_ENABLED = False
DJANGO_STRUCTLOG_STATUS_START_LOG_LEVEL = logging.DEBUG
# The SuspiciousOperation kinds that Django answers with a 400 and would log as errors.
_CLIENT_ERRORS = ["DisallowedHost", "RequestDataTooBig", "TooManyFieldsSent", "TooManyFilesSent"]
LOGGING = logging_settings(
    log_format=LOG_FORMAT,
    level=LOG_LEVEL,
    filters={"client_error": {"()": "core.logfilters.ClientErrorFilter"}},
    loggers={
        # A failed request's line (request_failed) holds its traceback; Django's own would
        # repeat it.
        "django.request": {"level": "CRITICAL"},
        "django.server": {"level": "WARNING"},  # runserver's access lines: the request line says it
        # A task's task_started and task_succeeded lines (with its duration) say what Celery's
        # "received" and "succeeded in" lines said; their warnings and errors stay.
        "celery.app.trace": {"level": "WARNING"},
        "celery.worker.strategy": {"level": "WARNING"},
        # gunicorn's own lines (worker boots, timeouts) in the same format, once Django is loaded.
        "gunicorn.error": {"handlers": ["console"], "propagate": False},
        **{f"django.security.{name}": {"filters": ["client_error"]} for name in _CLIENT_ERRORS},
    },
)
structlog_configure()

# Errors (README, "Logs and errors"): to Sentry with SENTRY_DSN; else sentry_sdk is never imported.
if SENTRY_DSN := env.str("SENTRY_DSN", default=""):
    from core.errorreport import sentry_init

    sentry_init(
        dsn=SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default=""),
        release=env.str("SENTRY_RELEASE", default=""),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )
