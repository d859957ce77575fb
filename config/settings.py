"""Driverline settings: one module, configured from the environment.

Every value has an embedded default so a bare machine runs with nothing else (SQLite, a
filesystem Celery broker, a file cache, mail written to var/mail/). Production switches on
PostgreSQL, Redis and SMTP with DATABASE_URL, REDIS_URL and EMAIL_URL; see .env.example.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF

from core.dkim_signing import private_key_load
from core.providers import anymail_settings, provider_backend

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# The process environment wins over .env (ENV_FILE names another file). Read before any
# setting, VAR_DIR included, so every value may come from either.
ENV_FILE = Path(env.str("ENV_FILE", default=str(BASE_DIR / ".env")))
if ENV_FILE.is_file():
    environ.Env.read_env(ENV_FILE, overwrite=False)
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))


def _local_secret_key() -> str:
    """A per-checkout secret for development, generated once into var/ and never committed."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        # token_urlsafe never starts with "$", which django-environ would read as a reference.
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="") or _local_secret_key()

SITE_NAME = env.str("SITE_NAME", default="Driverline")
SITE_URL = env.str("SITE_URL", default="http://localhost:8000").rstrip("/")
_site = urlsplit(SITE_URL)
HTTPS = _site.scheme == "https"
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=sorted({_site.hostname or "localhost", "localhost", "127.0.0.1"})
)
CSRF_TRUSTED_ORIGINS = env.list(
    "CSRF_TRUSTED_ORIGINS", default=[f"{_site.scheme}://{_site.netloc}"]
)

INSTALLED_APPS = [
    "core",
    "accounts",
    "articles",
    "comments",
    "newsletter",
    "evidence",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
    "allauth",
    "allauth.account",
    "anymail",
    "django_htmx",
    "csp",
    "reversion",
    "django_structlog",
]

MIDDLEWARE = [
    # /healthz and /readyz, before anything that reads the Host, a session or the scheme.
    "core.health.HealthMiddleware",
    # One log line per request and its request id (README, "Logs and errors"); after the
    # probes, so they log nothing, and before the rest, so redirects and 400s are logged too.
    "core.requestlog.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "core.headers.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.StaffTimeZoneMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "core.htmx.HtmxSignInMiddleware",
    "comments.middleware.ApprovalNoticeMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "site" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.site",
                "comments.context_processors.moderation",
            ],
            "builtins": ["core.templatetags.site_tags"],
        },
    }
]

# Database: SQLite in var/ unless DATABASE_URL says otherwise.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'driverline.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and IMMEDIATE transactions let web, worker and beat share one file without
    # "database is locked" errors.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # A database that does not answer fails a request (and /readyz) in seconds, not minutes;
    # DATABASE_URL's own ?connect_timeout= wins.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis, when given, carries the Celery broker and the cache (rate limits included).
# CACHE_URL puts the cache on a Redis of its own.
REDIS_URL = env.str("REDIS_URL", default="")
CACHE_URL = env.str("CACHE_URL", default=REDIS_URL)
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "driverline",
            # A Redis that stops answering costs a request (and /readyz) seconds, not minutes.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    }

# Accounts.
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupDetailsForm"
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False  # a page with a button, so mail scanners confirm nothing
ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS = 3
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
# Tell readers when their password or address changes, so someone else's doing is noticed.
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if HTTPS else "http"
# allauth's own defaults, stated so they are visible and tunable: a few attempts per minute.
ACCOUNT_RATE_LIMITS = {
    "login": env.str("RATE_LIMIT_LOGIN", default="30/m/ip"),
    "login_failed": env.str("RATE_LIMIT_LOGIN_FAILED", default="10/m/ip,5/5m/key"),
    "signup": env.str("RATE_LIMIT_SIGNUP", default="20/m/ip"),
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
}

# Mail. Account mail and newsletter mail leave from different addresses.
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default=f"{SITE_NAME} <accounts@localhost>")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
NEWSLETTER_FROM_EMAIL = env.str(
    "NEWSLETTER_FROM_EMAIL", default=f"{SITE_NAME} newsletter <newsletter@localhost>"
)
EMAIL_FILE_PATH = VAR_DIR / "mail"
# A provider's API (anymail) with EMAIL_PROVIDER, else SMTP with EMAIL_URL, else files. Every
# ANYMAIL_<NAME> variable is ANYMAIL["<NAME>"] (README, "Sending at scale").
ANYMAIL = anymail_settings(os.environ)
if EMAIL_PROVIDER := env.str("EMAIL_PROVIDER", default=""):
    EMAIL_BACKEND = provider_backend(EMAIL_PROVIDER)
elif env.str("EMAIL_URL", default=""):
    globals().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "core.mail.EmlFileBackend"
# DKIM (README, "Sending at scale"). The key is read and checked now: a bad one stops startup.
DKIM_SELECTOR = env.str("DKIM_SELECTOR", default="")
DKIM_DOMAIN = env.str("DKIM_DOMAIN", default="").lower()  # "": each message's From domain
DKIM_PRIVATE_KEY = private_key_load(
    selector=DKIM_SELECTOR, domain=DKIM_DOMAIN, path=env.str("DKIM_PRIVATE_KEY_FILE", default=""),
    pem=env.str("DKIM_PRIVATE_KEY", default="", multiline=True))  # fmt: skip
if DKIM_PRIVATE_KEY and EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend":
    EMAIL_BACKEND = "core.mail.SigningSmtpBackend"
MAILCHECK_NAMESERVER = env.str("MAILCHECK_NAMESERVER", default="")  # IP[:port]; "": the system's
MAILCHECK_DNS_TIMEOUT = env.float("MAILCHECK_DNS_TIMEOUT", default=3.0)  # seconds per lookup
# Seconds any one SMTP exchange (or provider API call) may take; kept below NEWSLETTER_LEASE_SECONDS so a worker
# blocked on a silent server never outlives its claim.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
ANYMAIL.setdefault("REQUESTS_TIMEOUT", EMAIL_TIMEOUT)  # a provider's API, the same bound
# Date headers in TIME_ZONE with a real offset ("+0000"); the default writes "-0000", which
# RFC 5322 reserves for a time whose zone is unknown.
EMAIL_USE_LOCALTIME = True

# Celery: Redis when REDIS_URL is set, otherwise kombu's filesystem transport in var/celery/.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue = VAR_DIR / "celery" / "queue"
    for _folder in (_queue, VAR_DIR / "celery" / "control", VAR_DIR / "celery" / "processed"):
        _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue),
        "data_folder_out": str(_queue),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "store_processed": False,
    }
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="celery")
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # Redis gives an unacknowledged task back only after this; recovery never waits for it
    # (the delivery ledger's leases do), and no countdown of ours comes near it.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "publish-due-articles": {
        "task": "articles.tasks.publish_due_articles",
        "schedule": timedelta(seconds=env.int("PUBLISH_CHECK_SECONDS", default=60)),
    },
    "moderation-digest": {
        "task": "comments.tasks.send_moderation_digest",
        "schedule": crontab(hour=7, minute=30),
    },
    "scheduled-editions": {
        "task": "newsletter.tasks.send_scheduled_editions",
        "schedule": timedelta(minutes=1),
    },
    "new-article-alerts": {
        "task": "newsletter.tasks.send_new_article_alerts",
        "schedule": timedelta(minutes=5),
    },
    "reviews-due": {
        "task": "articles.tasks.send_reviews_due",
        "schedule": crontab(day_of_week="mon", hour=7, minute=15),
    },
    "check-references": {
        "task": "evidence.tasks.check_references",
        "schedule": crontab(day_of_week="mon", hour=5, minute=0),
    },
    "refresh-trials": {
        "task": "evidence.tasks.refresh_trials",
        "schedule": crontab(minute=23),  # hourly: new citations soon, each trial once a day
    },
    "trial-change-mail": {
        "task": "newsletter.tasks.send_trial_change_mail",
        "schedule": timedelta(minutes=5),
    },
    "weekly-digest": {
        "task": "newsletter.tasks.send_weekly_digest",
        "schedule": crontab(day_of_week="mon", hour=7, minute=0),
    },
    "sweep-deliveries": {
        "task": "newsletter.tasks.sweep_deliveries",
        "schedule": timedelta(seconds=env.int("NEWSLETTER_SWEEP_SECONDS", default=10)),
    },
    "heartbeat": {  # /readyz's proof that beat and a worker are alive (core.heartbeat)
        "task": "core.heartbeat",
        "schedule": timedelta(seconds=env.int("HEALTH_HEARTBEAT_SECONDS", default=30)),
        "options": {"expires": env.int("HEALTH_HEARTBEAT_SECONDS", default=30)},
    },
    "clear-expired-sessions": {
        "task": "accounts.tasks.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=17),
    },
}

# Health (README, "Health checks"): /readyz's bounds.
HEALTH_BROKER_TIMEOUT = env.float("HEALTH_BROKER_TIMEOUT", default=1.0)  # seconds to connect
HEALTH_READY_CACHE_SECONDS = env.float("HEALTH_READY_CACHE_SECONDS", default=2.0)
HEALTH_HEARTBEAT_STALE_SECONDS = env.int("HEALTH_HEARTBEAT_STALE_SECONDS", default=120)
HEALTH_DELIVERIES_LATE_SECONDS = env.int("HEALTH_DELIVERIES_LATE_SECONDS", default=900)

# Backups (README, "Backups"): where `manage.py backup` writes and how many it keeps.
BACKUP_DIR = Path(env.str("BACKUP_DIR", default=str(VAR_DIR / "backups")))
BACKUP_KEEP = env.int("BACKUP_KEEP", default=0)  # 0: keep every backup
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))

# Internationalisation.
LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# Static files, served by whitenoise in every environment.
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "site" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG

# Security. Cookies, HSTS and redirects follow the scheme of SITE_URL.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=HTTPS)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=HTTPS)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=HTTPS)
if env.bool("TRUST_X_FORWARDED_PROTO", default=False):
    # Only behind a proxy that always sets this header itself.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Browser features the site never uses; a script that slipped in could not use them either.
PERMISSIONS_POLICY_DENIED = [
    "accelerometer", "ambient-light-sensor", "autoplay", "bluetooth", "browsing-topics",
    "camera", "display-capture", "encrypted-media", "geolocation", "gyroscope", "hid",
    "idle-detection", "interest-cohort", "magnetometer", "microphone", "midi", "payment",
    "publickey-credentials-get", "screen-wake-lock", "serial", "usb", "xr-spatial-tracking",
]  # fmt: skip

CONTENT_SECURITY_POLICY = {"DIRECTIVES": {
    "default-src": [SELF], "script-src": [SELF], "style-src": [SELF], "img-src": [SELF, "data:"],
    "font-src": [SELF], "connect-src": [SELF], "object-src": [NONE], "base-uri": [SELF],
    "frame-ancestors": [NONE], "form-action": [SELF],
}}  # fmt: skip

# Product settings: the articles', comments' and newsletter's own, in config/product.py; logs
# and errors (LOGGING, Sentry; README, "Logs and errors") in config/logs.py.
from config.logs import *  # noqa: E402, F403
from config.product import *  # noqa: E402, F403
