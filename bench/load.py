"""Load test: clinics submitting through the REST API and reviewers deciding in the browser pages,
at the same time, against gunicorn (2 workers) on loopback, for a bounded time. Afterwards it
checks that no decision was lost or doubled: every decided case has exactly one Decision, one
decision event and one audit row, and every approval exactly one authorization.

    .venv/bin/python bench/load.py [--seconds 60] [--clinic-users 25] [--reviewers 25] [--workers 2]
                                   [--statements 25]

--statements N starts its PostgreSQL with pg_stat_statements and ends with the N statements that
took the most of the server's time during the load.

It starts its own throwaway PostgreSQL, Redis and Celery worker (pa_portal/devstack.py); it
sends traffic only to 127.0.0.1 and stops by itself.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.cpu import CpuMeter  # noqa: E402
from pa_portal import devstack  # noqa: E402

CASE_LINK = re.compile(rb'/review/cases/(\d+)/"')


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, dict[int, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: str, seconds: float, status: int) -> None:
        with self.lock:
            self.latencies[name].append(seconds)
            self.statuses[name][status] += 1


class Http:
    """One keep-alive connection per simulated user, like a browser or an API client."""

    def __init__(self, port: int, stats: Stats, headers: dict[str, str]) -> None:
        self.port, self.stats, self.headers = port, stats, headers
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def call(self, name: str, method: str, path: str, body: bytes | None = None,
             content_type: str | None = None) -> tuple[int, bytes]:  # fmt: skip
        headers = dict(self.headers)
        if content_type:
            headers["Content-Type"] = content_type
        started = time.perf_counter()
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            self.stats.add(name, time.perf_counter() - started, 0)
            return 0, b""
        self.stats.add(name, time.perf_counter() - started, response.status)
        return response.status, data


def clinic_user(port: int, token: str, clinic: int, n: int, deadline: float, stats: Stats) -> None:
    from tests.factories import approvable_facts

    api = Http(port, stats, {"Authorization": f"Token {token}", "Accept": "application/json"})
    planned = (date.today() + timedelta(days=30)).isoformat()
    i = 0
    while time.monotonic() < deadline:
        i += 1
        facts = approvable_facts()
        if i % 4 == 0:
            facts["hiv_status"] = "positive_uncontrolled"  # some requests should be denied
        body = {
            "patient": {
                "member_id": f"L{clinic:02d}{n:02d}{i:06d}",
                "first_name": "Load",
                # One person per member: the same name and birth date under two member IDs would
                # be a possible same person, whose approval waits for an identity ruling.
                "last_name": f"Test{clinic}x{n}x{i}",
                "date_of_birth": "1984-02-03",
                "sex_assigned_at_birth": "male",
            },
            "facts": facts,
            # What an approval needs (issue 16): the dose is worked out from the weight.
            "body_weight_kg": "78.5",
            "planned_infusion_date": planned,
            "prescriber_name": "Dr. Load Test",
            "prescriber_npi": "1234567893",
            "urgency": "expedited" if i % 5 == 0 else "standard",
            "expedite_reason": "Bleeding despite prophylaxis" if i % 5 == 0 else "",
        }
        api.call("api submit", "POST", "/api/cases/", json.dumps(body).encode(), "application/json")


def reviewer(port: int, cookie: str, csrf: str, deadline: float, stats: Stats) -> None:
    web = Http(
        port, stats, {"Cookie": cookie, "X-CSRFToken": csrf, "Referer": f"http://127.0.0.1:{port}/"}
    )
    form = "application/x-www-form-urlencoded"
    while time.monotonic() < deadline:
        status, page = web.call("queue", "GET", "/review/?scope=unassigned&sort=due")
        ids = [int(x) for x in CASE_LINK.findall(page)] if status == 200 else []
        if not ids:
            time.sleep(0.2)
            continue
        pk = secrets.choice(ids[:10])  # reviewers crowd the top of the queue: real contention
        web.call("claim", "POST", f"/review/cases/{pk}/claim/", b"", form)
        status, page = web.call("case page", "GET", f"/review/cases/{pk}/")
        if f'action="/review/cases/{pk}/approve/"'.encode() not in page:
            continue  # another reviewer claimed it first: the page offers no decision
        if b'data-criterion="excl_hiv" data-status="not_met"' in page:
            body = (
                b"deny-failed_criteria=excl_hiv&deny-reason=HIV+not+controlled+on+antiviral+therapy"
            )
            web.call("deny", "POST", f"/review/cases/{pk}/deny/", body, form)
        else:
            web.call(
                "approve",
                "POST",
                f"/review/cases/{pk}/approve/",
                b"approve-reason=Meets+policy",
                form,
            )


def password_backend(tree: Path, env: dict[str, str]) -> str:
    """The backend that signs in with a password in the tree being served, as a sign-in would
    name it in the session (its last one; the first only refuses locked-out usernames). Asked of
    that tree, not this one: bench/compare.py serves older trees with this load test."""
    ask = "from django.conf import settings; print(settings.AUTHENTICATION_BACKENDS[-1])"
    command = [sys.executable, "manage.py", "shell", "-v", "0", "-c", ask]
    done = subprocess.run(command, cwd=tree, env=env, check=True, capture_output=True, text=True)
    return done.stdout.strip().splitlines()[-1]


def setup_users(
    clinics: int, per_clinic: int, reviewers: int, backend: str
) -> tuple[list[tuple[str, int, int]], list[tuple[str, str]]]:
    """Clinic staff with API tokens; pharmacists with a verified two-factor session each."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import Organization, Role, User
    from accounts.tokens import issue_token

    staff: list[tuple[str, int, int]] = []
    for c in range(clinics):
        org = Organization.objects.create(name=f"Load clinic {c}", npi=_npi(c))
        for n in range(per_clinic):
            user = User.objects.create_user(
                f"clinic{c}-{n}", role=Role.PRESCRIBER, organization=org
            )
            staff.append((issue_token(user, "load test")[1], c, n))
    sessions: list[tuple[str, str]] = []
    for r in range(reviewers):
        user = User.objects.create_user(f"pharm{r}", role=Role.PHARMACIST, credentials="PharmD")
        device = TOTPDevice.objects.create(user=user, name="load", confirmed=True)
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = backend
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.create()
        csrf = secrets.token_hex(16)
        cookie = f"{settings.SESSION_COOKIE_NAME}={session.session_key}; csrftoken={csrf}"
        sessions.append((cookie, csrf))
    return staff, sessions


def _npi(n: int) -> str:
    from accounts.validators import npi_is_valid

    base = 190000000 + n * 17
    return next(f"{base}{d}" for d in range(10) if npi_is_valid(f"{base}{d}"))


def check_integrity(decisions_sent: int) -> dict[str, int]:
    """Count decisions against events, audit rows and authorizations; raise if any disagree.
    A reviewer posts a decision only on a case it holds, so every one sent must be taken: a
    refusal also answers 302 (back to the case page), and would otherwise pass unnoticed."""
    from django.db.models import Count

    from audit.models import AuditLog
    from reviews.models import Authorization, Case, CaseEvent, Decision, Status

    decided = Case.objects.filter(status__in=[Status.APPROVED, Status.DENIED]).count()
    decisions = Decision.objects.count()
    events = CaseEvent.objects.filter(action__in=["approve", "deny"]).count()
    audit_rows = AuditLog.objects.filter(action__in=["case.approve", "case.deny"]).count()
    approved = Case.objects.filter(status=Status.APPROVED).count()
    authorizations = Authorization.objects.count()
    doubled = (
        CaseEvent.objects.filter(action__in=["approve", "deny"])
        .values("case").annotate(n=Count("id")).filter(n__gt=1).count()
    )  # fmt: skip
    counts = {
        "cases": Case.objects.count(),
        "decided cases": decided,
        "decisions": decisions,
        "decision events": events,
        "decision audit rows": audit_rows,
        "approved": approved,
        "authorizations": authorizations,
        "cases decided twice": doubled,
        "decisions sent (approve or deny answered 302)": decisions_sent,
    }
    assert decided == decisions == events == audit_rows, counts
    assert approved == authorizations and doubled == 0, counts
    assert decided == decisions_sent, counts
    return counts


def transactions() -> str:
    """Commits and rollbacks in the load test's database (a rollback also drops the prepared
    statements of its connection: psycopg deallocates them all)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute(
            "SELECT xact_commit, xact_rollback FROM pg_stat_database"
            " WHERE datname = current_database()"
        )
        commits, rollbacks = cursor.fetchone()
    return f"- transactions: {commits} committed, {rollbacks} rolled back"


def report(stats: Stats, seconds: float, counts: dict[str, int]) -> str:
    lines = [
        "| request | count | per second | p50 ms | p95 ms | statuses |",
        "|---|---|---|---|---|---|",
    ]
    total = 0
    for name, values in sorted(stats.latencies.items()):
        values.sort()
        total += len(values)
        p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(stats.statuses[name].items()))
        lines.append(
            f"| {name} | {len(values)} | {len(values) / seconds:.1f} | "
            f"{statistics.median(values) * 1000:.0f} | {p95 * 1000:.0f} | {statuses} |"
        )
    lines.append(f"| all | {total} | {total / seconds:.1f} | | | |")
    lines.append("")
    lines += [f"- {k}: {v}" for k, v in counts.items()]
    return "\n".join(lines)


def statement_stats(stack: ExitStack, base: Path) -> tuple[devstack.Postgres, dict[str, str]]:
    """--statements: this run's PostgreSQL, restarted with pg_stat_statements loaded (it needs
    shared memory of its own, so only a server start can add it)."""
    pg = devstack.Postgres(base / "pgdata", "pa_portal")
    stack.callback(pg.stop)
    pg.server.psql("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'")
    pg.stop()
    pg.server.ensure_postgres_running()
    pg.server.psql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    env = {"DATABASE_URL": pg.app_url, "DATABASE_OWNER_URL": pg.owner_url}
    return pg, {**env, "PA_PGDATA": str(pg.datadir)}


def top_statements(pg: devstack.Postgres, limit: int) -> str:
    """The statements that took the most of PostgreSQL's time since the load began. Execution time
    is wall time in the server: it counts waits for locks (the audit chain's above all) and, on a
    saturated machine, for a core, as well as work."""
    rows = pg.server.psql(
        "\\pset format unaligned\n\\pset tuples_only on\n"
        "SELECT round(total_exec_time::numeric, 1), calls,"
        " round((100 * total_exec_time / sum(total_exec_time) OVER ())::numeric, 1),"
        " left(regexp_replace(query, '\\s+', ' ', 'g'), 110)"
        f" FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT {int(limit)}"
    )
    lines = ["| server ms | calls | share % | statement |", "|---:|---:|---:|---|"]
    for row in rows.splitlines():
        if row.count("|") < 3:  # psql's notes on the \\pset lines
            continue
        ms, calls, share, query = row.split("|", 3)
        lines.append(f"| {ms} | {calls} | {share} | `{query.replace('|', '/')}` |")
    return "\n".join(lines)


def _postmaster(datadir: Path) -> int:
    """PostgreSQL's first process (its backends are its children), from postmaster.pid."""
    return int((datadir / "postmaster.pid").read_text().split()[0])


def cpu_report(seconds: dict[str, float], elapsed: float, requests: int) -> str:
    """CPU per request by process group: what the two cores were spent on."""
    total = sum(seconds.values())
    lines = [
        "",
        "| process | CPU seconds | cores busy | CPU ms per request |",
        "|---|---:|---:|---:|",
    ]
    for name, used in [*seconds.items(), ("all", total)]:
        lines.append(
            f"| {name} | {used:.1f} | {used / elapsed:.2f} | {used * 1000 / max(1, requests):.1f} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clinics", type=int, default=5)
    parser.add_argument("--clinic-users", type=int, default=25)
    parser.add_argument("--reviewers", type=int, default=25)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn's sync workers")
    parser.add_argument(
        "--tree", type=Path, default=ROOT, help="run the servers from this checkout (compare.py)"
    )
    parser.add_argument("--json", action="store_true", help="end with one JSON line of figures")
    parser.add_argument(
        "--statements", type=int, default=0, help="end with PostgreSQL's N costliest statements"
    )
    args = parser.parse_args()
    tree = args.tree.resolve()
    base = Path(tempfile.mkdtemp(prefix="pa-load-"))
    with ExitStack() as stack:
        env = {**os.environ, "PRIVATE_MEDIA_ROOT": str(base / "documents"), "LOG_LEVEL": "WARNING"}
        env.pop("DATABASE_URL", None)
        env.pop("REDIS_URL", None)
        os.environ.pop("DATABASE_URL", None)
        os.environ.pop("REDIS_URL", None)
        pg = None
        if args.statements:
            pg, server = statement_stats(stack, base)
            os.environ.update(server)  # start_services then starts Redis only
            env.update(server)
        env.update(devstack.start_services(stack, base, persist=False))
        os.environ.update(env)
        owner = devstack.as_owner(env)
        migrate = [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"]
        subprocess.run(migrate, cwd=tree, env=owner, check=True)
        import django

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pa_portal.settings")
        django.setup()
        per_clinic = max(1, args.clinic_users // args.clinics)
        backend = password_backend(tree, owner)
        staff, sessions = setup_users(args.clinics, per_clinic, args.reviewers, backend)
        port = devstack.free_port()
        servers = {
            "gunicorn": [sys.executable, "-m", "gunicorn", "pa_portal.wsgi:application", "-w", str(args.workers),
                         "-b", f"127.0.0.1:{port}", "--log-level", "warning"],
            "worker": [sys.executable, "-m", "celery", "-A", "pa_portal", "worker", "-c", "1",
                       "-l", "warning", "--without-gossip", "--without-mingle"],
        }  # fmt: skip
        pids: dict[str, set[int]] = {}
        for name, command in servers.items():
            proc = subprocess.Popen(command, cwd=tree, env=env, start_new_session=True)
            stack.callback(devstack.stop_process, name, proc, 30)
            pids[name] = {proc.pid}
        devstack.wait_for(lambda: devstack.http_ok(f"http://127.0.0.1:{port}/healthz"), "gunicorn")
        stats = Stats()
        deadline = time.monotonic() + args.seconds
        threads = [
            threading.Thread(target=clinic_user, args=(port, token, c, n, deadline, stats))
            for token, c, n in staff
        ] + [
            threading.Thread(target=reviewer, args=(port, cookie, csrf, deadline, stats))
            for cookie, csrf in sessions
        ]
        print(
            f"==> {len(staff)} clinic users and {len(sessions)} reviewers for {args.seconds:.0f} s"
        )
        meter = CpuMeter(
            {
                f"gunicorn ({args.workers} workers)": pids["gunicorn"],
                "Celery worker": pids["worker"],
                "PostgreSQL": {_postmaster(Path(env["PA_PGDATA"]))},
                "load generator and Redis": {os.getpid()},
            }
        )
        meter.take()
        if pg is not None:
            pg.server.psql("SELECT pg_stat_statements_reset()")
        started = time.monotonic()
        for thread in threads:
            thread.start()
        while any(t.is_alive() for t in threads) and time.monotonic() < deadline + 120:
            time.sleep(0.5)
            meter.take()
        elapsed = time.monotonic() - started
        sent = sum(stats.statuses[name][302] for name in ("approve", "deny"))
        counts = check_integrity(decisions_sent=sent)
        requests = sum(map(len, stats.latencies.values()))
        print(report(stats, elapsed, counts))
        print(transactions())
        print(cpu_report(meter.seconds(), elapsed, requests))
        if pg is not None:
            print(top_statements(pg, args.statements))
        if args.json:
            figures: dict[str, object] = {"requests per second": requests / elapsed}
            for name, values in stats.latencies.items():
                figures[f"{name} per second"] = len(values) / elapsed
            for group, used in meter.seconds().items():
                figures[f"CPU ms per request, {group}"] = used * 1000 / max(1, requests)
            figures["CPU ms per request, all"] = sum(meter.seconds().values()) * 1000 / requests
            figures["integrity"] = [f"{k}: {v}" for k, v in counts.items()]
            print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
