"""One side of bench/compare.py: python bench/compare_worker.py TREE pages|api OPTIONS_JSON

Imports the portal from TREE (another checkout) and measures it against DATABASE_URL and
REDIS_URL; prints one JSON line of figures. Self-contained on purpose: the other checkout's
bench/ may differ from this one.
"""

from __future__ import annotations

import http.client
import importlib.util
import json
import logging
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
import warnings
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TREE = Path(sys.argv[1]).resolve()
sys.path.insert(0, str(TREE))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pa_portal.settings")
warnings.filterwarnings("ignore")


def _load(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"compare_{name}", HERE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def body(member_id: str) -> dict[str, Any]:
    """A create-and-submit that meets every line and carries what an approval needs."""
    from tests.factories import approvable_facts

    return {
        "patient": {
            "member_id": member_id,
            "first_name": "Compare",
            "last_name": f"Run{member_id}",
            "date_of_birth": "1985-06-15",
            "sex_assigned_at_birth": "male",
        },
        "facts": approvable_facts(),
        "prescriber_name": "Dr. Bench Mark",
        "prescriber_npi": "1234567893",
        "body_weight_kg": "81.2",
        "planned_infusion_date": (date.today() + timedelta(days=30)).isoformat(),
    }


def timed(call: Callable[[int], Any], iterations: int, expect: int = 200) -> tuple[float, float]:
    """(p50 wall ms, CPU ms per request) after a warm-up."""
    for i in range(10):
        _check(call(i), expect)
    walls = []
    cpu_start = time.process_time()
    for i in range(iterations):
        start = time.perf_counter()
        _check(call(10 + i), expect)
        walls.append((time.perf_counter() - start) * 1000)
    cpu = (time.process_time() - cpu_start) * 1000 / iterations
    return statistics.median(walls), cpu


def _check(response: Any, expect: int) -> None:
    if response.status_code != expect:
        raise RuntimeError(f"HTTP {response.status_code}, expected {expect}")


def pages(iterations: int) -> dict[str, float]:
    import django

    django.setup()
    logging.getLogger("axes").setLevel(logging.WARNING)
    from django.contrib.admin import site as admin_site
    from django.db.models import Count
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import Organization, Role, User
    from accounts.tokens import issue_token
    from reviews.models import Case, Status

    def signed_in(user: User) -> Client:
        client = Client()
        client.force_login(user)
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is not None:
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()
        return client

    reviewer = signed_in(User.objects.get(username="pharm01"))
    admin = signed_in(User.objects.get(username="admin"))
    case_admin = admin_site._registry[Case]
    case_admin.list_per_page = 25  # type: ignore[misc]  # the queue's page size, this process only
    due = str(list(case_admin.list_display).index("due_at"))
    # The generated cases only (the API adds more each round: the sample must not move), and
    # none withdrawn before it was submitted: the version before 2cd3878's successor answered
    # 500 for those (no policy to group their facts by), which is a bug, not a speed.
    everyone = (
        Case.objects.exclude(status=Status.DRAFT)
        .exclude(policy_id="")
        .filter(pk__lte=100_000)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    cases = list(everyone)[:: max(1, everyone.count() // 200)][:200]
    busiest = Organization.objects.annotate(n=Count("cases")).order_by("-n")[:10]
    clinics = [
        signed_in(u)
        for o in busiest
        if (u := User.objects.filter(organization=o, role=Role.PRESCRIBER).first())
    ]
    user = User.objects.filter(role=Role.PRESCRIBER).order_by("username").first()
    assert user is not None
    api = Client(HTTP_AUTHORIZATION=f"Token {issue_token(user, 'compare')[1]}")
    run = uuid.uuid4().hex[:8]
    figures: dict[str, float] = {}
    for name, call, expect in (
        ("queue", lambda i: reviewer.get("/review/", {"status": "submitted", "sort": "due"}), 200),
        (
            "admin changelist",
            lambda i: admin.get("/admin/reviews/case/", {"status__exact": "submitted", "o": due}),
            200,
        ),
        ("case page", lambda i: reviewer.get(f"/review/cases/{cases[i % len(cases)]}/"), 200),
        ("clinic list", lambda i: clinics[i % len(clinics)].get("/clinic/"), 200),
        (
            "API create and submit",
            lambda i: api.post(
                "/api/cases/",
                body(f"C{run}{i}"),
                content_type="application/json",
                headers={"Idempotency-Key": f"{run}-{i}"},
            ),
            201,
        ),
    ):
        p50, cpu = timed(call, iterations, expect)
        figures[f"{name} p50 ms"] = p50
        figures[f"{name} CPU ms"] = cpu
    figures["admin ÷ queue, p50"] = figures["admin changelist p50 ms"] / figures["queue p50 ms"]
    figures["admin ÷ queue, CPU"] = figures["admin changelist CPU ms"] / figures["queue CPU ms"]
    return figures


def api(seconds: float) -> dict[str, float]:
    """Create-and-submit through gunicorn (2 sync workers) from 4 client threads."""
    import django

    django.setup()
    from django.db import connection

    from accounts.models import Role, User
    from accounts.tokens import issue_token
    from pa_portal.devstack import free_port, http_ok, stop_process, wait_for

    staff = User.objects.filter(role=Role.PRESCRIBER).order_by("pk")[:20]
    tokens = [issue_token(u, "compare api")[1] for u in staff]
    connection.close()
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "pa_portal.wsgi:application", "--workers", "2",
               "--bind", f"127.0.0.1:{port}", "--log-level", "warning"]  # fmt: skip
    env = {**os.environ, "LOG_LEVEL": "WARNING"}
    meter_type = _load("cpu").CpuMeter
    # Not our stdout: compare.py reads it to its end, which gunicorn would hold open.
    proc = subprocess.Popen(
        command, cwd=TREE, env=env, start_new_session=True, stdout=subprocess.DEVNULL
    )
    meter = meter_type({"gunicorn": {proc.pid}})
    try:
        wait_for(lambda: http_ok(f"http://127.0.0.1:{port}/healthz"), "gunicorn")
        _drive(port, tokens, 2.0)  # warm-up: each worker loads the app and connects
        meter.take()
        started = time.monotonic()
        timings, errors = _drive(port, tokens, seconds)
        elapsed = time.monotonic() - started
        meter.take()
    finally:
        stop_process("gunicorn", proc, 30)
    return {
        "submissions per second": len(timings) / elapsed,
        "p50 ms": statistics.median(timings),
        "gunicorn CPU ms per submission": meter.seconds()["gunicorn"] * 1000 / len(timings),
        "errors": errors,
    }


def _drive(port: int, tokens: list[str], seconds: float) -> tuple[list[float], int]:
    deadline = time.monotonic() + seconds
    timings: list[float] = []
    errors = [0]
    lock = threading.Lock()
    run = uuid.uuid4().hex[:8]

    def client(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        i = 0
        while time.monotonic() < deadline:
            i += 1
            payload = json.dumps(body(f"A{run}{n}x{i}")).encode()
            headers = {
                "Authorization": f"Token {tokens[(n + i) % len(tokens)]}",
                "Content-Type": "application/json",
                "Idempotency-Key": f"{run}-{n}-{i}",
            }
            start = time.perf_counter()
            conn.request("POST", "/api/cases/", body=payload, headers=headers)
            response = conn.getresponse()
            response.read()
            with lock:
                if response.status == 201:
                    timings.append((time.perf_counter() - start) * 1000)
                else:
                    errors[0] += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 60)
    return timings, errors[0]


if __name__ == "__main__":
    options = json.loads(sys.argv[3])
    if sys.argv[2] == "pages":
        print(json.dumps(pages(**options)))
    else:
        print(json.dumps(api(**options)))
