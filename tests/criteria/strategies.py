"""Hypothesis strategies for Facts: each field unknown or one of its telling values,
including every boundary. Every generated request is also a valid JSON document."""

from dataclasses import fields
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from criteria import Facts, ImagingResult, LabResult

__all__ = ["CANDIDATES", "OPTIONAL", "Facts", "facts", "is_unknown", "resolve"]

D = Decimal
EVALUATION_DATES = st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31))
LAB_DAY, IMAGING_DAY = date(2023, 12, 1), date(2023, 12, 30)

ALL_LABS = (
    LabResult("ALT", D("28"), "U/L", LAB_DAY),
    LabResult("AST", D("300"), "IU/L", LAB_DAY),
    LabResult("ALP", D("0"), "U/L", None),
    LabResult("TBILI", D("12"), "umol/L", LAB_DAY),
)
BOTH_STUDIES = (
    ImagingResult("hepatic_ultrasound", IMAGING_DAY, "normal"),
    ImagingResult("elastography", None),
)

# The values each optional field can take besides "unknown". Dates are given as
# (years, days) before the evaluation date so birthdays land exactly on boundaries.
CANDIDATES: dict[str, list[Any]] = {
    "date_of_birth": [(18, 0), (18, -1), (17, 0), (40, 0), (10, 0)],
    "sex_assigned_at_birth": ["male", "female", "intersex", "unknown"],
    "diagnosis_code": ["D67", "D66", "D68.311", "Z14.8", "Z14.01"],
    "fix_activity_value": [D(v) for v in ("0", "0.02", "0.0201", "1", "2", "2.0", "2.01", "3")],
    "fix_activity_unit": ["%", "IU/dL", "IU/mL"],
    "fix_activity_date": [(0, 0), (1, 30), (8, 0)],
    "on_fix_prophylaxis": [True, False],
    "prophylaxis_product": ["Alprolix", "BeneFIX"],
    "life_threatening_hemorrhage": [True, False],
    "repeated_serious_spontaneous_bleeding": [True, False],
    "labs": [ALL_LABS, ALL_LABS[:2], ALL_LABS[1:], (*ALL_LABS, ALL_LABS[0])],
    "imaging": [BOTH_STUDIES, BOTH_STUDIES[:1], BOTH_STUDIES[1:]],
    "prescriber_specialty": ["hematology", "hemophilia_treatment_center", "internal_medicine", "cardiology"],
    "recommending_specialist_specialty": ["hematology", "none", "cardiology"],
    "fix_inhibitor_history": [True, False],
    "inhibitor_titer_bu": [D(v) for v in ("0", "0.59", "0.6", "0.61", "40")],
    "inhibitor_assay": ["nijmegen-bethesda", "bethesda", "other"],
    "inhibitor_test_date": [(0, 0), (0, 200), (5, 0)],
    "hiv_status": ["negative", "positive_controlled", "positive_uncontrolled"],
    "hepatitis_b_active": [True, False],
    "hepatitis_c_active": [True, False],
    "prior_hemophilia_b_gene_therapy": [True, False],
    "other_gene_therapy_under_consideration": [True, False],
    "active_approvals_on_file": [0, 1, 2],
}  # fmt: skip
OPTIONAL = tuple(f.name for f in fields(Facts) if f.name != "evaluation_date")
EMPTY: dict[str, Any] = {"labs": (), "imaging": ()}


def _years_before(on: date, years: int, days: int) -> date:
    try:
        anniversary = on.replace(year=on.year - years)
    except ValueError:  # Feb 29 evaluation date
        anniversary = date(on.year - years, 3, 1)
    return anniversary - timedelta(days=days)


def resolve(name: str, raw: Any, on: date) -> Any:
    """The field's value for a candidate (a (years, days) pair becomes a date)."""
    is_date = name == "date_of_birth" or name.endswith("_date")
    return _years_before(on, *raw) if is_date else raw


@st.composite
def facts(draw: st.DrawFn, unknown_weight: float = 0.3) -> Facts:
    """Facts where each field is unknown with probability ``unknown_weight``."""
    on = draw(EVALUATION_DATES)
    values: dict[str, Any] = {}
    for name in OPTIONAL:
        if draw(st.floats(0, 1)) < unknown_weight:
            values[name] = EMPTY.get(name)
        else:
            values[name] = resolve(name, draw(st.sampled_from(CANDIDATES[name])), on)
    return Facts(evaluation_date=on, **values)


def is_unknown(facts: Facts, name: str) -> bool:
    return bool(getattr(facts, name) == EMPTY.get(name))
