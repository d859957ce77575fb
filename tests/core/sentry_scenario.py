"""Run by tests/core/test_errorreport.py with SENTRY_DSN set: a view error and a task error,
each holding a reader's address, a token and a signed link, sent as the settings wire Sentry."""

from __future__ import annotations

import os
import sys
import threading
from urllib.parse import urlencode
from wsgiref.util import setup_testing_defaults

import django

os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
django.setup()

import sentry_sdk  # noqa: E402
from celery.contrib.testing.worker import start_worker  # noqa: E402
from celery.signals import task_failure  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.test import override_settings  # noqa: E402

from config.celery import app  # noqa: E402

ADDRESS, TOKEN, LINK = sys.argv[1:4]
QUEUE = "driverline-sentry-scenario"
failed = threading.Event()
task_failure.connect(lambda **kwargs: failed.set(), weak=False)


@app.task(name="tests.sentry_scenario.unsubscribe_failing")
def unsubscribe_failing(address: str, link: str) -> None:
    raise LookupError(f"no subscriber {address} for {link}")


# Through the WSGI entry point gunicorn calls, where Sentry reads the request's URL and headers.
environ = {
    "PATH_INFO": f"/newsletter/confirm/{TOKEN}/",
    "QUERY_STRING": urlencode({"email": ADDRESS}),
    "HTTP_HOST": "driverline.example",
    "HTTP_REFERER": LINK,
    "HTTP_COOKIE": f"csrftoken=s3cr3tcookie; reader={ADDRESS}",
}
setup_testing_defaults(environ)
statuses = []
with override_settings(ROOT_URLCONF="tests.core.sentry_urls"):
    b"".join(get_wsgi_application()(environ, lambda status, headers: statuses.append(status)))
assert statuses == ["500 Internal Server Error"], statuses

app.conf.task_default_queue = QUEUE
with start_worker(app, pool="solo", perform_ping_check=False, queues=[QUEUE], loglevel="ERROR"):
    unsubscribe_failing.apply_async((ADDRESS, LINK), queue=QUEUE)
    assert failed.wait(30), "the task never failed on the worker"
sentry_sdk.flush(timeout=10)
