"""Log lines for every process (web, worker, beat, manage.py), through structlog.

One formatter renders both structlog's events and the standard library's records, so every
line carries the same fields: time (UTC, ISO 8601), level, logger, event, and the context bound
for the request or task it belongs to (request_id, task_id). LOG_FORMAT=json makes each line a
JSON object; the default is a plain readable line. Every line passes `core.redaction` first.
"""

from __future__ import annotations

import logging
from typing import Any

import structlog
from celery.signals import after_task_publish, before_task_publish
from django_structlog.celery.steps import DjangoStructLogInitStep

from core.redaction import scrub

FORMATS = ("plain", "json")


# The fields an operator reads first lead each line; the rest follow as they were bound.
_LEADING = ("time", "level", "event", "request_id", "logger")


def _redact(_logger: Any, _name: str, event_dict: dict) -> dict:
    event_dict = scrub(event_dict)
    return {key: event_dict[key] for key in _LEADING if key in event_dict} | event_dict


def _shared_processors() -> list:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="time"),
    ]


def _renderer(log_format: str):
    if log_format == "json":
        return structlog.processors.JSONRenderer(sort_keys=False)
    return structlog.dev.ConsoleRenderer(colors=False, timestamp_key="time")


def logging_settings(*, log_format: str, level: str, filters: dict, loggers: dict) -> dict:
    """Django's LOGGING: one console handler whose formatter is structlog's."""
    if log_format not in FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(FORMATS)}, not {log_format!r}")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structlog": {
                "()": structlog.stdlib.ProcessorFormatter,
                "foreign_pre_chain": [
                    *_shared_processors(),
                    structlog.stdlib.PositionalArgumentsFormatter(),
                ],
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    # Tracebacks as text, so redaction reaches the exception's message too.
                    structlog.processors.format_exc_info,
                    _redact,
                    _renderer(log_format),
                ],
            }
        },
        "filters": filters,
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structlog"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": loggers,
    }


def structlog_configure() -> None:
    """structlog's events go through the standard library, to the formatter above (Python's
    warnings too, so a JSON log holds nothing but JSON lines)."""
    logging.captureWarnings(True)
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared_processors(),
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


class TaskLogStep(DjangoStructLogInitStep):
    """A worker's step: each task's lines carry the context it was queued with (request_id).
    Publishing already carries it from django_structlog's AppConfig (DJANGO_STRUCTLOG_CELERY_
    ENABLED); connected twice, every task queued by a task would be logged twice."""

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        before_task_publish.disconnect(self.receiver.receiver_before_task_publish)
        after_task_publish.disconnect(self.receiver.receiver_after_task_publish)
