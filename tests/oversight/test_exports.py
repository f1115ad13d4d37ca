"""CSV exports: streamed, only the filtered rows, safe to open in a spreadsheet, and audited."""

import csv
import io

import pytest
from django.http import StreamingHttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from audit.models import AuditLog
from oversight.exports import safe_cell
from oversight.metrics import review_metrics
from reviews import services
from reviews.models import Case
from tests.conftest import client_for
from tests.factories import approvable_facts, make_case


def download(client: Client, name: str, **params: str) -> list[list[str]]:
    response = client.get(reverse(name), params)
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Disposition"].startswith("attachment;")
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_it_defuses_cells_a_spreadsheet_would_run(start: str) -> None:
    assert safe_cell(f"{start}SUM(A1:A9)") == f"'{start}SUM(A1:A9)"


def test_it_leaves_ordinary_cells_and_numbers_alone() -> None:
    assert (safe_cell("phil"), safe_cell(-3), safe_cell(2.5), safe_cell(None)) == (
        "phil",
        -3,
        2.5,
        "",
    )


def test_it_streams_only_the_filtered_log_rows(
    riverside: User, lakeside: User, pharmacist: User, auditor: User
) -> None:
    make_case(riverside, claim_by=pharmacist)
    make_case(lakeside, claim_by=pharmacist)
    expected = list(
        AuditLog.objects.filter(actor_username="phil")
        .order_by("-at", "-id")
        .values_list("id", "action")
    )
    rows = download(client_for(auditor), "audit:log_csv", user="phil")
    header, body = rows[0], rows[1:]
    assert header[:5] == ["time", "user", "role", "organization", "action"]
    assert [(r[1], r[4]) for r in body] == [("phil", action) for _, action in expected]
    assert len(body) == 2


def test_it_guards_the_log_export_against_formula_injection(auditor: User) -> None:
    Client(headers={"user-agent": '=HYPERLINK("http://evil")'}).post(
        reverse("login"), {"username": "@admin", "password": "wrong-password-1"}
    )
    rows = download(client_for(auditor), "audit:log_csv", action="auth.login_failed")
    (row,) = rows[1:]
    assert row[9] == '\'=HYPERLINK("http://evil")'
    assert row[10] == '{"username": "@admin"}'  # JSON starts with a brace: harmless as it is


def test_it_records_the_export_with_its_filters(riverside: User, auditor: User) -> None:
    case = make_case(riverside)
    download(client_for(auditor), "audit:log_csv", case=case.reference)
    row = AuditLog.objects.get(action="audit.export")
    assert row.actor == auditor
    assert row.detail == {"export": "log", "filters": {"case": case.reference}}


def test_it_refuses_an_export_with_a_bad_filter_and_records_nothing(auditor: User) -> None:
    response = client_for(auditor).get(
        reverse("audit:log_csv"), {"date_from": "2026-03-10", "date_to": "2026-03-01"}
    )
    assert response.status_code == 302 and response["Location"].startswith(reverse("audit:log"))
    assert not AuditLog.objects.filter(action="audit.export").exists()


def decide(clinic: User, reviewer: User, *, reason: str) -> Case:
    facts = {k: v for k, v in approvable_facts().items() if k != "hiv_status"}
    case = make_case(clinic, facts=facts, claim_by=reviewer)
    services.checklist_override(
        actor=reviewer, case=case, criterion_id="excl_hiv", status="met", reason="Lab on file"
    )
    services.case_approve(actor=reviewer, case=case, reason=reason)
    return case


def test_it_exports_the_decisions_of_the_period_and_clinic(
    riverside: User, lakeside: User, pharmacist: User, auditor: User
) -> None:
    ours = decide(riverside, pharmacist, reason="-all criteria met")
    decide(lakeside, pharmacist, reason="Met")
    make_case(riverside, claim_by=pharmacist)  # undecided: not a decision
    assert riverside.organization is not None
    today = str(timezone.localdate())
    params = {"date_from": today, "date_to": today, "clinic": str(riverside.organization.pk)}
    rows = download(client_for(auditor), "audit:decisions_csv", **params)
    header, body = rows[0], rows[1:]
    (row,) = body
    record = dict(zip(header, row, strict=True))
    assert (record["case"], record["outcome"], record["decided by"]) == (
        ours.reference, "approved", "phil",
    )  # fmt: skip
    assert (record["overrides"], record["overturned overrides"]) == ("1", "1")
    assert record["within clock"] == "yes"
    assert record["reason"] == "'-all criteria met"
    assert AuditLog.objects.get(action="audit.export").detail["export"] == "decisions"


def test_it_exports_no_decisions_outside_the_period(
    riverside: User, pharmacist: User, auditor: User
) -> None:
    decide(riverside, pharmacist, reason="Met")
    rows = download(
        client_for(auditor), "audit:decisions_csv", date_from="2020-01-01", date_to="2020-01-31"
    )
    assert len(rows) == 1  # the header alone


def test_it_exports_the_metrics_shown(riverside: User, pharmacist: User, auditor: User) -> None:
    decide(riverside, pharmacist, reason="Met")
    make_case(riverside)
    today = timezone.localdate()
    rows = download(client_for(auditor), "audit:metrics_csv")  # default period: the last 30 days
    figures = {r[0]: r[2:] for r in rows[1:]}
    metrics = review_metrics(today, today).standard
    assert figures["Requests received"] == [str(metrics.received), "0"] == ["2", "0"]
    assert figures["Approved (of received)"] == ["50.0", ""]
    assert AuditLog.objects.get(action="audit.export").detail["export"] == "metrics"
