"""Every setting lives here; local/test/production only override (STYLE.md C12)."""

from __future__ import annotations

from config.env import BASE_DIR, env

DEFAULT_SECRET_KEY = "insecure-dev-key-change-me"  # noqa: S105 - production.py refuses it
SECRET_KEY = env("SECRET_KEY", default=DEFAULT_SECRET_KEY)
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "helpdesk",
    "tickets",
    "sla",
    "kb",
    "metrics",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Serves the app's own static assets in production (no CDN, no separate web server needed).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "helpdesk.middleware.UserTimeZoneMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "helpdesk.context_processors.shell",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/helpdesk"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
# A health check costs a round trip on every request; a connection that died meanwhile fails one
# request instead. Operators behind flaky networks can turn it on.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("DB_CONN_HEALTH_CHECKS", default=False)
# JIT compilation pays off for long analytical queries, not for an OLTP request that runs in a
# millisecond: on large tables it can add tens of milliseconds to a page query.
# Parallel query likewise: starting two workers costs ~15 ms, more than a queue page's whole query
# (a LIMIT 26 walk of an index), and on a small box they take the cores other requests need.
DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
    f"-c jit=off -c max_parallel_workers_per_gather={env.int('DB_MAX_PARALLEL_WORKERS_PER_GATHER', default=0)}"
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="helpdesk"),
    },
}

AUTH_USER_MODEL = "helpdesk.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "helpdesk:login"
LOGIN_REDIRECT_URL = "helpdesk:home"
LOGOUT_REDIRECT_URL = "helpdesk:login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "var" / "static")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Attachments live outside the web root and are only served through a permission-checked view.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "var" / "media")
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=20 * 1024 * 1024)
ATTACHMENT_ALLOWED_TYPES = env.list(
    "ATTACHMENT_ALLOWED_TYPES",
    default=[
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "application/pdf",
        "text/plain",
        "text/csv",
        "application/json",
        "application/zip",
        "application/gzip",
        "message/rfc822",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ],
)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="127.0.0.1")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="support@helpdesk.localhost")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "helpdesk.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "helpdesk.api.pagination.KeysetCursorPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_THROTTLE_CLASSES": ["helpdesk.api.throttling.PerTokenRateThrottle"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "helpdesk.api.exceptions.exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "helpdesk.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# Requests per minute for one API token (or one signed-in user); a token may carry its own.
API_RATE_LIMIT_PER_MINUTE = env.int("API_RATE_LIMIT_PER_MINUTE", default=600)
IDEMPOTENCY_KEY_TTL_HOURS = 24

SPECTACULAR_SETTINGS = {
    "TITLE": "Helpdesk API",
    "DESCRIPTION": "Tickets, conversations, organizations and the SLA engine of a self-hosted helpdesk.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One OpenAPI enum per domain choice set, whatever the field is called.
    "ENUM_NAME_OVERRIDES": {
        "SupportTierEnum": "helpdesk.models.SupportTier",
        "LinkKindEnum": "tickets.models.LinkKind",
        "TicketEventKindEnum": "tickets.models.TicketEventKind",
    },
}

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SOFT_TIME_LIMIT = 60  # per-task overrides allowed; must stay below visibility_timeout
CELERY_TASK_TIME_LIMIT = 120
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# The customer portal: how many days after a ticket is resolved its requester may still reopen it
# (or reply to reopen it); after that they open a new ticket.
PORTAL_REOPEN_DAYS = env.int("PORTAL_REOPEN_DAYS", default=7)
# Where people reach the product: background e-mails (no request to build links from) use it.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# Account e-mails (sign-up verification, sign-in links, password resets) per hour: per address, so
# nobody's inbox can be flooded, and per client IP, so nobody can flood many inboxes.
ACCOUNT_MAIL_PER_ADDRESS_PER_HOUR = env.int("ACCOUNT_MAIL_PER_ADDRESS_PER_HOUR", default=5)
ACCOUNT_MAIL_PER_IP_PER_HOUR = env.int("ACCOUNT_MAIL_PER_IP_PER_HOUR", default=30)

# Outgoing webhooks (docs/webhooks.md). Subscriptions, their events and endpoints are rows edited
# by admins; these are the transport's limits. Private targets (loopback, RFC 1918, link-local such
# as cloud metadata) are refused unless this is on: development and tests post to 127.0.0.1.
WEBHOOKS_ALLOW_PRIVATE_TARGETS = env.bool("WEBHOOKS_ALLOW_PRIVATE_TARGETS", default=False)
WEBHOOKS_CONNECT_TIMEOUT_SECONDS = env.float("WEBHOOKS_CONNECT_TIMEOUT_SECONDS", default=3.0)
WEBHOOKS_READ_TIMEOUT_SECONDS = env.float("WEBHOOKS_READ_TIMEOUT_SECONDS", default=10.0)
# Attempts per delivery; waits double from the base (±25 % jitter) up to the cap: with these,
# 30 s, 1, 2, 4, 8, 16 and 32 min — the last attempt about an hour after the first.
WEBHOOKS_MAX_ATTEMPTS = env.int("WEBHOOKS_MAX_ATTEMPTS", default=8)
WEBHOOKS_RETRY_BASE_SECONDS = env.float("WEBHOOKS_RETRY_BASE_SECONDS", default=30.0)
WEBHOOKS_RETRY_MAX_SECONDS = env.float("WEBHOOKS_RETRY_MAX_SECONDS", default=3600.0)
# A subscription is disabled (and its owner and the admins notified) when this many deliveries in a
# row gave up, or when a delivery gives up after it has been failing without a success this long.
WEBHOOKS_DISABLE_AFTER_FAILED_DELIVERIES = env.int("WEBHOOKS_DISABLE_AFTER_FAILED_DELIVERIES", default=10)
WEBHOOKS_DISABLE_AFTER_FAILING_HOURS = env.float("WEBHOOKS_DISABLE_AFTER_FAILING_HOURS", default=24.0)
# Deliveries (with their payloads and attempt logs) are kept this long, then purged.
WEBHOOKS_DELIVERY_RETENTION_DAYS = env.int("WEBHOOKS_DELIVERY_RETENTION_DAYS", default=30)

# The e-mail channel (docs/email.md). Our generated Message-IDs end in "@EMAIL_DOMAIN" (mail that
# comes back with one is a loop); our own addresses are never a ticket's CC and never a sender.
EMAIL_DOMAIN = env("EMAIL_DOMAIN", default=DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(">").lower())
EMAIL_OWN_ADDRESSES = env.list("EMAIL_OWN_ADDRESSES", default=[])
# Outgoing replies: attempts before a reply is marked failed; waits double from 30 s up to 1 h.
EMAIL_OUTBOUND_MAX_ATTEMPTS = env.int("EMAIL_OUTBOUND_MAX_ATTEMPTS", default=8)
# Inbound mailbox polled by Celery beat; an empty IMAP_HOST turns polling off.
IMAP_HOST = env("IMAP_HOST", default="")
IMAP_SSL = env.bool("IMAP_SSL", default=True)
IMAP_PORT = env.int("IMAP_PORT", default=993 if IMAP_SSL else 143)
IMAP_USER = env("IMAP_USER", default="")
IMAP_PASSWORD = env("IMAP_PASSWORD", default="")
IMAP_FOLDER = env("IMAP_FOLDER", default="INBOX")
# Where processed messages are moved; empty: they stay in IMAP_FOLDER, flagged \Seen.
IMAP_PROCESSED_FOLDER = env("IMAP_PROCESSED_FOLDER", default="")
IMAP_TIMEOUT = env.int("IMAP_TIMEOUT", default=30)
