"""Shared fixtures: a real SMTP server, a real Celery worker, a real browser."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import time
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; Django's ORM must still work.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
REQUIRE_BROWSER = os.environ.get("REQUIRE_BROWSER") == "1"
_skipped_browser_tests: list[str] = []


# --- Collection: browser and worker tests are marked; browser tests never skipped silently ---------------------
def pytest_collection_modifyitems(config, items):
    for item in items:
        if "celery_worker" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.worker)  # the mutation run leaves these out
        if "tests/browser/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)
            if not CHROMIUM:
                item.add_marker(pytest.mark.skip(reason="chromium is not installed (make browser)"))
    _mutation_order(items)


def _mutation_order(items):
    """Under `make mutation` a mutant's tests stop at the first failure (-x): run its fastest
    tests first (their times are in mutmut's stats), so that a killed mutant, nearly all of
    them, is usually caught in a fraction of a second rather than after its slow tests.
    The order stays within pytest-django's groups (plain, then transactional, then no database),
    so that no test meets a database emptied by a transactional test it did not expect."""
    stats = Path("mutmut-stats.json")  # mutmut runs the tests from inside mutants/
    if "__mutmut_" not in os.getenv("MUTANT_UNDER_TEST", "") or not stats.is_file():
        return
    import json

    duration = json.loads(stats.read_text()).get("duration_by_test", {})

    def group(item):
        marker = item.get_closest_marker("django_db")
        names = getattr(item, "fixturenames", ())
        transactional = (
            "transactional_db" in names
            or "live_server" in names
            or bool(
                marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0]))
            )
        )
        if transactional:
            return 1
        return 0 if marker or "db" in names else 2

    items.sort(key=lambda item: (group(item), duration.get(item.nodeid, 0.0)))


def pytest_runtest_logreport(report):
    if report.skipped and "browser" in report.keywords:
        _skipped_browser_tests.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    if REQUIRE_BROWSER and _skipped_browser_tests:
        session.config.get_terminal_writer().line(
            f"REQUIRE_BROWSER=1 but {len(_skipped_browser_tests)} browser test(s) were skipped",
            red=True,
        )
        session.exitstatus = 1


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """Under `make mutation` two mutants are tested at once, each in a process forked from
    mutmut's: each gets its own copy of the SQLite test database, so one mutant's committed
    rows or flush never meet the other's tests (a false kill)."""
    copy = _private_test_database() if "__mutmut_" in os.getenv("MUTANT_UNDER_TEST", "") else None
    yield
    if copy is not None:
        copy.unlink(missing_ok=True)


def _private_test_database() -> Path | None:
    from django.conf import settings

    database = settings.DATABASES["default"]
    template = Path(database.get("TEST", {}).get("NAME") or "")
    if database["ENGINE"] != "django.db.backends.sqlite3" or not template.is_file():
        return None
    copy = template.with_name(f"test-mutant-{os.getpid()}.sqlite3")
    shutil.copyfile(template, copy)
    database["TEST"]["NAME"] = str(copy)

    # mutmut's own session migrated the template a moment ago: open the copy as it is rather
    # than check every migration again in each of the run's 2,000-odd processes.
    import django.test.utils

    def open_copy(*args, **kwargs):
        from django.db import connections

        connection = connections["default"]
        connection.close()
        database["NAME"] = connection.settings_dict["NAME"] = str(copy)
        return []  # nothing for teardown_databases to destroy

    django.test.utils.setup_databases = open_copy
    return copy


@pytest.fixture(autouse=True)
def _worker_idle_before_flush(request):
    """A transactional test commits, and a commit can queue a task (a notice after an
    approval) even when the test never asked for a worker. Once any test has started the
    session's worker thread, that thread may still be running such a task when the test's
    teardown empties every table, and PostgreSQL then ends one of the two as a deadlock.
    So the teardown waits, up to ten seconds, until the worker holds no task."""
    marker = request.node.get_closest_marker("django_db")
    if {"transactional_db", "celery_worker"} & set(request.fixturenames):
        request.getfixturevalue("transactional_db")  # set up first, so flushed after this
    elif marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])):
        request.getfixturevalue("_django_db_helper")
    else:
        yield
        return
    yield
    from celery.worker import state

    time.sleep(0.05)  # a message committed a moment ago reaches the worker
    deadline = time.monotonic() + 10
    while (state.active_requests or state.reserved_requests) and time.monotonic() < deadline:
        time.sleep(0.05)


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def staff_groups(db):
    """Editors, Moderators and Medical reviewers as their migrations make them.

    Transactional tests flush the database afterwards, data migrations included, so tests
    that need the groups ask for them; the migration's function is idempotent.
    """
    import importlib

    from django.apps import apps
    from django.contrib.auth.models import Group

    importlib.import_module("articles.migrations.0002_staff_groups").create_groups(apps, None)
    importlib.import_module("articles.migrations.0008_medical_reviewers").create_group(apps, None)
    importlib.import_module("articles.migrations.0010_contributors").grant_permissions(apps, None)
    importlib.import_module("comments.migrations.0002_staff_permissions").grant(apps, None)
    importlib.import_module("comments.migrations.0003_moderator_user_lookup").grant(apps, None)
    importlib.import_module("newsletter.migrations.0003_editor_permissions").grant(apps, None)
    importlib.import_module("evidence.migrations.0002_staff_permissions").grant(apps, None)
    importlib.import_module("evidence.migrations.0004_citation_checks").grant(apps, None)
    return {group.name: group for group in Group.objects.all()}


@pytest.fixture
def tasks_inline(django_capture_on_commit_callbacks):
    """Tasks queued on commit run at once in this thread, through the same task code a worker
    runs (Celery's eager mode), so a rule test can read the mail it caused without a worker.
    Tests of the wiring itself (a task reaching a worker) use celery_worker instead.

        with tasks_inline():
            client.post("/newsletter/", ...)   # the confirmation is at the SMTP server now
    """
    from contextlib import contextmanager

    from config.celery import app

    @contextmanager
    def inline():
        eager = app.conf.task_always_eager, app.conf.task_eager_propagates
        app.conf.task_always_eager = app.conf.task_eager_propagates = True
        try:
            with django_capture_on_commit_callbacks(execute=True):
                yield
        finally:
            app.conf.task_always_eager, app.conf.task_eager_propagates = eager

    return inline


# --- Helpers ------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition: Callable[[], object], *, timeout: float = 20, message: str = "") -> object:
    """Poll until `condition()` is truthy; fail the test with `message` after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.05)
    pytest.fail(message or f"condition not met within {timeout}s")


# --- A real SMTP server -------------------------------------------------------------------
def raw_header(raw: bytes, name: str) -> list[str]:
    """A header's physical lines in a raw message, exactly as they came over the wire."""
    head = raw.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0].decode("ascii")
    lines = head.split("\n")
    start = next(i for i, line in enumerate(lines) if line.lower().startswith(f"{name.lower()}:"))
    folded = [lines[start]]
    for line in lines[start + 1 :]:
        if not line[:1].isspace():
            break
        folded.append(line)
    return folded


class RecordingHandler:
    """An aiosmtpd handler that keeps every message it accepts, and can misbehave on purpose:
    `refuse` answers 550 for those recipients and `defer_rcpt` 451 for a recipient that many
    times; `refuse_senders` answers 550 for those senders; `refuse_data` gives that answer to
    every DATA (a message refused as spam, say; only from `refuse_data_from` when set);
    `defer_data` answers 451 to that many DATA commands and `defer_until` to every DATA before
    that time.time(); `delay` makes each DATA take that long; `stop_after` drops the connection
    once that many messages were taken; `on_data` runs something while a message is in hand."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list = []
        self.refuse: set[str] = set()
        self.defer_rcpt: dict[str, int] = {}
        self.refuse_senders: set[str] = set()
        self.refuse_data = ""
        self.refuse_data_from = ""  # only from this sender; every sender when empty
        self.defer_data = 0
        self.defer_until = 0.0
        self.deferred = 0
        self.delay = 0.0
        self.stop_after: int | None = None  # drop the connection at the DATA after this many
        self.tried: list[str] = []  # every RCPT address, accepted or not, in order
        # Called (in a thread of its own, so it may use the ORM) when a message's DATA arrives,
        # before the answer: something else happening while the server has the message.
        self.on_data: Callable[[], object] | None = None

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if address.lower() in self.refuse_senders:
            return "550 5.7.1 Sender address not verified"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.tried.append(address.lower())
        if address.lower() in self.refuse:
            return "550 5.1.1 No such user here"
        if self.defer_rcpt.get(address.lower(), 0) > 0:
            self.defer_rcpt[address.lower()] -= 1
            return "451 4.2.1 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.on_data is not None:
            await asyncio.to_thread(self.on_data)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.refuse_data and self.refuse_data_from in ("", envelope.mail_from.lower()):
            return self.refuse_data
        if self.stop_after is not None and len(self.envelopes) >= self.stop_after:
            server.transport.close()  # the line drops: the client sees no answer at all
            return "421 4.4.2 Connection dropped"
        if self.deferred < self.defer_data or time.time() < self.defer_until:
            self.deferred += 1
            return "451 4.3.0 Try again later"
        envelope.received_at = time.time()
        self.envelopes.append(envelope)
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 2.0.0 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address.lower() in str(m["To"]).lower()]

    def wait_for_message(self, address: str, *, timeout: float = 20) -> EmailMessage:
        return wait_for(
            lambda: next(iter(self.to(address)), None),
            timeout=timeout,
            message=f"no mail reached {address}",
        )


@pytest.fixture
def smtp_server(settings):
    from aiosmtpd.controller import Controller

    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield handler
    controller.stop()


# --- A real HTTP server in the place of a mail provider's API -------------------------------
@pytest.fixture
def postmark(settings):
    """Mail goes through anymail's Postmark backend to a local server that answers as
    Postmark's API does (tests/provider_api.py); the test's worker thread sends there too."""
    from tests.provider_api import ProviderApi

    api = ProviderApi("postmark").start()
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {"POSTMARK_SERVER_TOKEN": "server-token", "POSTMARK_API_URL": api.url}
    yield api
    api.stop()


@pytest.fixture
def mailgun(settings):
    from tests.provider_api import ProviderApi

    api = ProviderApi("mailgun").start()
    settings.EMAIL_BACKEND = "anymail.backends.mailgun.EmailBackend"
    settings.ANYMAIL = {"MAILGUN_API_KEY": "key-test", "MAILGUN_API_URL": api.url.rstrip("/")}
    yield api
    api.stop()


# --- A real Celery worker -----------------------------------------------------------------
@pytest.fixture(scope="session")
def celery_worker_session():
    """One worker thread for the whole run, consuming the test queue on the test broker."""
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    app.conf.task_default_queue = "driverline-test"
    with start_worker(
        app,
        pool="solo",
        concurrency=1,
        perform_ping_check=False,
        loglevel="WARNING",
        shutdown_timeout=15,
        queues=["driverline-test"],
    ) as worker:
        yield worker


@pytest.fixture
def celery_worker(celery_worker_session, transactional_db):
    """A running worker; the test's data must be committed for it to see (transactional_db)."""
    return celery_worker_session


# --- A real browser -----------------------------------------------------------------------
@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture
def page(page):
    page.set_default_timeout(10_000)
    return page


@pytest.fixture
def axe_check():
    """Run axe-core on the page and fail with its report if anything is violated."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def check(page, *, context: str = "") -> None:
        results = axe.run(page)
        assert results.violations_count == 0, (
            f"axe-core found violations on {context or page.url}:\n{results.generate_report()}"
        )

    return check
