"""Settings for Spika for Django, read from the environment.

Every value has a development default so that ``manage.py runserver`` works from a fresh
clone. The defaults marked UNSAFE must be overridden in production; the server refuses to
start with ``DEBUG`` off and the development secret key.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {raw!r}")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    return value


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


# UNSAFE DEFAULT: DEBUG is on unless the environment says otherwise. Set DEBUG=0 in production.
DEBUG = env_bool("DEBUG", True)

# UNSAFE DEFAULT: this key is public. With DEBUG off the server refuses to start with it.
DEV_SECRET_KEY = "django-insecure-spika-development-key-do-not-use-in-production"
SECRET_KEY = env_str("SECRET_KEY", DEV_SECRET_KEY)
if not DEBUG and SECRET_KEY == DEV_SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is the public development key while DEBUG is off. "
        "Set SECRET_KEY to a long random value (see .env.example)."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if not DEBUG else "*")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "daphne",
    # Before django.contrib.auth, so that its createsuperuser (the number may not be blank) wins.
    "accounts.apps.AccountsConfig",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_eventstream",
    "chat.apps.ChatConfig",
    "eventstream.apps.EventstreamConfig",
]

MIDDLEWARE = [
    "spika.middleware.CorsMiddleware",
    "spika.middleware.ApiErrorEnvelopeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "spika.urls"
ASGI_APPLICATION = "spika.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# A SQLite file when DATABASE_URL is unset (first look, no services); PostgreSQL through
# psycopg 3 in production and in the test suite (DATABASE_URL=postgres://...).
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (server, shell, commands) write to one file: wait instead of failing.
    # IMMEDIATE: a transaction takes the write lock when it starts, so concurrent writers
    # queue (up to the timeout) instead of failing with "database is locked" on upgrade.
    DATABASES["default"].setdefault("OPTIONS", {}).update(timeout=20, transaction_mode="IMMEDIATE")
    # A file, not memory, so that end-to-end tests' server processes share the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "test_db.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

# Spika's web client uploads 1 MiB chunks in base64; anything far past that is refused (413).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 5 * 1024 * 1024, minimum=1024)

# Uploads (/api/upload): chunks in <root>/.temp/<clientId>/, assembled files in <root>/files/.
SPIKA_UPLOAD_ROOT = Path(env_str("SPIKA_UPLOAD_ROOT") or BASE_DIR / "uploads")
# The largest file a client may upload, in bytes (its chunks together); past it: 413.
SPIKA_UPLOAD_MAX_BYTES = env_int("SPIKA_UPLOAD_MAX_BYTES", 1024**3, minimum=1)

# Optional: with REDIS_URL set, every process publishes to every stream.
REDIS_URL = env_str("REDIS_URL", "")

# --- Spika ---------------------------------------------------------------------------------

# Every verification code is this value and no SMS is sent (tests and demos). Digits only.
# UNSAFE if set in production: anyone could sign in as anyone. Leave it unset there.
SPIKA_FIXED_VERIFICATION_CODE = env_str("SPIKA_FIXED_VERIFICATION_CODE", "")
if SPIKA_FIXED_VERIFICATION_CODE and not SPIKA_FIXED_VERIFICATION_CODE.isdigit():
    raise ImproperlyConfigured("SPIKA_FIXED_VERIFICATION_CODE must be digits only, e.g. 000000")

SPIKA_TOKEN_LIFETIME_DAYS = env_int("SPIKA_TOKEN_LIFETIME_DAYS", 30, minimum=1)
# Sliding expiry: a token with less than this left is extended by the full lifetime.
SPIKA_TOKEN_REFRESH_DAYS = env_int("SPIKA_TOKEN_REFRESH_DAYS", 7, minimum=0)

SPIKA_CODE_LIFETIME_SECONDS = env_int("SPIKA_CODE_LIFETIME_SECONDS", 600, minimum=1)
SPIKA_CODE_MAX_ATTEMPTS = env_int("SPIKA_CODE_MAX_ATTEMPTS", 5, minimum=1)
# Code requests allowed per telephone number and per client address in the window.
SPIKA_CODE_REQUESTS_PER_NUMBER = env_int("SPIKA_CODE_REQUESTS_PER_NUMBER", 5, minimum=1)
SPIKA_CODE_REQUESTS_PER_ADDRESS = env_int("SPIKA_CODE_REQUESTS_PER_ADDRESS", 20, minimum=1)
SPIKA_CODE_REQUEST_WINDOW_SECONDS = env_int("SPIKA_CODE_REQUEST_WINDOW_SECONDS", 3600, minimum=1)
# Behind a reverse proxy every request comes from the proxy's address: name the header where
# the proxy writes the client's (X-Real-IP, or X-Forwarded-For whose last entry is used).
# UNSAFE without such a proxy: clients could forge the header and dodge the limit.
SPIKA_CLIENT_ADDRESS_HEADER = env_str("SPIKA_CLIENT_ADDRESS_HEADER", "")

# Dotted path of the SMS backend; the default writes the code to the log.
SPIKA_SMS_BACKEND = env_str("SPIKA_SMS_BACKEND", "accounts.sms.LogSmsBackend")

# Events are kept this long for Last-Event-ID resume, then trimmed.
SPIKA_EVENT_RETENTION_HOURS = env_int("SPIKA_EVENT_RETENTION_HOURS", 24, minimum=1)
# Redis channel names start with this (parallel test runs use their own prefix).
SPIKA_REDIS_PREFIX = env_str("SPIKA_REDIS_PREFIX", "spika")
# Event streams: keep-alive interval, threads (= database connections) for their reads, and
# how often each process checks its streams against storage (a safety net for lost messages).
SPIKA_SSE_KEEPALIVE_SECONDS = env_int("SPIKA_SSE_KEEPALIVE_SECONDS", 10, minimum=1)
SPIKA_SSE_DB_THREADS = env_int("SPIKA_SSE_DB_THREADS", 4, minimum=1)
SPIKA_EVENT_SWEEP_SECONDS = env_int("SPIKA_EVENT_SWEEP_SECONDS", 30, minimum=1)
# How often each process rechecks its streams' tokens (one query for all of them): a stream
# whose device signed out or was deleted, or whose token expired, ends within this time.
SPIKA_SSE_RECHECK_SECONDS = env_int("SPIKA_SSE_RECHECK_SECONDS", 60, minimum=1)

# --- Pushpin (GRIP): see eventstream/grip.py and docs/deploy.md ----------------------------
# The key Pushpin signs proxied requests with (sig_key in pushpin.conf). Unset: no GRIP mode,
# and every request is a direct client, whatever Grip-* headers it carries.
SPIKA_GRIP_KEY = env_str("SPIKA_GRIP_KEY", "")
if SPIKA_GRIP_KEY and (SPIKA_GRIP_KEY == "changeme" or len(SPIKA_GRIP_KEY) < 32):
    raise ImproperlyConfigured(
        "SPIKA_GRIP_KEY must be a random secret of at least 32 characters, never Pushpin's "
        "stock 'changeme' (try: openssl rand -hex 32)"
    )
SPIKA_GRIP_ISSUER = env_str("SPIKA_GRIP_ISSUER", "pushpin")
# Pushpin's private control API, where events are published (comma-separated: every Pushpin).
SPIKA_GRIP_PUBLISH_URLS = env_list("SPIKA_GRIP_PUBLISH_URLS", "")
if SPIKA_GRIP_KEY and not SPIKA_GRIP_PUBLISH_URLS:
    raise ImproperlyConfigured(
        "SPIKA_GRIP_KEY is set but SPIKA_GRIP_PUBLISH_URLS is not (e.g. http://127.0.0.1:5561)"
    )
SPIKA_GRIP_CHANNEL_PREFIX = env_str("SPIKA_GRIP_CHANNEL_PREFIX", "spika-")
# How often Pushpin rechecks a held stream's token and catches the stream up from storage: a
# revoked or expired token's stream ends within this time.
SPIKA_GRIP_RECHECK_SECONDS = env_int("SPIKA_GRIP_RECHECK_SECONDS", 60, minimum=1)

# --- django-eventstream ---------------------------------------------------------------------
EVENTSTREAM_CHANNELMANAGER_CLASS = "eventstream.channels.UserChannelManager"
EVENTSTREAM_ALLOW_ORIGINS = ["*"]
EVENTSTREAM_ALLOW_HEADERS = "Authorization, accesstoken, accessToken, Last-Event-ID"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
