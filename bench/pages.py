"""Server-side latency and SQL query counts of the busy pages, in-process.

Each page is requested through Django's test Client (the whole middleware stack, sessions,
templates; no network), a few times to warm up, then `iterations` times with
time.perf_counter; its queries are counted once more with CaptureQueriesContext. The
parameters vary between requests (other cases, clinics, filters), so no single row stays hot.
"""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.contrib.admin import ModelAdmin
from django.contrib.admin import site as admin_site
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Organization, Role, User
from accounts.tokens import issue_token
from accounts.two_factor import needs_second_factor
from reviews.demo import approvable_facts
from reviews.models import Case, Status
from reviews.selectors import QUEUE_PAGE_SIZE

GOAL_P95_MS = 100.0
ADMIN_DEFAULT_ROWS = ModelAdmin.list_per_page  # the changelist as Django ships it
WARMUP = 5
Call = Callable[[int], Any]  # the test client's response


@dataclass(frozen=True)
class PageResult:
    name: str
    url: str
    p50_ms: float
    p95_ms: float
    max_ms: float
    queries: int
    requests: int

    @property
    def meets_goal(self) -> bool:
        return self.p95_ms < GOAL_P95_MS


@dataclass(frozen=True)
class Page:
    name: str
    example: str
    call: Call
    expect: int = 200


def signed_in(user: User) -> Client:
    """A client logged in as user, with payer staff's second factor verified (as the portal's
    own tests do in tests/conftest.py)."""
    client = Client()
    client.force_login(user)
    if needs_second_factor(user):
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        assert device is not None, f"{user} has no authenticator"
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def percentile(values: list[float], pct: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


def measure(page: Page, iterations: int) -> PageResult:
    for i in range(WARMUP):
        _check(page, page.call(i))
    timings = []
    for i in range(iterations):
        start = time.perf_counter()
        response = page.call(WARMUP + i)
        timings.append((time.perf_counter() - start) * 1000)
        _check(page, response)
    with CaptureQueriesContext(connection) as queries:
        _check(page, page.call(WARMUP + iterations))
    return PageResult(
        name=page.name,
        url=page.example,
        p50_ms=percentile(timings, 50),
        p95_ms=percentile(timings, 95),
        max_ms=max(timings),
        queries=len(queries.captured_queries),
        requests=iterations,
    )


def _check(page: Page, response: Any) -> None:
    if response.status_code != page.expect:
        raise RuntimeError(f"{page.name}: HTTP {response.status_code}, expected {page.expect}")


def spread(values: Any, n: int) -> list[Any]:
    """n values evenly spread over the whole table (old and new rows alike), the same each run."""
    every = list(values.order_by("pk"))
    return every[:: max(1, len(every) // n)][:n]


def _cycle(items: list[Any]) -> Callable[[int], Any]:
    return lambda i: items[i % len(items)]


# --- the pages ---------------------------------------------------------------------------------


def _user(username: str) -> User:
    return User.objects.get(username=username)


def _busiest_clinics(n: int) -> list[Organization]:
    return list(Organization.objects.annotate(n=Count("cases")).order_by("-n")[:n])


def reviewer_pages() -> list[Page]:
    client = signed_in(_user("pharm01"))
    clinics = [o.pk for o in _busiest_clinics(10)]
    clinic = _cycle(clinics)
    cases = spread(Case.objects.exclude(status=Status.DRAFT).values_list("pk", flat=True), 200)
    case = _cycle(cases)
    open_cases = Case.objects.filter(status__in=["submitted", "pended"], assigned_to=None)
    members = spread(open_cases.values_list("member_id", flat=True), 50)
    member = _cycle([m.lower() for m in members])
    sorts = _cycle(["due", "-due", "urgency", "clinic", "status", "-submitted"])
    return [
        Page("Reviewer queue: first page", "/review/", lambda i: client.get("/review/")),
        Page(
            "Reviewer queue: expedited at one clinic, by due time",
            f"/review/?urgency=expedited&clinic={clinics[0]}&sort=due",
            lambda i: client.get(
                "/review/", {"urgency": "expedited", "clinic": clinic(i), "sort": "due"}
            ),
        ),
        Page(
            "Reviewer queue: due soon, unassigned",
            "/review/?due=soon&scope=unassigned",
            lambda i: client.get("/review/", {"due": "soon", "scope": "unassigned"}),
        ),
        Page(
            "Reviewer queue: page 20, each sort in turn",
            "/review/?sort=-due&page=20",
            lambda i: client.get("/review/", {"sort": sorts(i), "page": 20}),
        ),
        Page(
            "Reviewer queue: search by member ID",
            f"/review/?q={members[0]}",
            lambda i: client.get("/review/", {"q": member(i)}),
        ),
        Page(
            "Reviewer case page",
            f"/review/cases/{cases[0]}/",
            lambda i: client.get(f"/review/cases/{case(i)}/"),
        ),
    ]


def queue_versus_admin() -> list[tuple[Page, Page]]:
    """The queue and the Django admin's changelist of the same cases, the same filter and the
    same order (due time): submitted cases are all unassigned, so both list the same rows. The
    admin as it ships shows 100 rows a page, the queue 25; the last pair sets the admin to 25
    too, so the two pages hold exactly the same cases."""
    reviewer = signed_in(_user("pharm01"))
    admin = signed_in(_user("admin"))
    # The changelist's ?o= is a 0-based position in list_display (CaseAdmin has no actions, so
    # no checkbox column comes first); tests/bench/test_run.py checks both list the same cases.
    due_column = list(admin_site._registry[Case].list_display).index("due_at")
    submitted = ({"status": "submitted"}, {"status__exact": "submitted"})
    expedited = (
        {"status": "submitted", "urgency": "expedited"},
        {"status__exact": "submitted", "urgency__exact": "expedited"},
    )
    pairs = []
    for label, (queue_filter, admin_filter), admin_rows in (
        ("submitted", submitted, ADMIN_DEFAULT_ROWS),
        ("submitted, expedited", expedited, ADMIN_DEFAULT_ROWS),
        ("submitted", submitted, QUEUE_PAGE_SIZE),
    ):
        queue_query = {**queue_filter, "sort": "due"}
        admin_query = {**admin_filter, "o": str(due_column)}
        name = f"{label}, by due time; admin {admin_rows} rows a page"
        pairs.append(
            (
                Page(
                    f"Queue: {name}",
                    "/review/?" + _qs(queue_query),
                    lambda i, q=queue_query: reviewer.get("/review/", q),  # type: ignore[misc]
                ),
                Page(
                    f"Admin changelist: {name}",
                    "/admin/reviews/case/?" + _qs(admin_query),
                    lambda i, q=admin_query, n=admin_rows: _admin_changelist(admin, q, n),  # type: ignore[misc]
                ),
            )
        )
    return pairs


def _admin_changelist(client: Client, query: dict[str, str], rows: int) -> Any:
    """GET the case changelist with `rows` cases a page (CaseAdmin keeps the admin's default)."""
    case_admin = admin_site._registry[Case]
    shipped = case_admin.list_per_page
    case_admin.list_per_page = rows  # type: ignore[misc]  # this instance only, for the bench
    try:
        return client.get("/admin/reviews/case/", query)
    finally:
        case_admin.list_per_page = shipped  # type: ignore[misc]


def _qs(query: dict[str, str]) -> str:
    return "&".join(f"{k}={v}" for k, v in query.items())


def clinic_pages() -> list[Page]:
    busiest = _busiest_clinics(10)
    staff = [User.objects.filter(organization=o, role=Role.PRESCRIBER).first() for o in busiest]
    clients = [signed_in(u) for u in staff if u is not None]
    client = _cycle(clients)
    tab = _cycle(["open", "all", "closed", "drafts"])
    return [
        Page(
            "Clinic request list (open tab, ten busiest clinics)",
            "/clinic/",
            lambda i: client(i).get("/clinic/"),
        ),
        Page(
            "Clinic request list (every tab, page 3)",
            "/clinic/?show=all&page=3",
            lambda i: client(i).get("/clinic/", {"show": tab(i), "page": 3}),
        ),
    ]


def audit_pages() -> list[Page]:
    client = signed_in(_user("auditor1"))
    today = timezone.localdate()
    month_ago = (today - timedelta(days=30)).isoformat()
    year_ago = (today - timedelta(days=365)).isoformat()
    clinics = [o.pk for o in _busiest_clinics(10)]
    references = spread(Case.objects.values_list("reference", flat=True), 100)
    users = _cycle([f"pharm{n:02d}" for n in range(1, 21)] + ["clinic01-a", "director2"])
    return [
        Page("Audit log: newest first", "/audit/", lambda i: client.get("/audit/")),
        Page(
            "Audit log: one user's rows",
            "/audit/?user=pharm01",
            lambda i: client.get("/audit/", {"user": users(i)}),
        ),
        Page(
            "Audit log: one case's rows",
            f"/audit/?case={references[0]}",
            lambda i: client.get("/audit/", {"case": references[i % len(references)]}),
        ),
        Page(
            "Audit log: a clinic's case actions, last 30 days",
            f"/audit/?clinic={clinics[0]}&action=case.*&date_from={month_ago}",
            lambda i: client.get(
                "/audit/",
                {
                    "clinic": str(clinics[i % len(clinics)]),
                    "action": "case.*",
                    "date_from": month_ago,
                },
            ),
        ),
        Page(
            "Audit log: page 50 of sign-ins",
            "/audit/?action=auth.login&page=50",
            lambda i: client.get("/audit/", {"action": "auth.login", "page": "50"}),
        ),
        Page("Metrics: last 30 days", "/audit/metrics/", lambda i: client.get("/audit/metrics/")),
        Page(
            "Metrics: last 365 days",
            f"/audit/metrics/?date_from={year_ago}",
            lambda i: client.get("/audit/metrics/", {"date_from": year_ago}),
        ),
        Page(
            "Metrics: one clinic, last 365 days",
            f"/audit/metrics/?date_from={year_ago}&clinic={clinics[0]}",
            lambda i: client.get(
                "/audit/metrics/", {"date_from": year_ago, "clinic": str(clinics[i % len(clinics)])}
            ),
        ),
    ]


def submission_body(member_id: str) -> dict[str, Any]:
    """An API create-and-submit for a new patient whose facts meet every line, with what an
    approval needs (issue 16); each member its own last name, as bench/load.py's (two members
    of one name and birth date would be a possible same person, held for an identity ruling)."""
    return {
        "patient": {
            "member_id": member_id,
            "first_name": "Load",
            "last_name": f"Test {member_id}",
            "date_of_birth": "1985-06-15",
            "sex_assigned_at_birth": "male",
        },
        "facts": approvable_facts(),
        "prescriber_name": "Dr. Bench Mark",
        "prescriber_npi": "1234567893",
        "body_weight_kg": "81.2",
        "planned_infusion_date": (date.today() + timedelta(days=30)).isoformat(),
    }


def api_page() -> Page:
    user = User.objects.filter(role=Role.PRESCRIBER).order_by("username").first()
    assert user is not None, "the generator makes clinic staff"
    _, token = issue_token(user, "bench pages")
    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    run = uuid.uuid4().hex[:8]

    def submit(i: int) -> Any:
        body = submission_body(f"BENCH-{run}-{i}")
        headers = {"Idempotency-Key": f"{run}-{i}"}
        return client.post("/api/cases/", body, content_type="application/json", headers=headers)

    return Page("API: create and submit (with evaluation)", "POST /api/cases/", submit, 201)
