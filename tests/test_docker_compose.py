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


def test_it_defines_the_services() -> None:
    assert set(load()["services"]) == {"postgres", "redis", "migrate", "web", "worker", "beat"}


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
        assert env["DATABASE_URL"].startswith("postgresql://pa_app:")
        assert env["DATABASE_URL"].endswith("@postgres:5432/pa_portal")
        assert "DATABASE_APP_ROLE" not in env
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert "SECRET_KEY" in env
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
        assert services[name]["build"] == "."
    assert (ROOT / "Dockerfile").is_file()


def test_it_migrates_as_the_owner_and_runs_the_app_as_the_application_role() -> None:
    data = load()
    services = data["services"]
    migrate = services["migrate"]
    assert command_text(migrate) == "python manage.py migrate --noinput"
    assert migrate["environment"]["DATABASE_URL"].startswith("postgresql://pa_owner:")
    assert migrate["environment"]["DATABASE_APP_ROLE"] == "pa_app"
    assert migrate["restart"] == "no"
    # Only the one-shot migrate service knows the owner's password.
    for name in ("web", "worker", "beat"):
        assert "pa_owner" not in str(services[name]), name
        assert "PA_OWNER_PASSWORD" not in str(services[name]), name
    # The image's superuser is not the portal's: its init script creates the two roles.
    postgres = services["postgres"]
    assert postgres["environment"]["POSTGRES_USER"] == "postgres"
    init = ROOT / "docker" / "postgres-init-roles.sh"
    assert any(v.startswith("./docker/postgres-init-roles.sh:/docker-entrypoint-initdb.d/")
               for v in postgres["volumes"])  # fmt: skip
    script = init.read_text()
    for statement in (
        "CREATE ROLE pa_owner LOGIN PASSWORD :'owner_password' NOSUPERUSER",
        "CREATE ROLE pa_app LOGIN PASSWORD :'app_password' NOSUPERUSER",
        "CREATE DATABASE pa_portal OWNER pa_owner",
    ):
        assert statement in script


def test_its_commands_name_modules_that_exist() -> None:
    services = load()["services"]
    web = command_text(services["web"])
    assert "migrate" not in web
    assert "gunicorn pa_portal.wsgi:application" in web
    assert hasattr(importlib.import_module("pa_portal.wsgi"), "application")
    assert command_text(services["worker"]).startswith("celery -A pa_portal worker")
    assert command_text(services["beat"]).startswith("celery -A pa_portal beat")
    assert hasattr(importlib.import_module("pa_portal"), "celery_app")
