"""Test runs: real PostgreSQL and Redis, fast password hashing, mail kept in memory."""

from __future__ import annotations

import os

from config.settings.base import *  # noqa: F403
from config.settings.base import BASE_DIR, CACHES, env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = env("TEST_EMAIL_BACKEND", default="django.core.mail.backends.locmem.EmailBackend")
# Worker processes started by tests/sla/worker_support.py write their mail here (file backend).
EMAIL_FILE_PATH = env("TEST_EMAIL_FILE_PATH", default=str(BASE_DIR / "var" / "test-mail"))
MEDIA_ROOT = BASE_DIR / "var" / "test-media"
# A separate Redis database and key prefix keep test runs away from a running dev server. Each
# pytest-xdist worker gets a database of its own (15, 14, …): workers' row ids overlap, so keys
# built from ids (presence on ticket 1) would collide, and a test's cache.clear() empties a whole
# Redis database.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
_TEST_REDIS_DB = 15 - (int(_WORKER) % 8 if _WORKER.isdigit() else 0)
TEST_REDIS_URL = env("TEST_REDIS_URL", default=f"redis://127.0.0.1:6379/{_TEST_REDIS_DB}")
CACHES["default"]["LOCATION"] = TEST_REDIS_URL
CACHES["default"]["KEY_PREFIX"] = "helpdesk-test"
CELERY_BROKER_URL = TEST_REDIS_URL
CELERY_TASK_ALWAYS_EAGER = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Static files come straight from the apps (no collectstatic) outside production.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Tests start their webhook receivers on 127.0.0.1.
WEBHOOKS_ALLOW_PRIVATE_TARGETS = env.bool("WEBHOOKS_ALLOW_PRIVATE_TARGETS", default=True)
