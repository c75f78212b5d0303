"""Production settings refuse unsafe configuration at import. Each case runs in a fresh interpreter."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LONG_RANDOM_KEY = "k3Q9vX2mZp7Lr5Tn8Yw1Bc4Hd6Jf0GsEuAiOqPlMnRb"  # 44 characters


def _run(script: str, **env: str | None) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value for key, value in os.environ.items() if key not in {"SECRET_KEY", "DJANGO_DEBUG"}
    }
    environment["DJANGO_SETTINGS_MODULE"] = "config.settings.does_not_matter"
    for key, value in env.items():
        if value is None:
            environment.pop(key, None)
        else:
            environment[key] = value
    return subprocess.run(  # noqa: S603 - our own interpreter running our own module
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _import_production(**env: str | None) -> subprocess.CompletedProcess[str]:
    return _run("import config.settings.production", **env)


@pytest.mark.parametrize(
    ("_case", "env", "expected_message"),
    [
        (
            "debug on",
            {"DJANGO_DEBUG": "true", "SECRET_KEY": LONG_RANDOM_KEY},
            "DJANGO_DEBUG must be off in production.",
        ),
        (
            "default secret key",
            {"SECRET_KEY": "insecure-dev-key-change-me"},
            "Set SECRET_KEY to a random value of at least 32 characters in production.",
        ),
        (
            "no secret key at all",
            {"SECRET_KEY": None},
            "Set SECRET_KEY to a random value of at least 32 characters in production.",
        ),
        (
            "short secret key",
            {"SECRET_KEY": "x" * 31},
            "Set SECRET_KEY to a random value of at least 32 characters in production.",
        ),
        (
            "empty secret key",
            {"SECRET_KEY": ""},
            "Set SECRET_KEY to a random value of at least 32 characters in production.",
        ),
    ],
)
def test_production_settings_refuse_unsafe_configuration(
    _case: str, env: dict[str, str | None], expected_message: str
) -> None:
    # when
    result = _import_production(**env)

    # then
    assert result.returncode == 1
    assert f"django.core.exceptions.ImproperlyConfigured: {expected_message}" in result.stderr


@pytest.mark.parametrize(("_case", "debug"), [("debug unset", None), ("debug explicitly off", "false")])
def test_production_settings_load_with_a_long_random_key_and_debug_off(_case: str, debug: str | None) -> None:
    # when
    result = _import_production(SECRET_KEY=LONG_RANDOM_KEY, DJANGO_DEBUG=debug)

    # then
    assert (result.returncode, result.stderr) == (0, "")


def test_production_settings_turn_on_secure_cookies() -> None:
    # given
    script = (
        "import config.settings.production as s;"
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.X_FRAME_OPTIONS)"
    )

    # when
    result = _run(script, SECRET_KEY=LONG_RANDOM_KEY)

    # then
    assert (result.stdout.strip(), result.returncode) == ("False True True DENY", 0)


@pytest.mark.parametrize("value", ["maybe", "2", "enabled"])
def test_a_malformed_debug_flag_is_refused_not_read_as_off(value: str) -> None:
    # when
    result = _import_production(SECRET_KEY=LONG_RANDOM_KEY, DJANGO_DEBUG=value)

    # then
    assert result.returncode == 1
    assert (
        f"django.core.exceptions.ImproperlyConfigured: DJANGO_DEBUG='{value}' is not a boolean; use true or false."
        in result.stderr
    )


@pytest.mark.parametrize(
    ("_case", "value"), [("upper case", "TRUE"), ("yes", "yes"), ("one", "1"), ("padded", " on ")]
)
def test_debug_spellings_of_true_are_refused_in_production(_case: str, value: str) -> None:
    # when
    result = _import_production(SECRET_KEY=LONG_RANDOM_KEY, DJANGO_DEBUG=value)

    # then
    assert result.returncode == 1
    assert (
        "django.core.exceptions.ImproperlyConfigured: DJANGO_DEBUG must be off in production."
        in result.stderr
    )
