"""The yearly public report in CMS-0057-F's shape, as a page and a CSV, for oversight only."""

import csv
import io
from datetime import timedelta

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from audit.models import AuditLog
from oversight.public_report import public_report
from reviews import services
from reviews.models import Case
from tests.conftest import client_for
from tests.factories import make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def year_of_cases(riverside: User, pharmacist: User) -> int:
    """Standard: approved in 10 h, approved after a pend in 30 h, denied in 50 h, still open.
    Expedited: approved in 6 h."""
    year = timezone.localdate().year

    def decided(urgency: str, hours: int, *, deny: bool = False, pend: bool = False) -> None:
        case = make_case(riverside, urgency=urgency, claim_by=pharmacist)
        if pend:
            services.case_pend(actor=pharmacist, case=case, items=["Lab report"])
            services.case_answer_rfi(actor=riverside, case=case, note="Attached")
        if deny:
            _deny(case, pharmacist)
        else:
            services.case_approve(actor=pharmacist, case=case)
        submitted = Case.objects.get(pk=case.pk).submitted_at
        assert submitted is not None
        Case.objects.filter(pk=case.pk).update(decided_at=submitted + timedelta(hours=hours))

    decided("standard", 10)
    decided("standard", 30, pend=True)
    decided("standard", 50, deny=True)
    make_case(riverside)
    decided("expedited", 6)
    return year


def _deny(case: Case, pharmacist: User) -> None:
    """Rule one line not met on the chart, and deny on it."""
    services.checklist_override(
        actor=pharmacist, case=case, criterion_id="fix_activity", status="not_met", reason="Chart"
    )
    services.case_deny(
        actor=pharmacist, case=case, failed_criteria=["fix_activity"], reason="Not met"
    )


def _values(year: int) -> dict[str, tuple[object, object]]:
    return {row.label: (row.standard, row.expedited) for row in public_report(year).rows}


def test_it_reports_the_cms_measures_for_standard_and_expedited_requests(
    year_of_cases: int,
) -> None:
    values = _values(year_of_cases)

    assert values["Prior authorization requests received"] == (4, 1)
    assert values["Approved"] == (50.0, 100.0)
    assert values["Denied"] == (25.0, 0.0)
    assert values["Approved after appeal"] == (0.0, 0.0)
    assert values["Approved after the review time frame was extended"] == (25.0, 0.0)
    assert values["Average time from request to decision"] == (30.0, 6.0)
    assert values["Median time from request to decision"] == (30.0, 6.0)


def test_it_reports_nothing_for_a_year_without_requests(year_of_cases: int) -> None:
    values = _values(year_of_cases - 1)

    assert values["Prior authorization requests received"] == (0, 0)
    assert values["Approved"] == (None, None)


def test_it_serves_the_page_and_the_csv_for_the_chosen_year(
    year_of_cases: int, auditor: User
) -> None:
    client = client_for(auditor)

    page = client.get(reverse("audit:public_report"), {"year": year_of_cases})
    assert page.status_code == 200
    html = page.content.decode()
    assert f"received in <strong>{year_of_cases}</strong>" in html
    assert "Hemgenix (etranacogene dezaparvovec-drlb), HCPCS J1411" in html

    response = client.get(reverse("audit:public_report_csv"), {"year": year_of_cases})
    assert isinstance(response, StreamingHttpResponse)
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    approved = next(r for r in rows if r["measure"] == "Approved")
    assert (approved["year"], approved["standard"], approved["expedited"]) == (
        str(year_of_cases),
        "50.0",
        "100.0",
    )
    assert AuditLog.objects.filter(action="audit.export", detail__export="public_report").exists()


def test_it_shows_last_year_when_no_year_or_a_bad_one_is_asked(auditor: User) -> None:
    client = client_for(auditor)
    last_year = timezone.localdate().year - 1

    for query in ({}, {"year": "abc"}, {"year": "1999"}):
        response = client.get(reverse("audit:public_report"), query)
        assert response.context["report"].year == last_year
