"""API submissions under load: gunicorn (2 sync workers) on 127.0.0.1, threads posting to it.

Bounded twice: by time and by a request budget shared by the threads. Each thread keeps one
HTTP/1.1 connection (as an integration would) and creates-and-submits requests for new patients
with the clinics' API tokens, each with its own Idempotency-Key. Loopback only.
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

from pa_portal.devstack import free_port, http_ok, stop_process, wait_for

from .pages import percentile, submission_body

WORKERS = 2
HOST = "127.0.0.1"


@dataclass(frozen=True)
class LoadResult:
    workers: int
    threads: int
    seconds: float
    requests: int
    errors: int
    rps: float
    p50_ms: float
    p95_ms: float

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def start_gunicorn(root: Path, port: int) -> subprocess.Popen[bytes]:
    """gunicorn on the environment's DATABASE_URL / REDIS_URL (the benchmark's servers)."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "pa_portal.settings"}
    env.pop("DJANGO_DEBUG", None)
    command = [sys.executable, "-m", "gunicorn", "pa_portal.wsgi:application",
               "--workers", str(WORKERS), "--bind", f"{HOST}:{port}", "--log-level", "warning"]  # fmt: skip
    proc = subprocess.Popen(command, cwd=root, env=env, start_new_session=True)
    wait_for(lambda: http_ok(f"http://{HOST}:{port}/healthz"), "gunicorn")
    return proc


class Budget:
    """At most `limit` requests across every thread."""

    def __init__(self, limit: int) -> None:
        self.left = limit
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            self.left -= 1
            return self.left >= 0


class Client(threading.Thread):
    """One integration: submits until the deadline or the shared budget runs out."""

    def __init__(self, port: int, tokens: list[str], deadline: float, budget: Budget) -> None:
        super().__init__(daemon=True)
        self.port, self.tokens, self.deadline, self.budget = port, tokens, deadline, budget
        self.timings: list[float] = []
        self.errors = 0

    def run(self) -> None:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
        while time.monotonic() < self.deadline and self.budget.take():
            key = uuid.uuid4().hex
            body = json.dumps(submission_body(f"LOAD-{key[:16]}"))
            headers = {
                "Authorization": f"Token {self.tokens[hash(key) % len(self.tokens)]}",
                "Content-Type": "application/json",
                "Idempotency-Key": key,
            }
            start = time.perf_counter()
            created = self._post(conn, body, headers)
            self.timings.append((time.perf_counter() - start) * 1000)
            if not created:
                self.errors += 1
                conn.close()  # a fresh connection for the next request
        conn.close()

    @staticmethod
    def _post(conn: http.client.HTTPConnection, body: str, headers: dict[str, str]) -> bool:
        try:
            conn.request("POST", "/api/cases/", body, headers)
            response = conn.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            return False
        return response.status == 201


def _drive(port: int, tokens: list[str], seconds: float, threads: int, limit: int) -> list[Client]:
    deadline = time.monotonic() + seconds
    budget = Budget(limit)
    clients = [Client(port, tokens, deadline, budget) for _ in range(threads)]
    for client in clients:
        client.start()
    for client in clients:
        client.join(seconds + 60)
    return clients


def run_load(
    root: Path, tokens: list[str], seconds: float, threads: int = 4, max_requests: int = 5000
) -> LoadResult:
    port = free_port()
    proc = start_gunicorn(root, port)
    try:
        _drive(port, tokens, 2.0, threads, 40)  # warm-up: each worker loads the app, connects
        started = time.monotonic()
        clients = _drive(port, tokens, seconds, threads, max_requests)
        elapsed = time.monotonic() - started
    finally:
        stop_process("gunicorn", proc, timeout=30)
    timings = [t for c in clients for t in c.timings]
    return LoadResult(
        workers=WORKERS,
        threads=threads,
        seconds=elapsed,
        requests=len(timings),
        errors=sum(c.errors for c in clients),
        rps=len(timings) / elapsed,
        p50_ms=statistics.median(timings),
        p95_ms=percentile(timings, 95),
    )
