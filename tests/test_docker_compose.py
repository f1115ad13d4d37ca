"""docker-compose.yml cannot run here (no Docker engine); check it names a runnable deployment."""

import importlib
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent


def load() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(data, dict)
    return data


def command_text(service: dict[str, Any]) -> str:
    command = service["command"]
    return " ".join(command) if isinstance(command, list) else str(command)


def test_it_defines_the_five_services() -> None:
    assert set(load()["services"]) == {"postgres", "redis", "web", "worker", "beat"}


def test_it_health_checks_the_servers_and_the_web_app() -> None:
    services = load()["services"]
    for name in ("postgres", "redis", "web", "worker"):
        assert services[name]["healthcheck"]["test"], name
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])


def test_it_keeps_data_in_named_volumes() -> None:
    data = load()
    assert {"pgdata", "redisdata", "documents"} <= set(data["volumes"])
    assert any("pgdata:" in v for v in data["services"]["postgres"]["volumes"])


def test_it_runs_the_app_services_on_the_same_settings() -> None:
    services = load()["services"]
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["PA_ENV"] == "production"
        assert env["DATABASE_URL"].startswith("postgresql://")
        assert env["DATABASE_URL"].endswith("@postgres:5432/pa_portal")
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert "SECRET_KEY" in env
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert services[name]["build"] == "."
    assert (ROOT / "Dockerfile").is_file()


def test_its_commands_name_modules_that_exist() -> None:
    services = load()["services"]
    web = command_text(services["web"])
    assert "manage.py migrate" in web
    assert "gunicorn pa_portal.wsgi:application" in web
    assert hasattr(importlib.import_module("pa_portal.wsgi"), "application")
    assert command_text(services["worker"]).startswith("celery -A pa_portal worker")
    assert command_text(services["beat"]).startswith("celery -A pa_portal beat")
    assert hasattr(importlib.import_module("pa_portal"), "celery_app")
