"""The one place that reads the process environment (STYLE.md C12)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = frozenset({"1", "true", "yes", "on", "y", "t", "ok"})
_FALSE = frozenset({"0", "false", "no", "off", "n", "f", ""})


class StrictEnv(environ.Env):
    """django-environ, except that a boolean that is neither true nor false is an error, not False."""

    def bool(self, var: str, default: Any = environ.Env.NOTSET) -> bool:  # type: ignore[override]
        raw = self.ENVIRON.get(var)
        if raw is None:
            return super().bool(var, default=default)
        value = raw.strip().lower()
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise ImproperlyConfigured(f"{var}={raw!r} is not a boolean; use true or false.")


env = StrictEnv()
_dotenv = BASE_DIR / ".env"
if _dotenv.exists():
    environ.Env.read_env(str(_dotenv))
