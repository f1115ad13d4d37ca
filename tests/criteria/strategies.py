"""Hypothesis strategies for Facts: each field unknown or one of its telling values,
including every boundary. All generated documents are also valid JSON input."""

from dataclasses import fields
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from criteria import Facts, ImagingResult, LabResult

__all__ = ["Facts", "facts", "is_unknown", "resolve"]

D = Decimal
EVALUATION_DATES = st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31))


def _days_before(days: int) -> st.SearchStrategy[timedelta]:
    return st.integers(0, days).map(lambda n: timedelta(days=n))


LABS = st.builds(
    LabResult,
    code=st.sampled_from(["ALT", "AST", "ALP"]),
    value=st.sampled_from([D("0"), D("28"), D("300")]),
    unit=st.sampled_from(["U/L", "IU/L"]),
    date=st.none() | st.just(date(2024, 1, 1)),
) | st.builds(
    LabResult,
    code=st.just("TBILI"),
    value=st.sampled_from([D("0.7"), D("12")]),
    unit=st.sampled_from(["mg/dL", "umol/L"]),
    date=st.none() | st.just(date(2024, 1, 1)),
)
IMAGING = st.builds(
    ImagingResult,
    kind=st.sampled_from(["hepatic_ultrasound", "elastography"]),
    date=st.none() | st.just(date(2023, 12, 30)),
    findings=st.sampled_from(["", "normal"]),
)

# A value for each optional field (never None; None is added by ``facts``).
# Dates are set relative to the evaluation date in ``facts`` below.
VALUES: dict[str, st.SearchStrategy[Any]] = {
    "date_of_birth": st.integers(10 * 365, 80 * 365),  # days before evaluation
    "sex_assigned_at_birth": st.sampled_from(["male", "female", "intersex", "unknown"]),
    "diagnosis_code": st.sampled_from(["D67", "D66", "D68.311", "Z14.8", "Z14.01"]),
    "fix_activity_value": st.sampled_from(
        [D("0"), D("0.02"), D("0.0201"), D("1"), D("2"), D("2.0"), D("2.01"), D("3")]
    ),
    "fix_activity_unit": st.sampled_from(["%", "IU/dL", "IU/mL"]),
    "fix_activity_date": st.integers(0, 3000),
    "on_fix_prophylaxis": st.booleans(),
    "prophylaxis_product": st.sampled_from(["Alprolix", "BeneFIX"]),
    "life_threatening_hemorrhage": st.booleans(),
    "repeated_serious_spontaneous_bleeding": st.booleans(),
    "labs": st.lists(LABS, min_size=1, max_size=6).map(tuple),
    "imaging": st.lists(IMAGING, min_size=1, max_size=3).map(tuple),
    "prescriber_specialty": st.sampled_from(
        ["hematology", "hemophilia_treatment_center", "internal_medicine", "cardiology"]
    ),
    "recommending_specialist_specialty": st.sampled_from(["hematology", "none", "cardiology"]),
    "fix_inhibitor_history": st.booleans(),
    "inhibitor_titer_bu": st.sampled_from([D("0"), D("0.59"), D("0.6"), D("0.61"), D("40")]),
    "inhibitor_assay": st.sampled_from(["nijmegen-bethesda", "bethesda", "other"]),
    "inhibitor_test_date": st.integers(0, 3000),
    "hiv_status": st.sampled_from(["negative", "positive_controlled", "positive_uncontrolled"]),
    "hepatitis_b_active": st.booleans(),
    "hepatitis_c_active": st.booleans(),
    "prior_hemophilia_b_gene_therapy": st.booleans(),
    "other_gene_therapy_under_consideration": st.booleans(),
    "active_approvals_on_file": st.integers(0, 2),
}
OPTIONAL = tuple(f.name for f in fields(Facts) if f.name != "evaluation_date")
DAYS_BEFORE = ("date_of_birth", "fix_activity_date", "inhibitor_test_date")
EMPTY: dict[str, Any] = {"labs": (), "imaging": ()}


def resolve(name: str, raw: Any, on: date) -> Any:
    """Turn a drawn value into the field's value (day offsets become dates)."""
    return on - timedelta(days=raw) if name in DAYS_BEFORE else raw


@st.composite
def facts(draw: st.DrawFn, unknown_weight: float = 0.3) -> Facts:
    """Facts where each field is unknown with probability ``unknown_weight``."""
    on = draw(EVALUATION_DATES)
    values: dict[str, Any] = {}
    for name in OPTIONAL:
        unknown = draw(st.floats(0, 1)) < unknown_weight
        values[name] = EMPTY.get(name) if unknown else resolve(name, draw(VALUES[name]), on)
    return Facts(evaluation_date=on, **values)


def is_unknown(facts: Facts, name: str) -> bool:
    return bool(getattr(facts, name) == EMPTY.get(name))
