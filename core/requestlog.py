"""One log line per request, and a request id on every line and task the request causes.

django-structlog's middleware does the work (a request id bound for the request's duration,
copied into the headers of every Celery task it queues, bound again in the worker); this
module decides what the line holds: method, path (tokens redacted, no query string), status,
duration and a keyed hash of the user id, never an address, a token or an IP address.
Placed right after core.health's middleware, so probes of /healthz and /readyz log nothing.
"""

from __future__ import annotations

import re
import time

import structlog
from django.conf import settings
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import salted_hmac
from django_structlog import signals
from django_structlog.middlewares import RequestMiddleware

from core.redaction import redact

REQUEST_ID_RESPONSE_HEADER = "X-Request-ID"
# What a proxy's id may look like: a UUID, a hex or base64 id, a trace id; nothing that could
# forge a log line or smuggle text into it.
_UPSTREAM_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")


def user_hash(pk: object) -> str:
    """The same short value for the same user on every host (keyed with SECRET_KEY), which
    names nobody to whoever reads the logs."""
    return salted_hmac("core.requestlog.user", str(pk)).hexdigest()[:16]


class RequestLogMiddleware(RequestMiddleware):
    @staticmethod
    def format_request(request: HttpRequest) -> str:
        return f"{request.method} {redact(request.path)}"

    @staticmethod
    def bind_user_id(request: HttpRequest) -> None:
        user = getattr(request, "user", None)
        if user is None:
            return  # prepare() runs before AuthenticationMiddleware: bound at the end
        session = getattr(request, "session", None)
        accessed = getattr(session, "accessed", None)
        if user.is_authenticated:
            structlog.contextvars.bind_contextvars(user=user_hash(user.pk))
        if accessed is False:
            session.accessed = False  # reading the user for a log line adds no Vary: Cookie


@receiver(signals.bind_extra_request_metadata)
def _request_started(sender, request: HttpRequest, logger, log_kwargs: dict, **kwargs) -> None:
    request._log_started = time.monotonic()
    header = settings.LOG_REQUEST_ID_HEADER
    upstream = request.headers.get(header, "") if header else ""
    if _UPSTREAM_ID.fullmatch(upstream):
        structlog.contextvars.bind_contextvars(request_id=upstream)
    request.request_id = structlog.contextvars.get_contextvars()["request_id"]
    log_kwargs.pop("user_agent", None)


def _line(request: HttpRequest, log_kwargs: dict, status: int) -> None:
    log_kwargs.pop("request", None)
    log_kwargs.pop("code", None)
    log_kwargs.update(
        method=request.method,
        path=redact(request.path),
        status=status,
        duration_ms=round(1000 * (time.monotonic() - request._log_started), 1),
    )


@receiver(signals.bind_extra_request_finished_metadata)
def _request_finished(
    sender, request: HttpRequest, logger, response: HttpResponse, log_kwargs: dict, **kwargs
) -> None:
    _line(request, log_kwargs, response.status_code)
    response[REQUEST_ID_RESPONSE_HEADER] = request.request_id


@receiver(signals.bind_extra_request_failed_metadata)
def _request_failed(sender, request: HttpRequest, logger, exception, log_kwargs: dict, **kw):
    _line(request, log_kwargs, 500)


@receiver(signals.update_failure_response)
def _failure_response(sender, request: HttpRequest, response: HttpResponse, **kwargs) -> None:
    response[REQUEST_ID_RESPONSE_HEADER] = request.request_id
