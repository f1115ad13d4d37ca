"""Hemgenix's single dose and quantity from the member's body weight (issue 16).

From the US prescribing information, section 2.1 "Dose" (as quoted on drugs.com's Hemgenix
dosage page and CSL Behring's medical-affairs page, read 2026-11): the recommended dose is
2 x 10^13 genome copies (gc) per kg of body weight, or 2 mL/kg, since the suspension holds
1 x 10^13 gc/mL; "Number of HEMGENIX vials needed = HEMGENIX dose (in mL) divided by 10 (round
up to next whole number of vials)", 10 being each single-dose vial's extractable volume in mL.
(The product ships as a kit of 10 to 48 vials ordered for the patient's weight; the vial count
here is the label's "vials needed", which the kit is made up to.)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.validators import npi_is_valid

from .models import WEIGHT_MAX_KG, WEIGHT_MIN_KG
from .policy import current_policy_settings

GENOME_COPIES_PER_KG = 2 * 10**13
GENOME_COPIES_PER_ML = 10**13
ML_PER_KG = GENOME_COPIES_PER_KG // GENOME_COPIES_PER_ML  # 2
ML_PER_VIAL = 10


@dataclass(frozen=True)
class Dose:
    weight_kg: Decimal
    volume_ml: Decimal
    vials: int

    @property
    def genome_copies(self) -> Decimal:
        return self.weight_kg * GENOME_COPIES_PER_KG

    def as_text(self) -> dict[str, str]:
        """The dose as people read it (approve panel, decision card, letter, clinic page)."""
        return {
            "weight": f"{self.weight_kg:.1f} kg",
            "genome_copies": scientific(self.genome_copies),
            "volume": f"{self.volume_ml.normalize():f} mL",
            "vials": f"{self.vials} single-dose 10 mL vial{'' if self.vials == 1 else 's'}",
        }


def dose_of(weight_kg: Decimal | None) -> Dose | None:
    """The single dose for this weight, or None when no (positive) weight is on file."""
    if weight_kg is None or weight_kg <= 0:
        return None
    weight = Decimal(weight_kg)
    volume = weight * ML_PER_KG
    vials = int((volume / ML_PER_VIAL).to_integral_value(rounding=ROUND_CEILING))
    return Dose(weight_kg=weight, volume_ml=volume, vials=vials)


def scientific(value: Decimal) -> str:
    """1600000000000000 -> "1.6 x 10¹⁵" with a multiplication sign (superscript digits: pypdf
    reads them back as such)."""
    mantissa, exponent = f"{value:.2e}".split("e")
    digits = str(int(exponent)).translate(str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻"))
    return f"{mantissa.rstrip('0').rstrip('.')} \N{MULTIPLICATION SIGN} 10{digits}"


def dose_for(weight_kg: Decimal | None) -> dict[str, str] | None:
    """The dose for this weight as text, or None when no weight is on file."""
    dose = dose_of(weight_kg)
    return dose.as_text() if dose is not None else None


def case_dose(case: Any) -> dict[str, str] | None:
    """A case's dose as text: for the weight its authorization was issued on (fixed at approval),
    else for the weight on the request."""
    authorization = getattr(case, "authorization", None)
    if authorization is not None and authorization.body_weight_kg is not None:
        return dose_for(authorization.body_weight_kg)
    return dose_for(case.body_weight_kg)


# The body weights a request may give, whatever its door (request_detail_problems); defined
# with the column, whose CHECK holds them too.
WEIGHT_STEP = Decimal("0.1")  # what Case.body_weight_kg holds


def body_weight_problem(weight_kg: Decimal) -> str | None:
    """Why a clinic may not give this body weight, or None."""
    # is_finite first: comparing NaN raises, and 1e400 or Infinity is simply out of range.
    if not (weight_kg.is_finite() and WEIGHT_MIN_KG <= weight_kg <= WEIGHT_MAX_KG):
        return f"The body weight must be between {WEIGHT_MIN_KG} and {WEIGHT_MAX_KG} kg."
    return None


def request_detail_problems(details: Mapping[str, Any], *, today: date) -> dict[str, str]:
    """Why a clinic may not give these request details, by field; empty when it may. The one
    rule for every door: the intake and the answer to a pend refuse what this names
    (reviews.services.drafting), and the portal's forms and the REST serializers check their
    fields with the same functions (validate_body_weight, validate_planned_infusion_date)."""
    problems = {}
    weight, planned = details.get("body_weight_kg"), details.get("planned_infusion_date")
    if weight is not None and (problem := body_weight_problem(Decimal(str(weight)))):
        problems["body_weight_kg"] = problem
    if planned is not None and (problem := planned_infusion_date_problem(planned, today=today)):
        problems["planned_infusion_date"] = problem
    return problems


def validate_body_weight(value: Decimal | None) -> None:
    """body_weight_problem as a field validator (Django forms and DRF serializers alike)."""
    if value is not None and (problem := body_weight_problem(value)):
        raise ValidationError(problem, code="body_weight")


def validate_planned_infusion_date(value: date | None) -> None:
    """planned_infusion_date_problem, for today, as a field validator."""
    if value is not None and (
        problem := planned_infusion_date_problem(value, today=timezone.localdate())
    ):
        raise ValidationError(problem, code="planned_infusion_date")


def authorization_valid_to(today: date) -> date:
    """The last day an authorization issued today is valid (the payer's operating rules)."""
    return today + timedelta(days=current_policy_settings().authorization_valid_days)


def planned_infusion_date_problem(planned: date, *, today: date) -> str | None:
    """Why a clinic may not give this planned infusion date (request form, answer form, REST),
    or None: a day already past, or one after the last day an authorization issued today would
    be valid (approval_gaps would refuse the approval for it)."""
    if planned < today:
        return "The planned infusion date is in the past."
    valid_to = authorization_valid_to(today)
    if planned > valid_to:
        return (
            "The planned infusion date must be within the authorization's validity: by "
            f"{_day(valid_to)} for a request decided today."
        )
    return None


def approval_gaps(case: Any, *, today: date) -> list[str]:
    """What the request lacks for an authorization that states its dose and quantity (issue 16),
    each in words: the member's body weight (the dose is per kg), a planned infusion date within
    the authorization's validity (from the decision day to its last valid day: an authorization
    that ends before the infusion, or for a day already past, authorizes nothing), and a valid
    prescriber NPI. Empty when nothing is missing."""
    gaps = []
    valid_to = authorization_valid_to(today)
    weight = case.body_weight_kg
    if weight is None:
        gaps.append("the member's body weight")
    elif not WEIGHT_MIN_KG <= weight <= WEIGHT_MAX_KG:
        gaps.append(
            f"a body weight between {WEIGHT_MIN_KG} and {WEIGHT_MAX_KG} kg (it is {weight} kg)"
        )
    planned = case.planned_infusion_date
    if planned is None:
        gaps.append("the planned infusion date")
    elif planned < today:
        gaps.append(f"a planned infusion date not in the past (it is {_day(planned)})")
    elif planned > valid_to:
        gaps.append(
            "a planned infusion date within the authorization's validity, by "
            f"{_day(valid_to)} (it is {_day(planned)})"
        )
    npi = case.prescriber_npi or ""
    if not npi:
        gaps.append("the prescriber's NPI")
    elif not npi_is_valid(npi):
        gaps.append("a valid prescriber NPI (the one on file has a wrong check digit or length)")
    return gaps


def approval_gaps_message(gaps: list[str]) -> str:
    listed = gaps[0] if len(gaps) == 1 else f"{', '.join(gaps[:-1])} and {gaps[-1]}"
    return (
        f"To approve, the request needs {listed}: the authorization states the dose and the "
        "number of vials. Pend the case to ask the clinic for them. Nothing was changed."
    )


def _day(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"
