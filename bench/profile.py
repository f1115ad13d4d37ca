"""Where a hot request's time goes: python bench/profile.py [--requests 300] [--cases 100000]

Profiles the four hot paths of issue 20 in-process (Django's test Client: the whole middleware
stack, sessions, templates; no network), on the benchmark's data set (bench/run.py generates it;
this reuses it, or generates it when there is none of that size):

  queue         GET /review/                    as a pharmacist (second factor verified)
  case page     GET /review/cases/<id>/         200 cases in turn
  clinic list   GET /clinic/                    the ten busiest clinics' staff in turn
  api submit    POST /api/cases/                create and submit, Token auth, a new patient each
  claim and approve  POST .../claim/ then .../approve/  a pharmacist on a request made beforehand

Each path is warmed up, then sampled with pyinstrument (wall clock, 1 ms) over --requests
requests. The report gives milliseconds per request by *area* (the self time of every sampled
frame, attributed by the file it runs in: Django's template engine, forms, the ORM, the database
driver and its wait, DRF, the policy engine, middleware and sessions, ...) and the heaviest
functions by inclusive time. Results: bench/profiles/<path>.txt and bench/profiles/summary.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import stack  # noqa: E402
from pa_portal.devstack import log  # noqa: E402

OUT = ROOT / "bench" / "profiles"
WARMUP = 20
DECIDED: list[int] = []  # the cases "claim and approve" decides

# (area, path fragments): the first area whose fragment is in a frame's file path owns its self
# time. Order matters: project template tags before "project code", Django's parts before Django.
AREAS: list[tuple[str, tuple[str, ...]]] = [
    ("templates", ("/django/template/", "/django/templatetags/", "templatetags/", "crispy_")),
    ("forms", ("/django/forms/",)),
    ("DRF (serializers, views)", ("/rest_framework/",)),
    ("SQL: driver and wait", ("/psycopg", "/django/db/backends/")),
    ("ORM (query building, rows)", ("/django/db/",)),
    ("policy engine (criteria/)", ("/criteria/",)),
    (
        "middleware, sessions, auth",
        (
            "/django/middleware/",
            "/django/contrib/sessions/",
            "/django/contrib/auth/",
            "/django/contrib/messages/",
            "/django_otp/",
            "/axes/",
            "/pa_portal/middleware",
            "/accounts/",
            "/django/core/signing",
        ),
    ),
    ("URL resolve and reverse", ("/django/urls/",)),
    ("request and response handling", ("/django/core/handlers/", "/django/http/", "/django/test/")),
    ("JSON and FHIR libraries", ("/json/", "/fhir", "/pydantic")),
    ("audit log", ("/audit/",)),
    ("project code", ("/reviews/", "/notifications/", "/oversight/", "/pas/", "/pa_portal/")),
    ("other Django", ("/django/",)),
    ("Python and other libraries", ("",)),
]


def area_of(path: str) -> str:
    for area, fragments in AREAS:
        if any(fragment in path for fragment in fragments):
            return area
    return AREAS[-1][0]


def by_area(root: Any) -> dict[str, float]:
    """Seconds of self time per area over the whole frame tree."""
    totals: dict[str, float] = defaultdict(float)
    stack_ = [(root, "")]
    while stack_:
        frame, parent_path = stack_.pop()
        # pyinstrument keeps a function's own time in a synthetic "[self]" child, which has no
        # file: it belongs to its parent's. Only leaves hold time of their own.
        path = parent_path if frame.is_synthetic else (frame.file_path or "")
        if not frame.children:
            totals[area_of(path)] += frame.time
        stack_.extend((child, path) for child in frame.children)
    return totals


def hottest(root: Any, limit: int) -> list[tuple[float, str]]:
    """Self time per function (leaf time, as by_area counts it)."""
    totals: dict[str, float] = defaultdict(float)
    stack_ = [(root, "?")]
    while stack_:
        frame, parent_key = stack_.pop()
        key = parent_key if frame.is_synthetic else f"{frame.function} ({frame.file_path_short})"
        if not frame.children:
            totals[key] += frame.time
        stack_.extend((child, key) for child in frame.children)
    return sorted(((t, k) for k, t in totals.items()), reverse=True)[:limit]


def heaviest(root: Any, limit: int) -> list[tuple[float, str]]:
    """Inclusive seconds per function (counted once per stack, so recursion is not doubled)."""
    totals: dict[str, float] = defaultdict(float)

    def walk(frame: Any, seen: frozenset[str]) -> None:
        key = f"{frame.function} ({frame.file_path_short}:{frame.line_no})"
        if key not in seen:
            totals[key] += frame.time
            seen = seen | {key}
        for child in frame.children:
            walk(child, seen)

    walk(root, frozenset())
    # The frames every request passes through (test client, handlers, middleware, the view
    # itself) hold nearly all of the time; what is under them says where it goes.
    below = [(t, k) for k, t in totals.items() if t < 0.7 * root.time and "[self]" not in k]
    return sorted(below, reverse=True)[:limit]


def paths(requests: int) -> dict[str, Callable[[int], Any]]:
    import uuid

    from django.test import Client

    from accounts.models import Role, User
    from accounts.tokens import issue_token
    from bench.pages import _busiest_clinics, signed_in, spread, submission_body
    from reviews.models import Case, Status

    reviewer = signed_in(User.objects.get(username="pharm01"))
    # Not a request withdrawn before it was submitted: revisions before 86ceebd answered 500 there.
    submitted = Case.objects.exclude(status=Status.DRAFT).exclude(policy_id="")
    cases = spread(submitted.values_list("pk", flat=True), 200)
    staff = [
        User.objects.filter(organization=o, role=Role.PRESCRIBER).first()
        for o in _busiest_clinics(10)
    ]
    clinics = [signed_in(u) for u in staff if u is not None]
    token_user = User.objects.filter(role=Role.PRESCRIBER).order_by("username").first()
    assert token_user is not None
    _, token = issue_token(token_user, "bench profile")
    api = Client(HTTP_AUTHORIZATION=f"Token {token}")
    run = uuid.uuid4().hex[:8]

    def submit(i: int) -> Any:
        return api.post(
            "/api/cases/",
            submission_body(f"PROF-{run}-{i}"),
            content_type="application/json",
            headers={"Idempotency-Key": f"prof-{run}-{i}"},
        )

    decider = signed_in(User.objects.get(username="pharm02"))

    # Requests made through the API beforehand (with what an approval needs), so the profile
    # holds the claim and the approval only; each is checked approved afterwards (a refusal
    # also answers 302).
    def claim_and_approve(i: int) -> Any:
        """The load test's reviewer: a new request claimed, then approved (two POSTs)."""
        if not DECIDED:  # the first warm-up call
            DECIDED.extend(submit(10**6 + n).json()["id"] for n in range(WARMUP + 2 * requests))
        pk = DECIDED[i]
        decider.post(f"/review/cases/{pk}/claim/")
        approved = decider.post(f"/review/cases/{pk}/approve/", {"approve-reason": "Meets policy"})
        # The next page a reviewer opens shows the two messages and drops them; this client
        # follows no redirect, so it drops them itself (they would pile up in its cookie).
        decider.cookies.pop("messages", None)
        return approved

    return {
        "queue": lambda i: reviewer.get("/review/"),
        "case page": lambda i: reviewer.get(f"/review/cases/{cases[i % len(cases)]}/"),
        "clinic list": lambda i: clinics[i % len(clinics)].get("/clinic/"),
        "api submit": submit,
        "claim and approve": claim_and_approve,
    }


def profile(name: str, call: Callable[[int], Any], requests: int) -> dict[str, Any]:
    from pyinstrument import Profiler

    for i in range(WARMUP):
        _expect(name, call(i))
    started = time.perf_counter()
    for i in range(requests):
        call(WARMUP + i)
    plain_ms = (time.perf_counter() - started) * 1000 / requests
    profiler = Profiler(interval=0.001)
    profiler.start()
    for i in range(requests):
        _expect(name, call(WARMUP + requests + i))
    profiler.stop()
    session = profiler.last_session
    assert session is not None
    root = session.root_frame()
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{name.replace(' ', '-')}.txt").write_text(
        profiler.output_text(unicode=True, color=False, show_all=False)
    )
    per_request = {a: s * 1000 / requests for a, s in by_area(root).items()}
    return {
        "name": name,
        "ms_per_request": plain_ms,
        "areas": dict(sorted(per_request.items(), key=lambda kv: -kv[1])),
        "heaviest": [(t * 1000 / requests, k) for t, k in heaviest(root, 25)],
        "hottest": [(t * 1000 / requests, k) for t, k in hottest(root, 20)],
    }


def _check_decided() -> None:
    from reviews.models import Case, Status

    approved = Case.objects.filter(pk__in=DECIDED, status=Status.APPROVED).count()
    if approved != len(DECIDED):
        raise RuntimeError(f"claim and approve: {approved} of {len(DECIDED)} cases approved")


def _expect(name: str, response: Any) -> None:
    if response.status_code not in (200, 201, 302):
        raise RuntimeError(f"{name}: HTTP {response.status_code}")


def report(results: list[dict[str, Any]]) -> str:
    lines = ["| area | " + " | ".join(r["name"] for r in results) + " |"]
    lines.append("|---|" + "---:|" * len(results))
    areas = sorted(
        {a for r in results for a in r["areas"]}, key=lambda a: [x for x, _ in AREAS].index(a)
    )
    for area in areas:
        cells = [f"{r['areas'].get(area, 0):.2f}" for r in results]
        lines.append(f"| {area} | " + " | ".join(cells) + " |")
    lines.append(
        "| **unprofiled ms per request** | "
        + " | ".join(f"**{r['ms_per_request']:.1f}**" for r in results)
        + " |"
    )
    out = ["## ms per request by area (pyinstrument self time)", "", *lines, ""]
    for r in results:
        out += [f"### {r['name']}: heaviest functions (inclusive ms per request)", ""]
        out += [f"- {ms:.2f} ms `{key}`" for ms, key in r["heaviest"]]
        out += ["", f"### {r['name']}: hottest functions (self ms per request)", ""]
        out += [f"- {ms:.2f} ms `{key}`" for ms, key in r["hottest"]]
        out.append("")
    return "\n".join(out)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench/profile.py", description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--only", action="append", help="profile only this path (repeatable)")
    args = parser.parse_args(argv)
    with ExitStack() as servers:
        pg = stack.start(servers)
        from bench.run import prepare, use_working_copy

        prepare(pg, argparse.Namespace(cases=args.cases, reuse=True))
        use_working_copy(pg)
        results = []
        for name, call in paths(args.requests).items():
            if args.only and name not in args.only:
                continue
            results.append(profile(name, call, args.requests))
            log(f"{name}: {results[-1]['ms_per_request']:.1f} ms a request unprofiled")
        _check_decided()
        text = report(results)
        (OUT / "summary.md").write_text(f"load average before: {os.getloadavg()[0]:.2f}\n\n{text}")
        print(text)
        from django.db import connection

        connection.close()
        stack.drop_working_copy(pg)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
