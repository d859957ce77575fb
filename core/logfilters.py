"""Logging filters."""

from __future__ import annotations

import logging


class ClientErrorFilter(logging.Filter):
    """A bad Host, an oversized body or too many fields is the client's error, answered with a
    400: one warning line, not an error with our traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.levelno, record.levelname = logging.WARNING, logging.getLevelName(logging.WARNING)
        record.exc_info = record.exc_text = None
        return True
