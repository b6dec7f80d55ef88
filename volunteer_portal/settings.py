"""Settings for the volunteer portal, read from the environment.

Every variable is documented in `.env.example`. Development defaults just work (SQLite, DEBUG on);
production must say what it wants, and a missing SECRET_KEY with DEBUG off stops the process at start.
"""

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def envbool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")


def envint(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from None


def envlist(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = envbool("DEBUG", True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off. Generate one with: "
            "python -c 'from django.core.management.utils import get_random_secret_key as k; print(k())'"
        )
    # Development only: DEBUG is on, so this key never signs anything that matters.
    SECRET_KEY = "django-insecure-development-key-do-not-use-in-production"  # noqa: S105  # development only

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

# W040: SQLite has no covering indexes, so an Index(include=…) is made there without the extra columns. The one
# such index (beneficiaries' visit_beneficiary_date_cover) is for PostgreSQL's index-only scans; SQLite's plain
# index is the one it had before.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "volunteer_portal.lockout.LockoutConfig",  # django-axes, named in Chinese
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "simple_history",
    "volunteer_portal.branches",
    "activities",
    "beneficiaries",
    "volunteer_portal.dashboards",
    "volunteer_portal.selfservice",
    "volunteer_portal.reports",
    "volunteer_portal.reminders",
    "django_tasks",
    "django_tasks_db",
    "volunteer_portal.jobs",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Right after SecurityMiddleware, as WhiteNoise asks: static files are answered before sessions or auth run.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything reads a form: a body cut off on the way is refused (400) instead of read as blank fields.
    "volunteer_portal.resilience.CompleteBodyMiddleware",
    # Behind the HTTPS proxy, the browser's address from X-Real-IP, before anything (the access log, django-axes)
    # reads REMOTE_ADDR.
    "volunteer_portal.security.ProxiedClientAddressMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "volunteer_portal.security.SessionTimeoutMiddleware",
    "volunteer_portal.security.NeverCacheSignedInMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "volunteer_portal.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "volunteer_portal.security.session_timeout",
            ],
            # Project-wide template helpers that belong to no app.
            "libraries": {"portal": "volunteer_portal.templatetags"},
        },
    },
]

# Every form marks its required fields with aria-required (volunteer_portal/forms.py).
FORM_RENDERER = "volunteer_portal.forms.PortalFormRenderer"

WSGI_APPLICATION = "volunteer_portal.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=envint("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
# Health checks are what make persistent connections safe after a database restart; keep them on
# whatever DATABASE_URL says. On PostgreSQL each gunicorn worker keeps its connection for CONN_MAX_AGE seconds.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several gunicorn workers share one SQLite file: WAL lets readers run beside the writer, a writer waits up to
    # 5 s for another instead of failing with "database is locked", and IMMEDIATE takes the write lock when a
    # transaction begins, so two transactions never deadlock upgrading a read lock (Django 5.2's options).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
            "transaction_mode": "IMMEDIATE",
        }
    )

elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and not envbool("DATABASE_JIT", False):
    # PostgreSQL's JIT compiles a query the planner thinks costly before running it; for the leaders' pages,
    # short queries over indexes, compiling took longer than running (1.7 s of a 4.3 s campaign target query at
    # 100,000 activities; README, "Performance"). DATABASE_JIT=true gives the server's own setting back.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"

# The cache: each process's memory by default; with REDIS_URL, one Redis shared by every worker and machine.
# Sessions stay in the database (Django's default engine), so they work across processes either way.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses sign-ins while a username and address are locked out.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Passwords: at least 8 characters from at least 3 of 4 kinds (等保 password complexity).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "volunteer_portal.security.CharacterClassesValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sign-in lockout (django-axes): 5 failures for one username from one address lock that pair out for
# AXES_COOLOFF_MINUTES from the failure that locked it. Tries during the lockout are refused but do not extend
# it: otherwise anyone guessing once a minute keeps the rightful user out for as long as they like.
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("AXES_COOLOFF_MINUTES", 15))
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# The access log (sign-ins, reveals, exports) is kept at least six months (等保); prune_access_log removes older.
ACCESS_LOG_RETENTION_DAYS = envint("ACCESS_LOG_RETENTION_DAYS", 365)
# An uploaded roster left unconfirmed is discarded, with its staged personal data, after this many hours.
ROSTER_IMPORT_KEEP_HOURS = envint("ROSTER_IMPORT_KEEP_HOURS", 24)
# An uploaded roster is refused before it is read when the workbook unpacks to more than this many MB (or a CSV
# file is larger), or its first sheet holds more cells: 20,000 rows (the most an import takes) of the template's
# 22 columns are 440,000. Both keep a small upload from taking hundreds of MB of memory.
ROSTER_IMPORT_MAX_UNCOMPRESSED_MB = envint("ROSTER_IMPORT_MAX_UNCOMPRESSED_MB", 50)
ROSTER_IMPORT_MAX_CELLS = envint("ROSTER_IMPORT_MAX_CELLS", 500_000)
# Telling a user that an ID number they may not see is already registered is logged and allowed this many times
# in 24 hours; then new ID numbers cannot be checked by them until the oldest answer is a day old.
HIDDEN_CHECKS_PER_DAY = envint("HIDDEN_CHECKS_PER_DAY", 20)
# django-simple-history's "revert" writes old values back outside the services (and shows old full numbers).
SIMPLE_HISTORY_REVERT_DISABLED = True
if ACCESS_LOG_RETENTION_DAYS < 183:
    raise ImproperlyConfigured("ACCESS_LOG_RETENTION_DAYS must be at least 183 (six months).")

# Reminders (manage.py send_reminders): email through Django's framework (the console in development: messages
# are printed), links back to the portal at PORTAL_BASE_URL, and 企业微信 robots given WECOM_TIMEOUT_SECONDS.
# A failing email or robot message is tried again after each of REMINDER_RETRY_DELAYS seconds, then on later
# runs after REMINDER_RETRY_MINUTES (doubling), for at most REMINDER_MAX_RUNS runs.
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "portal@localhost")
EMAIL_SUBJECT_PREFIX = os.environ.get("EMAIL_SUBJECT_PREFIX", "【学雷锋志愿助残】")
PORTAL_BASE_URL = os.environ.get("PORTAL_BASE_URL", "http://127.0.0.1:8000")
WECOM_TIMEOUT_SECONDS = envint("WECOM_TIMEOUT_SECONDS", 5)
REMINDER_RETRY_DELAYS = [1, 4]
REMINDER_RETRY_MINUTES = envint("REMINDER_RETRY_MINUTES", 30)
REMINDER_MAX_RUNS = envint("REMINDER_MAX_RUNS", 5)

# Sessions: signed out after SESSION_IDLE_MINUTES without a request and SESSION_ABSOLUTE_HOURS after sign-in.
SESSION_IDLE_MINUTES = envint("SESSION_IDLE_MINUTES", 30)
SESSION_ABSOLUTE_HOURS = envint("SESSION_ABSOLUTE_HOURS", 12)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_HOURS * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# A member's sign-in invitation (a one-time link and its QR code) works for this many days.
MEMBER_INVITE_DAYS = envint("MEMBER_INVITE_DAYS", 7)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
# Static files are served by WhiteNoise from STATIC_ROOT (collectstatic). In production (STATIC_MANIFEST, on by
# default when DEBUG is off) they are stored under hashed names with gzip copies, which WhiteNoise
# serves with a cache lifetime of ten years; unhashed names get WHITENOISE_MAX_AGE. With STATIC_MANIFEST off
# (development, the tests) Django's default storage needs no collectstatic.
STATIC_MANIFEST = envbool("STATIC_MANIFEST", not DEBUG)
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_MAX_AGE = envint("WHITENOISE_MAX_AGE", 0 if DEBUG else 60)
# Read the files from the apps' folders, at each request, only when DEBUG is on at start (not when the test
# runner turns DEBUG off later: then STATIC_ROOT would be expected and may not exist).
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# Photos are kept in MEDIA_ROOT unless MEDIA_BUCKET names a bucket of S3-compatible object storage (AWS S3, MinIO,
# Ceph, a cloud's S3 endpoint), which several app machines then share (docs/deploy.md, "Several app machines").
# The objects stay private: no ACL is set, no link to the bucket is ever handed out, and the portal's scoped views
# read each photo and answer it themselves. boto3 takes the keys from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY
# (or its other usual places).
MEDIA_BUCKET = os.environ.get("MEDIA_BUCKET", "")


def s3_media_storage(bucket: str) -> dict[str, Any]:
    """The default storage in a bucket: private objects, never overwritten, no public link (the tests use it too)."""
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": os.environ.get("MEDIA_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("MEDIA_S3_REGION") or None,
            "location": os.environ.get("MEDIA_S3_PREFIX", ""),
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }


if MEDIA_BUCKET:
    STORAGES["default"] = s3_media_storage(MEDIA_BUCKET)

# Background jobs (volunteer_portal/jobs, Django's tasks API through django-tasks). TASKS_BACKEND "immediate" runs
# a job inside the request that asks for it (development and `make run`: no process to start); "database" queues
# it in the database for the worker, `manage.py db_worker` (production: DEBUG off).
TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "immediate" if DEBUG else "database")
_TASK_BACKENDS = {
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
}
if TASKS_BACKEND not in _TASK_BACKENDS:
    raise ImproperlyConfigured(f"TASKS_BACKEND must be immediate or database, not {TASKS_BACKEND!r}.")
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[TASKS_BACKEND]}}
# An export of more rows than this is built by the worker, with a page showing its progress; a smaller one is
# downloaded at once. The finished files are kept privately in EXPORT_ROOT (never under MEDIA_URL; or in
# STORAGES["exports"] when that is set, e.g. a private bucket shared by several machines), for their owner only,
# and deleted EXPORT_KEEP_HOURS after they were asked for (manage.py prune_exports, daily).
EXPORT_INLINE_MAX_ROWS = envint("EXPORT_INLINE_MAX_ROWS", 2000)
EXPORT_KEEP_HOURS = envint("EXPORT_KEEP_HOURS", 24)
EXPORT_ROOT = Path(os.environ.get("EXPORT_ROOT", BASE_DIR / "exports"))
# A task that fails (the figures rebuild, a reminders run) is enqueued again after TASK_RETRY_SECONDS, doubling
# each time, up to TASK_MAX_ATTEMPTS attempts in all (volunteer_portal/jobs/retry.py).
TASK_RETRY_SECONDS = envint("TASK_RETRY_SECONDS", 60)
TASK_MAX_ATTEMPTS = envint("TASK_MAX_ATTEMPTS", 5)

LOGIN_URL = "accounts:login"
LOGIN_URL_PATH = "/accounts/login/"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Activity photos: images only, at most this many bytes each; thumbnails this many pixels wide.
PHOTO_MAX_BYTES = envint("PHOTO_MAX_BYTES", 5 * 1024 * 1024)
PHOTO_THUMBNAIL_WIDTH = 480
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Transport security. Production defaults make `manage.py check --deploy` report nothing; an intranet without
# HTTPS can turn them off explicitly (and knowingly) in the environment.
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
# A load balancer asks for /healthz over plain HTTP, straight from the app server.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", not DEBUG)
# Behind a proxy that ends HTTPS (deploy/nginx): its X-Forwarded-Proto says the request was HTTPS, and its X-Real-IP
# is the client's address (volunteer_portal.security.ProxiedClientAddressMiddleware).
BEHIND_HTTPS_PROXY = envbool("BEHIND_HTTPS_PROXY", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_HTTPS_PROXY else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): everything from the portal itself, nothing inline. The pages have no
# inline scripts or style attributes (data goes through json_script, behaviour through static/js).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # django-axes reports every failed sign-in at INFO; the access log already records them.
    "loggers": {"axes": {"level": "WARNING"}},
}
