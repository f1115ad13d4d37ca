"""Answering a request for information with what an approval needs (issue 16): a request sent
without body weight, planned infusion date or prescriber NPI is pended for them, and the clinic
gives them on the answer page."""

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils.html import escape

from accounts.models import User
from reviews import services
from reviews.models import Case, Status
from tests.conftest import client_for
from tests.factories import WITHOUT_APPROVAL_DETAILS, days_ago, make_case, make_patient

from .conftest import request_post
from .test_answer import answer_post

NPI = "1234567893"
GOOD_DETAILS = {
    "body_weight_kg": "82.4",
    "planned_infusion_date": days_ago(-20),
    "prescriber_npi": NPI,
}
# (field, bad value, words of its error), refused on the page and through the API alike.
BAD_DETAILS = [
    ("body_weight_kg", "0", "between 1 and 400 kg"),
    ("body_weight_kg", "9999", "between 1 and 400 kg"),
    ("prescriber_npi", "1234567890", "not a valid NPI"),
    ("planned_infusion_date", "9999-12-31", "within the authorization's validity"),
    ("planned_infusion_date", days_ago(1), "in the past"),
]


def pended_for_details(riverside: User, pharmacist: User) -> Case:
    """A clean case sent without the approval details: the approval is refused, so it is pended."""
    case = make_case(
        riverside,
        claim_by=pharmacist,
        **WITHOUT_APPROVAL_DETAILS,
    )
    with pytest.raises(services.ApprovalDetailsMissing):
        services.case_approve(actor=pharmacist, case=case)
    return services.case_pend(
        actor=pharmacist,
        case=case,
        items=["Body weight", "Planned infusion date", "Prescriber NPI"],
        message="The authorization states the dose: please send these.",
    )


def as_stored(case: Case) -> tuple[Any, ...]:
    case.refresh_from_db()
    return (case.status, case.body_weight_kg, case.planned_infusion_date, case.prescriber_npi)


def test_it_answers_with_the_approval_details_and_the_case_can_then_be_approved(
    riverside: User, pharmacist: User
) -> None:
    case = pended_for_details(riverside, pharmacist)
    planned = days_ago(-20)
    response = client_for(riverside).post(
        reverse("prescriber:case_answer", args=[case.pk]),
        answer_post(case, **{**GOOD_DETAILS, "planned_infusion_date": planned}),
    )

    assert response.status_code == 302, response.context["form"].errors
    assert as_stored(case) == (
        Status.IN_REVIEW,
        Decimal("82.4"),
        date.fromisoformat(planned),
        NPI,
    )
    decision = services.case_approve(actor=pharmacist, case=case)
    assert decision.outcome == "approved"
    assert case.authorization.body_weight_kg == Decimal("82.4")
    assert case.authorization.prescriber_npi == NPI


def test_it_fills_the_answer_form_with_the_details_on_file(
    riverside: User, pharmacist: User
) -> None:
    case = make_case(riverside, claim_by=pharmacist, body_weight_kg=Decimal("78.5"))
    services.case_pend(actor=pharmacist, case=case, items=["Liver panel"], message="Please.")

    page = client_for(riverside).get(reverse("prescriber:case_answer", args=[case.pk]))

    html = page.content.decode()
    assert 'name="body_weight_kg" value="78.5"' in html
    assert f'name="planned_infusion_date" value="{case.planned_infusion_date:%Y-%m-%d}"' in html
    assert f'name="prescriber_npi" value="{case.prescriber_npi}"' in html


def test_it_keeps_details_on_file_when_an_answer_only_repeats_them(
    riverside: User, pharmacist: User
) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    services.case_pend(actor=pharmacist, case=case, items=["Liver panel"], message="Please.")
    before = as_stored(case)
    repeated = {
        "body_weight_kg": str(case.body_weight_kg),
        "planned_infusion_date": f"{case.planned_infusion_date:%Y-%m-%d}",
        "prescriber_npi": case.prescriber_npi,
    }

    response = client_for(riverside).post(
        reverse("prescriber:case_answer", args=[case.pk]), answer_post(case, **repeated)
    )

    # Nothing new and no note: still the service's "give the information or a note".
    assert "Give the requested information" in response.content.decode()
    assert as_stored(case) == before


@pytest.mark.parametrize(("field", "value", "message"), BAD_DETAILS)
def test_it_refuses_a_bad_detail_and_changes_nothing(
    riverside: User, pharmacist: User, field: str, value: str, message: str
) -> None:
    case = pended_for_details(riverside, pharmacist)

    response = client_for(riverside).post(
        reverse("prescriber:case_answer", args=[case.pk]),
        answer_post(case, note="Details attached", **{**GOOD_DETAILS, field: value}),
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert message in " ".join(errors[field])
    assert escape(message) in response.content.decode()
    assert as_stored(case) == (Status.PENDED, None, None, "")


def test_it_refuses_a_nul_byte_and_changes_nothing(riverside: User, pharmacist: User) -> None:
    case = pended_for_details(riverside, pharmacist)

    response = client_for(riverside).post(
        reverse("prescriber:case_answer", args=[case.pk]),
        answer_post(case, body_weight_kg="82.4", prescriber_npi="12345\x006789"),
    )

    assert response.status_code == 400
    assert as_stored(case) == (Status.PENDED, None, None, "")


def test_it_refuses_another_clinics_case(riverside: User, lakeside: User, pharmacist: User) -> None:
    case = pended_for_details(riverside, pharmacist)

    response = client_for(lakeside).post(
        reverse("prescriber:case_answer", args=[case.pk]),
        answer_post(case, body_weight_kg="82.4", planned_infusion_date=days_ago(-20)),
    )

    assert response.status_code == 404
    assert as_stored(case) == (Status.PENDED, None, None, "")


def test_it_checks_the_planned_date_the_same_way_on_the_request_form(riverside: User) -> None:
    patient = make_patient(riverside)

    response = client_for(riverside).post(
        reverse("prescriber:case_create"),
        request_post(patient.pk, planned_infusion_date="9999-12-31"),
    )

    assert list(response.context["form"].errors) == ["planned_infusion_date"]
    assert "within the authorization&#x27;s validity" in response.content.decode()
    assert not Case.objects.exists()
