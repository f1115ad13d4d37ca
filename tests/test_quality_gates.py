"""CI's quality gates, run as tests so the one test command covers them."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.gates


def run(*command: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=ROOT, env=env or dict(os.environ), capture_output=True, text=True, timeout=600
    )


def test_it_passes_ruff_lint() -> None:
    result = run(str(BIN / "ruff"), "check", "--output-format", "concise", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_it_passes_ruff_format() -> None:
    result = run(str(BIN / "ruff"), "format", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_it_passes_mypy() -> None:
    result = run(str(BIN / "mypy"), ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_it_passes_the_deploy_checks_under_production_settings() -> None:
    env = {**os.environ, "PA_ENV": "production", "SECRET_KEY": secrets.token_urlsafe(50)}
    # The browser tests' relaxation of async safety belongs to this test process, not to a
    # deployment; nor does development's debug mode.
    for name in ("DJANGO_DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        env.pop(name, None)
    result = run(
        sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING", env=env
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_it_has_every_model_change_in_a_migration() -> None:
    result = run(sys.executable, "manage.py", "makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr
