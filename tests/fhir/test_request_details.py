"""The request's details as a PAS bundle carries them (body weight, planned infusion date): a
value the portal's forms and the REST API refuse is refused here too, as one OperationOutcome
naming the element it came from, and nothing is stored."""

from typing import Any

import pytest

from accounts.models import User
from reviews.models import Case, CaseEvent, Patient, Status
from tests.conftest import client_for
from tests.fhir.support import claim_update, entry_index, example, outcome_issues, post

from .test_update import PRIOR, pended

pytestmark = pytest.mark.django_db
Bundle = dict[str, Any]
BODY_WEIGHT = "29463-7"
# Too large for a weight to be rounded to a tenth of a kg (decimal.InvalidOperation).
HUGE_WEIGHTS = ["1e27", "1e400"]


def with_weight(body: Bundle, value: Any) -> Bundle:
    index = entry_index(body, "Observation", BODY_WEIGHT)
    body["entry"][index]["resource"]["valueQuantity"]["value"] = value
    return body


def with_planned_date(body: Bundle, day: str) -> Bundle:
    body["entry"][0]["resource"]["item"][0]["servicedDate"] = day
    return body


def assert_refused(response: Any, expression: str) -> None:
    assert 400 <= response.status_code < 500, response.content
    [issue] = outcome_issues(response)
    assert expression in issue["expression"][0], issue


@pytest.mark.parametrize("value", [*HUGE_WEIGHTS, "500", "999", "0.5"])
def test_it_refuses_a_body_weight_out_of_range_on_submit(riverside: User, value: str) -> None:
    body = with_weight(example("approve"), value)
    response = post(client_for(riverside), "submit", body)
    assert_refused(response, f"Bundle.entry[{entry_index(body, 'Observation', BODY_WEIGHT)}]")
    assert "body weight" in outcome_issues(response)[0]["diagnostics"]
    assert not Case.objects.exists() and not Patient.objects.exists()


@pytest.mark.parametrize("value", HUGE_WEIGHTS)
def test_it_refuses_a_body_weight_out_of_range_in_a_claim_update(
    riverside: User, pharmacist: User, value: str
) -> None:
    case = pended(riverside, pharmacist)
    body = with_weight(claim_update(PRIOR, "RHA-2026-0003-U1"), value)
    response = post(client_for(riverside), "submit", body)
    assert_refused(response, f"Bundle.entry[{entry_index(body, 'Observation', BODY_WEIGHT)}]")
    case.refresh_from_db()
    assert (case.status, case.body_weight_kg) == (Status.PENDED, None)
    assert not CaseEvent.objects.filter(case=case, action="answer_rfi").exists()


@pytest.mark.parametrize("day", ["2000-01-01", "2999-01-01"])
def test_it_refuses_a_planned_infusion_date_the_other_doors_refuse(
    riverside: User, day: str
) -> None:
    response = post(client_for(riverside), "submit", with_planned_date(example("approve"), day))
    assert_refused(response, "Bundle.entry[0].resource.item[0].serviced")
    assert "planned infusion date" in outcome_issues(response)[0]["diagnostics"]
    assert not Case.objects.exists() and not Patient.objects.exists()
