"""The REST answer to a request for information carries what an approval needs (issue 16): body
weight, planned infusion date and prescriber NPI, checked as the request is."""

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from accounts.models import User
from reviews import services
from reviews.models import Status
from tests.reviews.views.prescriber.test_answer_details import (
    BAD_DETAILS,
    GOOD_DETAILS,
    NPI,
    as_stored,
    pended_for_details,
)

from .conftest import api_for

CASES = "/api/cases/"


def test_it_answers_with_the_approval_details_and_the_case_can_then_be_approved(
    riverside: User, pharmacist: User
) -> None:
    case = pended_for_details(riverside, pharmacist)
    planned = GOOD_DETAILS["planned_infusion_date"]

    response = api_for(riverside).post(f"{CASES}{case.pk}/answer/", GOOD_DETAILS, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert {name: body[name] for name in ("status", *GOOD_DETAILS)} == {
        "status": "in_review",
        **GOOD_DETAILS,
    }
    assert as_stored(case) == (Status.IN_REVIEW, Decimal("82.4"), date.fromisoformat(planned), NPI)
    decision = services.case_approve(actor=pharmacist, case=case)
    assert decision.outcome == "approved"
    assert case.authorization.planned_infusion_date == date.fromisoformat(planned)


def test_it_keeps_details_left_out_or_empty(riverside: User, pharmacist: User) -> None:
    case = pended_for_details(riverside, pharmacist)

    response = api_for(riverside).post(
        f"{CASES}{case.pk}/answer/",
        {"body_weight_kg": "82.4", "planned_infusion_date": None, "prescriber_npi": ""},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert as_stored(case) == (Status.IN_REVIEW, Decimal("82.4"), None, "")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        *BAD_DETAILS,
        ("body_weight_kg", 9999, "between 1 and 400 kg"),
        ("body_weight_kg", "1e400", "no more than 5 digits"),
        ("prescriber_npi", "12345\x006789", "NUL character"),
    ],
)
def test_it_refuses_a_bad_detail_and_changes_nothing(
    riverside: User, pharmacist: User, field: str, value: Any, message: str
) -> None:
    case = pended_for_details(riverside, pharmacist)

    response = api_for(riverside).post(
        f"{CASES}{case.pk}/answer/",
        {**GOOD_DETAILS, field: value, "note": "Details"},
        format="json",
    )

    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == [field], errors
    assert message in " ".join(errors[field])
    assert as_stored(case) == (Status.PENDED, None, None, "")


def test_it_refuses_another_clinics_case(riverside: User, lakeside: User, pharmacist: User) -> None:
    case = pended_for_details(riverside, pharmacist)

    response = api_for(lakeside).post(
        f"{CASES}{case.pk}/answer/",
        GOOD_DETAILS,
        format="json",
    )

    assert response.status_code == 404
    assert as_stored(case) == (Status.PENDED, None, None, "")
