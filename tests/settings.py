"""Test settings: the real settings, in their own var/ folder, with a few speed-ups.

Tests choose their broker explicitly (Redis when REDIS_URL is set, as in CI; otherwise an
in-process transport) so a CELERY_BROKER_URL left in the environment can never hang them.
"""

import os
from pathlib import Path

os.environ["VAR_DIR"] = str(Path(__file__).resolve().parent.parent / "var" / "test")
os.environ.pop("CELERY_BROKER_URL", None)
os.environ.pop("EMAIL_URL", None)
os.environ.pop("EMAIL_PROVIDER", None)
os.environ.setdefault("SITE_URL", "http://testserver")

from config.settings import *  # noqa: F403
from config.settings import REDIS_URL

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
ALLOWED_HOSTS = ["*"]
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_BROKER_TRANSPORT_OPTIONS = {}
CELERY_TASK_DEFAULT_QUEUE = "driverline-test"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ANYMAIL = {}  # a provider's keys and webhook secrets left in the environment: tests set their own
# Per-process and cleared before every test, so rate limits never leak between tests.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405  (whitenoise warns when it is missing)
WHITENOISE_USE_FINDERS = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, as in `make run`, so concurrent threads meet WAL and immediate transactions
    # rather than the table locks of a shared in-memory database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}  # noqa: F405
