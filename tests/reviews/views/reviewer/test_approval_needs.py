"""The approve panel says what an approval still needs, and shows the dose and vials, before the
reviewer clicks; the portal's approve door refuses the same way the service does (issue 16)."""

from decimal import Decimal
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.models import User
from reviews import services
from reviews.models import Authorization, Decision, Status
from tests.conftest import client_for
from tests.factories import make_case
from tests.reviews.views.test_no_raw_codes import visible_text


def _case_page(user: User, pk: int) -> str:
    return visible_text(client_for(user).get(reverse("reviewer:case", args=[pk])).content.decode())


def test_it_shows_the_dose_and_vials_on_the_approve_panel(
    riverside: User, pharmacist: User
) -> None:
    case = make_case(riverside, claim_by=pharmacist, body_weight_kg=Decimal("68.7"))

    page = _case_page(pharmacist, case.pk)

    # 68.7 kg x 2 mL/kg = 137.4 mL: 14 single-dose 10 mL vials.
    assert "68.7 kg" in page and "137.4 mL" in page and "14 single-dose 10 mL vials" in page
    assert "approval needs" not in page


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        ({"body_weight_kg": None}, "The member's body weight"),
        ({"planned_infusion_date": None}, "The planned infusion date"),
        ({"prescriber_npi": ""}, "The prescriber's NPI"),
    ],
)
def test_it_says_what_is_missing_before_the_click_and_refuses_the_approval(
    riverside: User, pharmacist: User, missing: dict[str, Any], named: str
) -> None:
    case = make_case(riverside, claim_by=pharmacist, **missing)
    client = client_for(pharmacist)

    assert named in _case_page(pharmacist, case.pk)
    response = client.post(reverse("reviewer:approve", args=[case.pk]), {"approve-reason": "OK"})

    assert response.status_code == 302
    assert response["Location"].endswith("#actions")
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any(named.lower() in t.lower() and "Nothing was changed." in t for t in texts), texts
    case.refresh_from_db()
    assert case.status == Status.IN_REVIEW
    assert not Decision.objects.filter(case=case).exists()
    assert not Authorization.objects.filter(case=case).exists()


def test_it_shows_the_authorized_dose_on_the_decision_card_and_the_clinics_page(
    riverside: User, pharmacist: User
) -> None:
    case = make_case(riverside, claim_by=pharmacist, body_weight_kg=Decimal("101.0"))
    services.case_approve(actor=pharmacist, case=case)
    authorization = Authorization.objects.get(case=case)

    reviewer_page = _case_page(pharmacist, case.pk)
    clinic_page = visible_text(
        client_for(riverside)
        .get(reverse("prescriber:case_detail", args=[case.pk]))
        .content.decode()
    )

    for page in (reviewer_page, clinic_page):
        assert "{#" not in page and "{%" not in page  # no template comment shown as text
        assert authorization.number in page
        assert "202 mL" in page and "21 single-dose 10 mL vials" in page
        assert "NPI 1234567893" in page or "1234567893" in page
