"""Observations -> facts: LOINC-coded lab results and this portal's own codes for the rest.

When several Observations carry the same fact (two factor IX results, say), the latest dated one
is used, as a reviewer would; liver labs and imaging studies are all kept (the engine picks the
latest per test itself).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient

from reviews.dosing import WEIGHT_STEP

from .bundle import RequestBundle
from .codes import (
    HEMGENIX_SYSTEM,
    LOINC,
    LOINC_BODY_WEIGHT,
    LOINC_FIX_PERCENT,
    LOINC_FIX_UNITS,
    LOINC_LABS,
    OWN_OBSERVATIONS,
    POUND_KG,
    UNITS,
)
from .collect import Collected
from .outcomes import invalid

# A reading: (group, values, day). Readings of one group compete; the latest day wins.
Reading = tuple[str, dict[str, Any], date | None]
SKIPPED_STATUSES = ("entered-in-error", "cancelled")


def read_observations(rb: RequestBundle, patient: Patient, into: Collected) -> None:
    readings: dict[str, list[tuple[date | None, dict[str, Any], str]]] = defaultdict(list)
    for obs in rb.all(Observation):
        where = rb.where(obs)
        if obs.status in SKIPPED_STATUSES or obs.dataAbsentReason is not None:
            continue
        check_subject(rb, obs.subject, patient, f"{where}.subject")
        reading = _reading(obs, where, into)
        if reading is not None:
            group, values, day = reading
            readings[group].append((day, values, where))
    for candidates in readings.values():
        _put_latest(candidates, into)


def check_subject(rb: RequestBundle, subject: Any, patient: Patient, where: str) -> None:
    """Clinical data about someone else must not slip into this member's request."""
    if subject is not None and subject.reference and rb.resolve(subject) is not patient:
        raise invalid(f"{subject.reference} is not the Patient this Claim is for.", where)


def _put_latest(candidates: list[tuple[date | None, dict[str, Any], str]], into: Collected) -> None:
    latest = max((day for day, _, _ in candidates if day is not None), default=None)
    for day, values, where in candidates:
        if day == latest:  # equal-dated readings that disagree are a conflict, reported by put
            for key, value in values.items():
                into.put(key, value, where)


def _reading(obs: Observation, where: str, into: Collected) -> Reading | None:
    for coding in obs.code.coding or []:
        if coding.system == LOINC and coding.code in _LOINC_READERS:
            return _LOINC_READERS[coding.code](obs, where, coding.code, into)
        if coding.system == HEMGENIX_SYSTEM and coding.code in OWN_OBSERVATIONS:
            return _own(obs, where, coding.code, into)
    return None  # not something the policy asks about


def observation_day(obs: Observation, where: str) -> date | None:
    value = obs.effectiveDateTime or obs.effectiveInstant
    if value is None and obs.effectivePeriod is not None:
        value = obs.effectivePeriod.start
    return full_date(value, f"{where}.effective")


def full_date(value: Any, where: str) -> date | None:
    """A calendar date from a FHIR date/dateTime; partial dates ("2024-05") are refused."""
    if isinstance(value, datetime):
        return value.date()
    if value is None or isinstance(value, date):
        return value
    raise invalid(f"{value} is not a full date (YYYY-MM-DD); the policy needs the day.", where)


def _quantity(obs: Observation, where: str) -> tuple[str, str]:
    """(value as a numeric string, the engine's unit name) from valueQuantity."""
    quantity = obs.valueQuantity
    if quantity is None or quantity.value is None:
        raise invalid("This result needs a valueQuantity with a value.", f"{where}.value")
    sent = quantity.code or quantity.unit or ""
    if sent not in UNITS:
        raise invalid(f"Unit {sent!r} is not one this portal reads.", f"{where}.valueQuantity")
    return str(Decimal(quantity.value)), UNITS[sent]


def _fix_activity(obs: Observation, where: str, code: str, into: Collected) -> Reading:
    value, unit = _quantity(obs, where)
    day = observation_day(obs, where)
    values = {
        "fix_activity_value": value,
        "fix_activity_unit": unit,
        "fix_activity_date": day.isoformat() if day else None,
    }
    return "fix_activity", values, day


def _liver_lab(obs: Observation, where: str, code: str, into: Collected) -> None:
    value, unit = _quantity(obs, where)
    day = observation_day(obs, where)
    row = {"code": LOINC_LABS[code], "value": value, "unit": unit}
    into.append("labs", row | ({"date": day.isoformat()} if day else {}), where)


def _body_weight(obs: Observation, where: str, code: str, into: Collected) -> Reading:
    value, unit = _quantity(obs, where)
    if unit not in ("kg", "lb"):
        raise invalid("Body weight must be in kg or [lb_av].", f"{where}.valueQuantity")
    kilograms = _kilograms(Decimal(value), unit)
    return "body_weight_kg", {"body_weight_kg": kilograms}, observation_day(obs, where)


def _kilograms(value: Decimal, unit: str) -> Decimal:
    """The weight in kg to a tenth, so 176.4 lb and 80 kg said twice agree. Its range is
    checked with the request's other details, not here: a number too large to convert or round
    (1e27, 1e400: more digits than decimal's context holds, InvalidOperation) goes on as sent,
    and is refused there as out of range."""
    try:
        return (value * POUND_KG if unit == "lb" else value).quantize(WEIGHT_STEP)
    except ArithmeticError:
        return value


_LOINC_READERS: dict[str, Callable[[Observation, str, str, Collected], Reading | None]] = {
    LOINC_FIX_PERCENT: _fix_activity,
    LOINC_FIX_UNITS: _fix_activity,
    LOINC_BODY_WEIGHT: _body_weight,
    **dict.fromkeys(LOINC_LABS, _liver_lab),
}


def _own(obs: Observation, where: str, code: str, into: Collected) -> Reading | None:
    kind = OWN_OBSERVATIONS[code]
    day = observation_day(obs, where)
    if kind == "imaging":
        study = {"kind": code, "findings": obs.valueString or ""}
        into.append("imaging", study | ({"date": day.isoformat()} if day else {}), where)
        return None
    if kind == "Quantity":
        return "inhibitor", _inhibitor(obs, where, day), day
    return code, {code: _scalar(obs, kind, where)}, day


def _inhibitor(obs: Observation, where: str, day: date | None) -> dict[str, Any]:
    value, unit = _quantity(obs, where)
    if unit != "BU":
        raise invalid("An inhibitor titre is in Bethesda units ([beth'U]/mL).", where)
    method = obs.method.coding[0].code if obs.method and obs.method.coding else None
    return {
        "inhibitor_titer_bu": value,
        "inhibitor_assay": method,
        "inhibitor_test_date": day.isoformat() if day else None,
    }


def _scalar(obs: Observation, kind: str, where: str) -> Any:
    if kind == "boolean" and obs.valueBoolean is not None:
        return obs.valueBoolean
    if kind == "code" and obs.valueCodeableConcept and obs.valueCodeableConcept.coding:
        return obs.valueCodeableConcept.coding[0].code
    if kind in ("string", "code") and obs.valueString is not None:
        return obs.valueString
    expected = {"boolean": "valueBoolean", "string": "valueString"}.get(
        kind, "valueCodeableConcept"
    )
    raise invalid(f"This Observation needs a {expected}.", f"{where}.value")
