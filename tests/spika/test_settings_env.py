"""Settings come from the environment; helpers fail loudly on bad values (spika/settings.py)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from spika.settings import DEV_SECRET_KEY, env_bool, env_int, env_list

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "raw, expected",
    [("1", True), ("true", True), (" Yes ", True), ("on", True), ("0", False), ("OFF", False)],
)
def test_env_bool_reads_the_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("SPIKA_TEST_FLAG", raw)

    assert env_bool("SPIKA_TEST_FLAG", not expected) is expected


@pytest.mark.parametrize("raw", [None, ""])
def test_env_bool_falls_back_to_the_default_when_unset_or_empty(monkeypatch, raw):
    if raw is None:
        monkeypatch.delenv("SPIKA_TEST_FLAG", raising=False)
    else:
        monkeypatch.setenv("SPIKA_TEST_FLAG", raw)

    assert env_bool("SPIKA_TEST_FLAG", True) is True


@pytest.mark.parametrize("raw", ["maybe", "2", "tru"])
def test_env_bool_refuses_anything_else(monkeypatch, raw):
    monkeypatch.setenv("SPIKA_TEST_FLAG", raw)

    with pytest.raises(ImproperlyConfigured, match="SPIKA_TEST_FLAG must be a boolean"):
        env_bool("SPIKA_TEST_FLAG", False)


def test_env_int_reads_an_integer(monkeypatch):
    monkeypatch.setenv("SPIKA_TEST_NUMBER", "42")

    assert env_int("SPIKA_TEST_NUMBER", 1) == 42


@pytest.mark.parametrize("raw", ["ten", "1.5", "3d"])
def test_env_int_refuses_what_is_not_an_integer(monkeypatch, raw):
    monkeypatch.setenv("SPIKA_TEST_NUMBER", raw)

    with pytest.raises(ImproperlyConfigured, match="SPIKA_TEST_NUMBER must be an integer"):
        env_int("SPIKA_TEST_NUMBER", 1)


def test_env_int_refuses_a_value_under_its_minimum(monkeypatch):
    monkeypatch.setenv("SPIKA_TEST_NUMBER", "0")

    with pytest.raises(ImproperlyConfigured, match="must be at least 1, not 0"):
        env_int("SPIKA_TEST_NUMBER", 5, minimum=1)


def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch):
    monkeypatch.setenv("SPIKA_TEST_LIST", " a.example , b.example,, ")

    assert env_list("SPIKA_TEST_LIST", "") == ["a.example", "b.example"]


def load_settings(**env):
    """Import spika.settings in a fresh interpreter with exactly these variables set."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SPIKA_", "DJANGO_"))}
    for name in ("DEBUG", "SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS"):
        base.pop(name, None)
    code = (
        "import spika.settings as s; "
        "print(s.DEBUG, s.DATABASES['default']['ENGINE'], ','.join(s.ALLOWED_HOSTS))"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_debug_off_refuses_the_public_development_key():
    result = load_settings(DEBUG="0")

    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is the public development key" in result.stderr


def test_debug_off_refuses_the_development_key_even_when_given_explicitly():
    result = load_settings(DEBUG="0", SECRET_KEY=DEV_SECRET_KEY)

    assert result.returncode != 0
    assert "SECRET_KEY is the public development key" in result.stderr


def test_debug_off_with_a_real_key_starts_with_safe_hosts():
    result = load_settings(DEBUG="0", SECRET_KEY="x" * 50)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "django.db.backends.sqlite3",
        "localhost,127.0.0.1,[::1]",
    ]


def test_without_database_url_the_database_is_a_sqlite_file():
    result = load_settings()

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "django.db.backends.sqlite3", "*"]


def test_a_postgres_database_url_selects_postgresql():
    result = load_settings(DATABASE_URL="postgres://u:p@db.example:5432/spika")

    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[1] == "django.db.backends.postgresql"


@pytest.mark.parametrize(
    "env, message",
    [
        ({"DEBUG": "perhaps"}, "DEBUG must be a boolean"),
        ({"SPIKA_TOKEN_LIFETIME_DAYS": "thirty"}, "SPIKA_TOKEN_LIFETIME_DAYS must be an integer"),
        ({"SPIKA_TOKEN_LIFETIME_DAYS": "0"}, "SPIKA_TOKEN_LIFETIME_DAYS must be at least 1"),
        ({"SPIKA_FIXED_VERIFICATION_CODE": "abc"}, "SPIKA_FIXED_VERIFICATION_CODE must be digits"),
        ({"DATA_UPLOAD_MAX_MEMORY_SIZE": "12"}, "DATA_UPLOAD_MAX_MEMORY_SIZE must be at least"),
    ],
)
def test_a_bad_value_stops_the_start(env, message):
    result = load_settings(**env)

    assert result.returncode != 0
    assert message in result.stderr
