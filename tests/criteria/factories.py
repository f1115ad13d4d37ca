"""Facts for tests: a complete, approvable request, and ways to vary it."""

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from criteria import Facts, ImagingResult, LabResult

EVALUATION_DATE = date(2024, 3, 15)

LABS = (
    LabResult("ALT", Decimal("28"), "U/L", date(2024, 2, 12), "Quest"),
    LabResult("AST", Decimal("31"), "U/L", date(2024, 2, 12), "Quest"),
    LabResult("ALP", Decimal("74"), "U/L", date(2024, 2, 12), "Quest"),
    LabResult("TBILI", Decimal("0.7"), "mg/dL", date(2024, 2, 12), "Quest"),
)
IMAGING = (
    ImagingResult("hepatic_ultrasound", date(2024, 2, 20), "Normal echotexture"),
    ImagingResult("elastography", date(2024, 2, 20), "5.1 kPa"),
)

COMPLETE = Facts(
    evaluation_date=EVALUATION_DATE,
    date_of_birth=date(1986, 7, 2),
    sex_assigned_at_birth="male",
    diagnosis_code="D67",
    fix_activity_value=Decimal("1.2"),
    fix_activity_unit="%",
    fix_activity_date=date(2023, 11, 20),
    on_fix_prophylaxis=True,
    prophylaxis_product="Alprolix",
    life_threatening_hemorrhage=False,
    repeated_serious_spontaneous_bleeding=True,
    labs=LABS,
    imaging=IMAGING,
    prescriber_specialty="hematology",
    recommending_specialist_specialty=None,
    fix_inhibitor_history=False,
    inhibitor_titer_bu=Decimal("0.2"),
    inhibitor_assay="nijmegen-bethesda",
    inhibitor_test_date=date(2024, 2, 12),
    hiv_status="negative",
    hepatitis_b_active=False,
    hepatitis_c_active=False,
    prior_hemophilia_b_gene_therapy=False,
    other_gene_therapy_under_consideration=False,
    active_approvals_on_file=0,
)

# What "not supplied" looks like for each field of Facts.
UNSUPPLIED: dict[str, Any] = {"labs": (), "imaging": ()}

CRITERION_IDS = (
    "age",
    "sex",
    "diagnosis",
    "fix_activity",
    "prophylaxis",
    "bleeding_history",
    "liver_assessment",
    "prescriber",
    "excl_inhibitor_history",
    "excl_inhibitor_titer",
    "excl_hiv",
    "excl_hepatitis",
    "excl_gene_therapy",
    "lifetime_limit",
)


def facts(**changes: Any) -> Facts:
    """The complete request with ``changes`` applied."""
    return replace(COMPLETE, **changes)
