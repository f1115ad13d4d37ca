"""A patient's date of birth: one rule for every door that records a patient."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import User
from audit.models import AuditLog
from criteria.io import MAX_AGE_YEARS
from reviews import services
from reviews.models import Case, Patient
from tests.conftest import client_for
from tests.reviews.api.conftest import api_for, new_request

# Further back than the criteria engine reads an age (criteria.io.MAX_AGE_YEARS), 0001 included.
TOO_OLD = st.dates(
    min_value=date(1, 1, 1), max_value=date(date.today().year - MAX_AGE_YEARS - 1, 1, 1)
)
EXAMPLES = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def patient_form(born: date) -> dict[str, str]:
    return {
        "member_id": "OLD-1",
        "first_name": "A",
        "last_name": "B",
        "date_of_birth": born.isoformat(),
        "sex_assigned_at_birth": "male",
    }


@EXAMPLES
@given(born=TOO_OLD)
def test_it_refuses_a_date_of_birth_the_criteria_cannot_read_on_the_patient_form(
    riverside: User, born: date
) -> None:
    # Accepted, the patient could never be evaluated: every request for them was refused on a
    # date of birth the clinic has no way to change.
    client = client_for(riverside)
    audit_rows = AuditLog.objects.count()
    response = client.post(reverse("prescriber:patient_create"), patient_form(born))
    assert response.status_code == 200
    assert "date_of_birth" in response.context["form"].errors
    assert not Patient.objects.exists()
    assert AuditLog.objects.count() == audit_rows


@EXAMPLES
@given(born=TOO_OLD)
def test_it_refuses_a_date_of_birth_the_criteria_cannot_read_in_the_service(
    riverside: User, born: date
) -> None:
    with pytest.raises(services.PatientMismatch) as refused:
        services.patient_create(actor=riverside, **patient_form(born) | {"date_of_birth": born})
    assert set(refused.value.errors) == {"date_of_birth"}
    assert not Patient.objects.exists()


def test_it_refuses_a_date_of_birth_the_criteria_cannot_read_in_the_api_by_the_patients_field(
    riverside: User,
) -> None:
    body = new_request("OLD-2")
    body["patient"]["date_of_birth"] = "0001-01-01"
    response = api_for(riverside).post("/api/cases/", body, format="json")
    assert response.status_code == 400
    assert "date_of_birth" in response.json()["patient"]
    assert not Case.objects.exists() and not Patient.objects.exists()


def test_it_accepts_a_date_of_birth_within_the_ages_the_criteria_read(riverside: User) -> None:
    born = date(timezone.localdate().year - MAX_AGE_YEARS + 1, 1, 1)
    response = client_for(riverside).post(reverse("prescriber:patient_create"), patient_form(born))
    assert response.status_code == 302
    assert Patient.objects.get().date_of_birth == born


# --- the member ID as shown ---------------------------------------------------------------------

# Format characters (Unicode category Cf): invisible, and the bidirectional ones reorder what
# follows them. The key drops them; the ID everyone reads (pages, letters) must drop them too.
FORMAT_CHARACTERS = ["\u202e", "\u202d", "\u2066", "\u2067", "\u200b", "\u200f", "\ufeff", "\u00ad"]


@pytest.mark.parametrize("hidden", FORMAT_CHARACTERS)
def test_it_keeps_no_format_character_in_the_member_id_it_shows(
    riverside: User, portal_admin: User, hidden: str
) -> None:
    """FEP-<U+202E>3421 reads as FEP-1243 on every page and letter while its key is FEP3421:
    a reviewer checking the member's eligibility by the ID on screen checks someone else."""
    page = client_for(riverside).post(
        reverse("prescriber:patient_create"),
        {**patient_form(date(1980, 1, 1)), "member_id": f"FEP-{hidden}3421"},
    )
    assert page.status_code == 302
    api = api_for(riverside).post("/api/cases/", new_request(f"API-{hidden}77"), format="json")
    assert api.status_code == 201, api.json()
    assert api.json()["member_id"] == "API-77"
    typed = {p.member_key: p.member_id for p in Patient.objects.all()}
    assert typed == {"FEP3421": "FEP-3421", "API77": "API-77"}
    assert Case.objects.get().member_id == "API-77"

    corrected = services.patient_correct_member_id(
        actor=portal_admin,
        patient=Patient.objects.get(member_key="FEP3421"),
        member_id=f"FEP-{hidden}3422",
        reason="Typed wrongly at intake.",
    )
    assert corrected.member_id == "FEP-3422"
