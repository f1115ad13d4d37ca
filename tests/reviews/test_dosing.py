"""Hemgenix's dose and vial count from body weight (reviews.dosing), and what an approval needs."""

from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reviews.dosing import ML_PER_VIAL, approval_gaps, dose_for, dose_of

# Weights as the forms take them: 0.1 kg steps.
weights = st.integers(min_value=20, max_value=2000).map(lambda tenths: Decimal(tenths) / 10)


@given(weights)
def test_it_orders_just_enough_vials_for_the_dose(weight: Decimal) -> None:
    dose = dose_of(weight)

    assert dose is not None
    assert dose.volume_ml == weight * 2  # 2 x 10^13 gc/kg at 1 x 10^13 gc/mL
    assert dose.vials * ML_PER_VIAL >= dose.volume_ml
    assert (dose.vials - 1) * ML_PER_VIAL < dose.volume_ml


@pytest.mark.parametrize(
    ("weight", "volume", "vials", "genome_copies"),
    [
        ("80.0", "160 mL", "16 single-dose 10 mL vials", "1.6 \N{MULTIPLICATION SIGN} 10¹⁵"),
        # The label's worked example: 72 kg, 144 mL, 15 vials (14.4 rounded up).
        ("72.0", "144 mL", "15 single-dose 10 mL vials", "1.44 \N{MULTIPLICATION SIGN} 10¹⁵"),
        ("72.3", "144.6 mL", "15 single-dose 10 mL vials", "1.45 \N{MULTIPLICATION SIGN} 10¹⁵"),
        ("75.0", "150 mL", "15 single-dose 10 mL vials", "1.5 \N{MULTIPLICATION SIGN} 10¹⁵"),
        ("75.1", "150.2 mL", "16 single-dose 10 mL vials", "1.5 \N{MULTIPLICATION SIGN} 10¹⁵"),
        ("5.0", "10 mL", "1 single-dose 10 mL vial", "1 \N{MULTIPLICATION SIGN} 10¹⁴"),
    ],
)
def test_it_states_dose_volume_and_vials_for_a_weight(
    weight: str, volume: str, vials: str, genome_copies: str
) -> None:
    dose = dose_for(Decimal(weight))

    assert dose == {
        "weight": f"{Decimal(weight):.1f} kg",
        "genome_copies": genome_copies,
        "volume": volume,
        "vials": vials,
    }


@pytest.mark.parametrize("weight", [None, Decimal("0"), Decimal("-3")])
def test_it_gives_no_dose_without_a_weight(weight: Decimal | None) -> None:
    assert dose_for(weight) is None


TODAY = date(2026, 11, 26)


def _request(**details: object) -> SimpleNamespace:
    fields = {
        "body_weight_kg": Decimal("80.0"),
        "planned_infusion_date": TODAY + timedelta(days=30),
        "prescriber_npi": "1234567893",
    }
    return SimpleNamespace(**{**fields, **details})


@pytest.mark.django_db
def test_it_needs_nothing_more_of_a_complete_request() -> None:
    assert approval_gaps(_request(), today=TODAY) == []
    assert approval_gaps(_request(planned_infusion_date=TODAY), today=TODAY) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("details", "gap"),
    [
        ({"body_weight_kg": None}, "the member's body weight"),
        ({"body_weight_kg": Decimal("0.5")}, "a body weight between 1 and 400 kg (it is 0.5 kg)"),
        ({"body_weight_kg": Decimal("9999.9")}, "a body weight between 1 and 400 kg"),
        ({"planned_infusion_date": None}, "the planned infusion date"),
        (
            {"planned_infusion_date": TODAY - timedelta(days=1)},
            "a planned infusion date not in the past (it is November 25, 2026)",
        ),
        # The default authorization is valid 180 days: an infusion after it is not authorized.
        (
            {"planned_infusion_date": TODAY + timedelta(days=181)},
            "a planned infusion date within the authorization's validity, by May 25, 2027",
        ),
        ({"planned_infusion_date": date(9999, 12, 31)}, "within the authorization's validity"),
        ({"prescriber_npi": ""}, "the prescriber's NPI"),
        ({"prescriber_npi": "1234567890"}, "a valid prescriber NPI"),
    ],
)
def test_it_names_what_a_request_lacks_for_an_approval(details: dict, gap: str) -> None:
    gaps = approval_gaps(_request(**details), today=TODAY)

    assert len(gaps) == 1
    assert gap in gaps[0]
