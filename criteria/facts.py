"""The facts of one prior-authorization request, as the criteria engine sees them.

Every field but ``evaluation_date`` is optional: ``None`` (or an empty tuple for
``labs``/``imaging``) means "not supplied", which the engine reports as *unknown*,
never as a silent "no". The Django models map onto these exact field names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class LabResult:
    """One liver-panel result. ``code`` is one of "ALT", "AST", "ALP", "TBILI"."""

    code: str
    value: Decimal
    unit: str
    date: date | None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class ImagingResult:
    """One liver imaging study. ``kind`` is "hepatic_ultrasound" or "elastography"."""

    kind: str
    date: date | None
    findings: str = ""
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Facts:
    """What is known about the member and the request on ``evaluation_date``."""

    evaluation_date: date
    date_of_birth: date | None = None
    # "male" | "female" | "intersex" | "unknown" (None and "unknown" both mean unknown)
    sex_assigned_at_birth: str | None = None
    diagnosis_code: str | None = None  # ICD-10-CM, e.g. "D67"
    fix_activity_value: Decimal | None = None
    fix_activity_unit: str | None = None  # "%" | "IU/dL" | "IU/mL"
    fix_activity_date: date | None = None
    on_fix_prophylaxis: bool | None = None
    prophylaxis_product: str | None = None
    life_threatening_hemorrhage: bool | None = None
    repeated_serious_spontaneous_bleeding: bool | None = None
    labs: tuple[LabResult, ...] = ()
    imaging: tuple[ImagingResult, ...] = ()
    # e.g. "hematology", "hematology_oncology", "pediatric_hematology_oncology",
    # "hemophilia_treatment_center", "internal_medicine", ...
    prescriber_specialty: str | None = None
    # Specialty of a specialist who recommended the therapy when someone else prescribes it.
    # "none" states affirmatively that no specialist recommended it; None means not supplied.
    recommending_specialist_specialty: str | None = None
    fix_inhibitor_history: bool | None = None
    inhibitor_titer_bu: Decimal | None = None
    inhibitor_assay: str | None = None  # "nijmegen-bethesda" | "bethesda" | "other"
    inhibitor_test_date: date | None = None
    hiv_status: str | None = None  # "negative" | "positive_controlled" | "positive_uncontrolled"
    hepatitis_b_active: bool | None = None
    hepatitis_c_active: bool | None = None
    prior_hemophilia_b_gene_therapy: bool | None = None
    other_gene_therapy_under_consideration: bool | None = None
    # Hemgenix approvals already on file for this member (any clinic), excluding this
    # request; denied or withdrawn requests do not count. Supplied by the caller.
    active_approvals_on_file: int | None = None


# The yes/no facts (each Facts field typed bool | None), for readers and rules that treat them
# alike.
FLAG_FIELDS = (
    "on_fix_prophylaxis",
    "life_threatening_hemorrhage",
    "repeated_serious_spontaneous_bleeding",
    "fix_inhibitor_history",
    "hepatitis_b_active",
    "hepatitis_c_active",
    "prior_hemophilia_b_gene_therapy",
    "other_gene_therapy_under_consideration",
)


# Which facts each criterion of the Hemgenix policy reads (criteria/rules.py), in the order a
# reader takes them in: the portal shows the facts under the policy section of their criterion.
FACTS_BY_CRITERION: dict[str, tuple[str, ...]] = {
    "age": ("date_of_birth",),
    "sex": ("sex_assigned_at_birth",),
    "diagnosis": ("diagnosis_code",),
    "fix_activity": ("fix_activity_value", "fix_activity_unit", "fix_activity_date"),
    "prophylaxis": ("on_fix_prophylaxis", "prophylaxis_product"),
    "bleeding_history": ("life_threatening_hemorrhage", "repeated_serious_spontaneous_bleeding"),
    "liver_assessment": ("labs", "imaging"),
    "prescriber": ("prescriber_specialty", "recommending_specialist_specialty"),
    "excl_inhibitor_history": ("fix_inhibitor_history",),
    "excl_inhibitor_titer": ("inhibitor_titer_bu", "inhibitor_assay", "inhibitor_test_date"),
    "excl_hiv": ("hiv_status",),
    "excl_hepatitis": ("hepatitis_b_active", "hepatitis_c_active"),
    "excl_gene_therapy": (
        "prior_hemophilia_b_gene_therapy",
        "other_gene_therapy_under_consideration",
    ),
    "lifetime_limit": ("active_approvals_on_file",),
}
