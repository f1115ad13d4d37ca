"""Each busy page reads in the same few queries with 3 rows on it or 30: no query per row.

Functional, not timing: the speed itself is measured by bench/run.py on 100,000 cases. Every
test runs twice (the `cases` fixture), with a small and a ten times larger data set, against one
ceiling per page.
"""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import Role, User
from audit.models import AuditLog
from reviews import services, tasks
from reviews.models import Case
from tests.conftest import client_for
from tests.factories import approvable_facts, make_case
from tests.reviews.api.conftest import api_for, new_request

pytestmark = pytest.mark.django_db

# The ceilings: what each page needs today (session, user, second factor, the page's own reads,
# the session's save); a query per row would break them at 30 rows. Issue 17: every page counts
# its user's unread notifications for the badge (one query); the metrics add the SLA alerts and
# the appeals (one query each).
QUEUE = 10  # issue 20: the page's rows in one query, the clinics without models (13 before)
CASE_PAGE = 17  # issue 14: + the possible-same-person look-up; issue 16: + internal notes, + the
# approve panel's operating rules (what the approval still needs); issue 20: the rules read once
# a request, the documents once (21 -> 19), the decision and authorization with the case (-> 17)
CLINIC_LIST = 9
AUDIT_LOG = 11
AUDIT_LOG_BY_CLINIC = 12
METRICS = 14  # issue 20: + the period's plan setting, and putting it back (a test runs in a
# transaction; a request, in none, needs the one)
API_SUBMIT = 12  # issue 14: the one intake path (36 before it); issue 20: 19 -> 12
# An approval from the case page, to its commit (the outbox's relays follow it): issue 20, 40 -> 36
# (the identity rulings, the rulings on lines and the approvals on file each read once).
APPROVE = 29  # issue 20: the patient read with the lock, the holder not read again, no savepoints
# around the authorization and the subscriptions, the clinic taken from the event's case (36 before)
API_LIST = 3
ADMIN_CHANGELIST = 11
# The worker's determination letter, to its commit: the decision, the plan's rules and the
# authorization read; the letter saved; its event; the clinic's notifications; one INSERT of all
# their audit rows (issue 20: an INSERT per row before, 13 statements for a clinic of one, 18 for
# a clinic of six).
LETTER = 12

AssertMax = Callable[[int], Any]


def build(size: int, riverside: User, lakeside: User, pharmacist: User) -> list[Case]:
    """`size` cases at two clinics in every queue state: submitted, claimed, pended, decided."""
    cases = []
    for index in range(size):
        clinic = riverside if index % 2 else lakeside
        case = make_case(clinic, urgency="expedited" if index % 3 == 0 else "standard")
        kind = index % 4
        if kind:
            case = services.case_claim(actor=pharmacist, case=case)
        if kind == 2:
            case = services.case_pend(actor=pharmacist, case=case, items=["Elastography report"])
        if kind == 3:
            services.case_approve(actor=pharmacist, case=case)
        cases.append(case)
    return cases


@pytest.fixture(params=[3, 30], ids=["3 cases", "30 cases"])
def cases(
    request: pytest.FixtureRequest, riverside: User, lakeside: User, pharmacist: User
) -> list[Case]:
    """Every test using it runs twice: with a small data set and a ten times larger one."""
    return build(request.param, riverside, lakeside, pharmacist)


def rows(response: Any) -> int:
    assert response.status_code == 200
    return len(response.context["page"].object_list)


@pytest.mark.parametrize(
    "query",
    [{}, {"sort": "clinic"}, {"sort": "-submitted", "urgency": "standard"}, {"scope": "mine"}],
)
def test_it_reads_the_reviewer_queue_in_the_same_queries(
    cases: list[Case],
    query: dict[str, str],
    pharmacist: User,
    django_assert_max_num_queries: AssertMax,
) -> None:
    client = client_for(pharmacist)
    with django_assert_max_num_queries(QUEUE):
        response = client.get("/review/", query)
    assert rows(response) > 0


@pytest.mark.parametrize("rounds", [1, 10])
def test_it_reads_the_case_page_in_the_same_queries_however_long_its_history(
    rounds: int, riverside: User, pharmacist: User, django_assert_max_num_queries: AssertMax
) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    for number in range(rounds):
        # Each round: a pend, a document in answer, the answer, an override; ~4 events each.
        case = services.case_pend(actor=pharmacist, case=case, items=[f"Report {number}"])
        upload = SimpleUploadedFile(f"lab-{number}.pdf", b"%PDF-1.4\n% lab\n%%EOF\n")
        services.document_attach(
            actor=riverside, case=case, upload=upload, kind="lab_report", supports=["excl_hiv"]
        )
        case = services.case_answer_rfi(actor=riverside, case=case, note=f"Answer {number}")
        services.checklist_override(
            actor=pharmacist,
            case=case,
            criterion_id="age",
            status="not_met" if number % 2 == 0 else "met",
            reason="Chart review",
        )
    client = client_for(pharmacist)
    with django_assert_max_num_queries(CASE_PAGE):
        response = client.get(f"/review/cases/{case.pk}/")
    assert response.status_code == 200
    assert len(response.context["record"].events) >= 4 * rounds


@pytest.mark.parametrize("tab", ["open", "all"])
def test_it_reads_the_clinics_request_list_in_the_same_queries(
    cases: list[Case],
    tab: str,
    riverside: User,
    django_assert_max_num_queries: AssertMax,
) -> None:
    client = client_for(riverside)
    with django_assert_max_num_queries(CLINIC_LIST):
        response = client.get("/clinic/", {"show": tab})
    assert rows(response) > 0


@pytest.mark.parametrize("search", ["everything", "user", "case", "action", "dates"])
def test_it_reads_the_audit_log_in_the_same_queries(
    cases: list[Case],
    search: str,
    pharmacist: User,
    auditor: User,
    django_assert_max_num_queries: AssertMax,
) -> None:
    today = timezone.localdate()
    query = {
        "everything": {},
        "user": {"user": pharmacist.username.upper()},
        "case": {"case": cases[-1].reference.lower()},
        "action": {"action": "case.*"},
        "dates": {"date_from": str(today - timedelta(days=1)), "date_to": str(today)},
    }[search]
    client = client_for(auditor)
    with django_assert_max_num_queries(AUDIT_LOG):
        response = client.get("/audit/", query)
    assert rows(response) > 0


def test_it_reads_a_clinics_audit_rows_in_the_same_queries(
    cases: list[Case],
    riverside: User,
    auditor: User,
    django_assert_max_num_queries: AssertMax,
) -> None:
    client = client_for(auditor)
    with django_assert_max_num_queries(AUDIT_LOG_BY_CLINIC):
        response = client.get("/audit/", {"clinic": str(riverside.organization_id)})
    assert rows(response) > 0


def test_it_reads_the_metrics_in_the_same_queries(
    cases: list[Case],
    auditor: User,
    django_assert_max_num_queries: AssertMax,
) -> None:
    client = client_for(auditor)
    with django_assert_max_num_queries(METRICS):
        response = client.get("/audit/metrics/")
    assert response.status_code == 200
    metrics = response.context["metrics"]
    received = metrics.standard.received + metrics.expedited.received
    assert received == Case.objects.exclude(submitted_at=None).count()


def test_it_submits_through_the_api_in_the_same_queries(
    cases: list[Case],
    riverside: User,
    django_assert_max_num_queries: AssertMax,
) -> None:
    client = api_for(riverside)
    with django_assert_max_num_queries(API_SUBMIT):
        response = client.post(
            "/api/cases/", new_request("FEP-PERF-1"), format="json", HTTP_IDEMPOTENCY_KEY="k1"
        )
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "submitted"


def test_it_lists_the_clinics_cases_through_the_api_in_the_same_queries(
    cases: list[Case],
    riverside: User,
    django_assert_max_num_queries: AssertMax,
) -> None:
    client = api_for(riverside)
    with django_assert_max_num_queries(API_LIST):
        response = client.get("/api/cases/")
    assert response.status_code == 200
    assert (
        len(response.json()["results"])
        == Case.objects.filter(organization=riverside.organization).count()
    )


def test_it_reads_the_admin_changelist_of_cases_in_the_same_queries(
    cases: list[Case],
    portal_admin: User,
    django_assert_max_num_queries: AssertMax,
) -> None:
    client = client_for(portal_admin)
    with django_assert_max_num_queries(ADMIN_CHANGELIST):
        response = client.get("/admin/reviews/case/", {"o": "9"})
    assert response.status_code == 200
    assert response.context["cl"].result_count == len(cases)


@pytest.mark.parametrize("rulings", [2, 8])
def test_it_approves_in_the_same_queries_however_many_rulings(
    rulings: int, riverside: User, pharmacist: User, django_assert_max_num_queries: AssertMax
) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    for number in range(rulings):
        services.checklist_override(
            actor=pharmacist,
            case=case,
            criterion_id="age",
            status="unknown" if number % 2 == 0 else "met",  # an even count ends met
            reason=f"Chart review {number}",
        )
    client = client_for(pharmacist)
    with django_assert_max_num_queries(APPROVE):
        response = client.post(f"/review/cases/{case.pk}/approve/", {"approve-reason": "Meets"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "approved"
    snapshot = case.decision.snapshot
    assert len(snapshot["overrides"]) == rulings
    assert snapshot["facts"]["active_approvals_on_file"] == 0


@pytest.mark.parametrize("more_staff", [0, 5])
def test_it_writes_a_letter_in_the_same_queries_however_large_the_clinic(
    more_staff: int, riverside: User, pharmacist: User, django_assert_max_num_queries: AssertMax
) -> None:
    for n in range(more_staff):
        User.objects.create_user(
            username=f"riverside-staff-{n}",
            email=f"staff{n}@riverside.example",
            role=Role.PRESCRIBER,
            organization=riverside.organization,
        )
    case = make_case(riverside, facts={**approvable_facts(), "fix_activity_value": "5"})
    services.case_claim(actor=pharmacist, case=case)
    decision = services.case_deny(
        actor=pharmacist, case=case, failed_criteria=["fix_activity"], reason="Above 2%."
    )
    before = AuditLog.objects.count()
    with django_assert_max_num_queries(LETTER):
        tasks.generate_letter(decision.pk)
    staff = User.objects.filter(organization=riverside.organization, is_active=True).count()
    # The letter's event and each clinic member's notification: all written, in one INSERT.
    assert AuditLog.objects.count() - before == 1 + staff
