"""The benchmark's own PostgreSQL and Redis, never the dev or test servers.

PostgreSQL keeps its data in .local/bench-pgdata (git-ignored with the rest of .local/), so a
generated data set survives between runs (`run.py --reuse`); Redis is throwaway.
No Django import here: the environment must name the servers before Django is set up.
"""

from __future__ import annotations

import os
from contextlib import ExitStack
from pathlib import Path

from pa_portal.devstack import LOCAL, Postgres, Redis, free_port, log

PGDATA = LOCAL / "bench-pgdata"
REDIS_DIR = LOCAL / "bench-redis"
DBNAME = "pa_bench"
RUN_DBNAME = "pa_bench_run"

# A payer's database server is tuned beyond PostgreSQL's defaults (128 MB of shared buffers);
# these are modest for the 23 GB machine and apply only to the benchmark's own server.
SERVER_SETTINGS = {
    "shared_buffers": "1GB",
    "max_wal_size": "4GB",
    "effective_cache_size": "4GB",
    # SSD storage (and a data set that fits in memory): a random page costs about a sequential one.
    "random_page_cost": "1.1",
}


def _tune(pg: Postgres) -> bool:
    """ALTER SYSTEM the settings that differ; True if the server must restart to use them."""
    changed = False
    for name, value in SERVER_SETTINGS.items():
        current = pg.server.psql(f"SHOW {name}").split("\n")[2].strip()
        if current != value:
            pg.server.psql(f"ALTER SYSTEM SET {name} = '{value}'")
            changed = True
    return changed


def start_postgres(stack: ExitStack) -> Postgres:
    PGDATA.parent.mkdir(exist_ok=True)
    pg = Postgres(PGDATA, DBNAME)
    if _tune(pg):
        log("restarting the benchmark's PostgreSQL with its settings")
        pg.stop()
        pg.server.ensure_postgres_running()
        pg.url = pg.server.get_uri(DBNAME)
    stack.callback(pg.stop)
    return pg


def drop_database(pg: Postgres) -> Postgres:
    """A fresh, empty benchmark database (the server stays up)."""
    pg.server.psql(f"DROP DATABASE IF EXISTS {DBNAME} WITH (FORCE)")
    return Postgres(PGDATA, DBNAME)


def working_copy(pg: Postgres) -> str:
    """A fresh copy of the generated data set for one run (CREATE DATABASE ... TEMPLATE): what
    the run writes (case views, API submissions under load) lands in the copy, so every run
    measures the same data. Returns the copy's URL, also set as DATABASE_URL for gunicorn."""
    pg.server.psql(f"DROP DATABASE IF EXISTS {RUN_DBNAME} WITH (FORCE)")
    pg.server.psql(f"CREATE DATABASE {RUN_DBNAME} TEMPLATE {DBNAME} STRATEGY FILE_COPY")
    url = pg.server.get_uri(RUN_DBNAME)
    os.environ["DATABASE_URL"] = url
    return url


def drop_working_copy(pg: Postgres) -> None:
    pg.server.psql(f"DROP DATABASE IF EXISTS {RUN_DBNAME} WITH (FORCE)")


def start(stack: ExitStack) -> Postgres:
    """Start both servers and point this process's environment (and Django's) at them."""
    pg = start_postgres(stack)
    redis = Redis(REDIS_DIR, free_port(), persist=False)
    stack.callback(redis.stop)
    os.environ.update(
        DATABASE_URL=pg.url,
        REDIS_URL=redis.url,
        DJANGO_SETTINGS_MODULE="pa_portal.settings",
        PRIVATE_MEDIA_ROOT=str(LOCAL / "bench-documents"),
    )
    os.environ.pop("DJANGO_DEBUG", None)
    log(f"benchmark PostgreSQL at {PGDATA}, Redis at {redis.url}")
    return pg


def project_root() -> Path:
    return LOCAL.parent
