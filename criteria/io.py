"""JSON in and out for Facts, validated by hand (no jsonschema needed at run time).

The document mirrors ``Facts`` field for field; ``schema/facts.schema.json`` describes
the same shape, and a test keeps the two in step. Rules the schema cannot express
(no date after the evaluation date, units that must match the lab, bounds after unit
conversion) live only here. Every error names the field it is about.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from criteria.facts import FLAG_FIELDS, Facts, ImagingResult, LabResult

T = TypeVar("T")

SEXES = ("male", "female", "intersex", "unknown")
FIX_UNITS = ("%", "IU/dL", "IU/mL")
FIX_UNIT_PERCENT = {"%": Decimal(1), "IU/dL": Decimal(1), "IU/mL": Decimal(100)}
INHIBITOR_ASSAYS = ("nijmegen-bethesda", "bethesda", "other")
HIV_STATUSES = ("negative", "positive_controlled", "positive_uncontrolled")
IMAGING_KINDS = ("hepatic_ultrasound", "elastography")
# Accepted units per liver lab, and the largest value that is still believable.
LAB_UNITS: dict[str, dict[str, Decimal]] = {
    "ALT": {"U/L": Decimal(10000), "IU/L": Decimal(10000)},
    "AST": {"U/L": Decimal(10000), "IU/L": Decimal(10000)},
    "ALP": {"U/L": Decimal(10000), "IU/L": Decimal(10000)},
    "TBILI": {"mg/dL": Decimal(100), "umol/L": Decimal(1710), "µmol/L": Decimal(1710)},
}
MAX_FIX_PERCENT = Decimal(300)
MAX_TITER_BU = Decimal(10000)
MAX_AGE_YEARS = 130
MAX_APPROVALS = 100
MAX_TEXT = 200
# Any number is read only within these bounds, before any arithmetic: Decimal("1e999999999")
# is a valid Decimal, but multiplying it (unit conversion) overflows.
MAX_NUMBER = Decimal(10) ** 9
MAX_DIGITS = 20  # significant digits and decimal places, each
# Dates outside these years are refused before any date arithmetic: far wider than any real
# date (those get the clearer "after the evaluation date" or "over 130 years" errors), they keep
# an age or "130 years before" inside Python's years 1 to 9999 (0001-01-01 used to crash).
MIN_YEAR, MAX_YEAR = 1000, 9000

FACT_FIELDS = (
    "evaluation_date",
    "date_of_birth",
    "sex_assigned_at_birth",
    "diagnosis_code",
    "fix_activity_value",
    "fix_activity_unit",
    "fix_activity_date",
    "on_fix_prophylaxis",
    "prophylaxis_product",
    "life_threatening_hemorrhage",
    "repeated_serious_spontaneous_bleeding",
    "labs",
    "imaging",
    "prescriber_specialty",
    "recommending_specialist_specialty",
    "fix_inhibitor_history",
    "inhibitor_titer_bu",
    "inhibitor_assay",
    "inhibitor_test_date",
    "hiv_status",
    "hepatitis_b_active",
    "hepatitis_c_active",
    "prior_hemophilia_b_gene_therapy",
    "other_gene_therapy_under_consideration",
    "active_approvals_on_file",
)
LAB_FIELDS = ("code", "value", "unit", "date", "source")
IMAGING_FIELDS = ("kind", "date", "findings", "source")

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# ASCII digits only: "\\d" alone would also take look-alikes such as Arabic-Indic digits.
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", re.ASCII)
_ICD10 = re.compile(r"[A-Z][0-9][0-9A-Z](\.?[0-9A-Z]{1,4})?")


class FactsValidationError(ValueError):
    """The document is not valid facts. ``errors`` holds (field path, message) pairs;
    each message starts with the field path, e.g. "labs[0].value: must be a number"."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        self.errors: tuple[tuple[str, str], ...] = tuple(errors)
        super().__init__("; ".join(message for _, message in self.errors))


@dataclass
class _Reader:
    """Reads typed values out of JSON objects, collecting every error instead of
    stopping at the first, so a clinic can fix a document in one go. Each method
    reads ``obj[key]`` and reports errors at ``prefix + key`` (e.g. "labs[0].value")."""

    errors: list[tuple[str, str]] = field(default_factory=list)

    def fail(self, path: str, message: str) -> None:
        self.errors.append((path, f"{path}: {message}"))

    def keys(self, obj: Mapping[str, Any], allowed: tuple[str, ...], prefix: str = "") -> None:
        for key in obj:
            if key not in allowed:
                self.fail(f"{prefix}{key}", "unknown field")

    def present(self, obj: Mapping[str, Any], key: str, prefix: str = "") -> None:
        if obj.get(key) is None:
            self.fail(f"{prefix}{key}", "is required")

    def typed(
        self, obj: Mapping[str, Any], key: str, kind: type[T], what: str, prefix: str = ""
    ) -> T | None:
        value = obj.get(key)
        if value is None or isinstance(value, kind):
            return value
        self.fail(f"{prefix}{key}", f"must be {what} or null; got {json.dumps(value)[:40]}")
        return None

    def flag(self, obj: Mapping[str, Any], key: str) -> bool | None:
        return self.typed(obj, key, bool, "true or false")

    def text(
        self, obj: Mapping[str, Any], key: str, prefix: str = "", limit: int = MAX_TEXT
    ) -> str | None:
        text = self.typed(obj, key, str, "a string", prefix)
        if text is None:
            return None
        if not text.strip():
            self.fail(f"{prefix}{key}", "must not be blank (use null when unknown)")
            return None
        if len(text) > limit:
            self.fail(f"{prefix}{key}", f"must be at most {limit} characters")
            return None
        return text

    def choice(
        self, obj: Mapping[str, Any], key: str, choices: tuple[str, ...], prefix: str = ""
    ) -> str | None:
        text = self.typed(obj, key, str, "a string", prefix)
        if text is not None and text not in choices:
            self.fail(f"{prefix}{key}", f"must be one of {', '.join(choices)}; got {text!r}")
            return None
        return text

    def day(self, obj: Mapping[str, Any], key: str, prefix: str = "") -> date | None:
        text = self.typed(obj, key, str, "a date string (YYYY-MM-DD)", prefix)
        if text is None:
            return None
        if not _ISO_DATE.fullmatch(text):
            self.fail(f"{prefix}{key}", f"must be a date as YYYY-MM-DD; got {text!r}")
            return None
        try:
            day = date.fromisoformat(text)
        except ValueError:
            self.fail(f"{prefix}{key}", f"{text} is not a real calendar date")
            return None
        if not MIN_YEAR <= day.year <= MAX_YEAR:
            self.fail(f"{prefix}{key}", f"{text} is outside the years {MIN_YEAR} to {MAX_YEAR}")
            return None
        return day

    def number(
        self, obj: Mapping[str, Any], key: str, maximum: Decimal | None = None, prefix: str = ""
    ) -> Decimal | None:
        path = f"{prefix}{key}"
        parsed = self._decimal(obj.get(key), path)
        if parsed is None:
            return None
        if parsed < 0:
            self.fail(path, f"must not be negative; got {parsed}")
            return None
        if maximum is not None and parsed > maximum:
            self.fail(path, f"{parsed} is not believable (more than {maximum})")
            return None
        return parsed

    def integer(self, obj: Mapping[str, Any], key: str, maximum: int) -> int | None:
        parsed = self._decimal(obj.get(key), key)
        if parsed is None:
            return None
        if parsed != parsed.to_integral_value() or not 0 <= parsed <= maximum:
            self.fail(key, f"must be a whole number from 0 to {maximum}; got {parsed}")
            return None
        return int(parsed)

    def _decimal(self, value: Any, path: str) -> Decimal | None:
        if value is None:
            return None
        # bool is a subclass of int, so it is refused explicitly.
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            self.fail(path, f"must be a number or numeric string; got {json.dumps(value)[:40]}")
            return None
        if isinstance(value, float) and not math.isfinite(value):
            self.fail(path, "must be a finite number")
            return None
        if isinstance(value, int) and abs(value) > MAX_NUMBER:  # before str(): 10**5000 fails
            self.fail(path, f"is out of range (more than {MAX_NUMBER:,})")
            return None
        if isinstance(value, str) and not _NUMBER.fullmatch(value.strip()):
            self.fail(path, f"must be a number; got {value!r}")
            return None
        # repr() of a float is its shortest round-trip form: 0.1 -> Decimal("0.1").
        number = Decimal(repr(value) if isinstance(value, float) else str(value).strip())
        return number if self._bounded(number, path) else None

    def _bounded(self, number: Decimal, path: str) -> bool:
        """Within MAX_NUMBER and MAX_DIGITS; compared without arithmetic, which could overflow."""
        if number.copy_abs() > MAX_NUMBER:
            self.fail(path, f"is out of range (more than {MAX_NUMBER:,})")
            return False
        digits, exponent = len(number.as_tuple().digits), number.as_tuple().exponent
        assert isinstance(exponent, int)  # finite: the pattern and isfinite() let no NaN through
        if digits > MAX_DIGITS or exponent < -MAX_DIGITS:
            self.fail(
                path, f"has too many digits (at most {MAX_DIGITS}, and {MAX_DIGITS} decimal places)"
            )
            return False
        return True

    def items(self, obj: Mapping[str, Any], key: str) -> list[tuple[str, Mapping[str, Any]]]:
        """The objects of an array, each with its path prefix, e.g. ("labs[0].", {...})."""
        value = obj.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(key, "must be an array of objects")
            return []
        found = []
        for index, item in enumerate(value):
            if isinstance(item, Mapping):
                found.append((f"{key}[{index}].", item))
            else:
                self.fail(f"{key}[{index}]", "must be an object")
        return found


def _lab(r: _Reader, prefix: str, obj: Mapping[str, Any]) -> LabResult | None:
    r.keys(obj, LAB_FIELDS, prefix)
    for key in ("code", "value", "unit"):
        r.present(obj, key, prefix)
    code = r.choice(obj, "code", tuple(LAB_UNITS), prefix)
    unit = r.text(obj, "unit", prefix)
    limits = LAB_UNITS.get(code or "", {})
    if code and unit is not None and unit not in limits:
        r.fail(f"{prefix}unit", f"must be one of {', '.join(limits)} for {code}; got {unit!r}")
        unit = None
    value = r.number(obj, "value", limits.get(unit or ""), prefix)
    day = r.day(obj, "date", prefix)
    source = r.text(obj, "source", prefix)
    if code is None or value is None or unit is None:
        return None
    return LabResult(code, value, unit, day, source)


def _imaging(r: _Reader, prefix: str, obj: Mapping[str, Any]) -> ImagingResult | None:
    r.keys(obj, IMAGING_FIELDS, prefix)
    r.present(obj, "kind", prefix)
    kind = r.choice(obj, "kind", IMAGING_KINDS, prefix)
    day = r.day(obj, "date", prefix)
    # Findings are optional free text; "" is the same as leaving them out.
    findings = r.text(obj, "findings", prefix, 2000) if obj.get("findings") != "" else ""
    source = r.text(obj, "source", prefix)
    if kind is None:
        return None
    return ImagingResult(kind, day, findings or "", source)


def _fix_value(r: _Reader, data: Mapping[str, Any], unit: str | None) -> Decimal | None:
    """FIX activity, bounded at 300% of normal after converting the unit (IU/mL x100);
    without a unit the raw number is held to the same bound."""
    value = r.number(data, "fix_activity_value")
    if value is None:
        return None
    if value * FIX_UNIT_PERCENT.get(unit or "", Decimal(1)) > MAX_FIX_PERCENT:
        shown = f"{value} {unit}" if unit else str(value)
        r.fail("fix_activity_value", f"{shown} is not believable (over 300% of normal)")
        return None
    return value


def _diagnosis(r: _Reader, data: Mapping[str, Any]) -> str | None:
    code = r.text(data, "diagnosis_code", limit=20)
    if code is None:
        return None
    code = code.strip().upper()
    if not _ICD10.fullmatch(code):
        r.fail("diagnosis_code", f"must be an ICD-10-CM code such as D67; got {code!r}")
        return None
    return code


def _check_dates(r: _Reader, facts: Facts) -> None:
    """Nothing can happen after the evaluation date, nor before the member was born."""
    on, born = facts.evaluation_date, facts.date_of_birth
    if born is not None and born < earliest_date_of_birth(on):
        r.fail("date_of_birth", f"{born} is more than {MAX_AGE_YEARS} years before {on}")
    dated: list[tuple[str, date | None]] = [
        ("date_of_birth", born),
        ("fix_activity_date", facts.fix_activity_date),
        ("inhibitor_test_date", facts.inhibitor_test_date),
    ]
    dated += [(f"labs[{i}].date", lab.date) for i, lab in enumerate(facts.labs)]
    dated += [(f"imaging[{i}].date", study.date) for i, study in enumerate(facts.imaging)]
    for path, day in dated:
        if day is not None and day > on:
            r.fail(path, f"{day} is after the evaluation date {on}")
        elif day is not None and born is not None and day < born and path != "date_of_birth":
            r.fail(path, f"{day} is before the date of birth {born}")


def earliest_date_of_birth(on: date) -> date:
    """The earliest date of birth read on ``on``: MAX_AGE_YEARS before it. The portal refuses an
    earlier one when the patient is recorded (reviews.services.patients), not at each request."""
    return _years_before(on, MAX_AGE_YEARS)


def _years_before(day: date, years: int) -> date:
    """The same calendar day ``years`` earlier (Feb 29 becomes Feb 28)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return date(day.year - years, 2, 28)


def _read(r: _Reader, data: Mapping[str, Any]) -> Facts | None:
    r.keys(data, FACT_FIELDS)
    r.present(data, "evaluation_date")
    evaluation_date = r.day(data, "evaluation_date")
    unit = r.choice(data, "fix_activity_unit", FIX_UNITS)
    labs = [_lab(r, prefix, obj) for prefix, obj in r.items(data, "labs")]
    imaging = [_imaging(r, prefix, obj) for prefix, obj in r.items(data, "imaging")]
    values: dict[str, Any] = {
        "date_of_birth": r.day(data, "date_of_birth"),
        "sex_assigned_at_birth": r.choice(data, "sex_assigned_at_birth", SEXES),
        "diagnosis_code": _diagnosis(r, data),
        "fix_activity_value": _fix_value(r, data, unit),
        "fix_activity_unit": unit,
        "fix_activity_date": r.day(data, "fix_activity_date"),
        "prophylaxis_product": r.text(data, "prophylaxis_product"),
        "labs": tuple(lab for lab in labs if lab is not None),
        "imaging": tuple(study for study in imaging if study is not None),
        "prescriber_specialty": r.text(data, "prescriber_specialty", limit=100),
        "recommending_specialist_specialty": r.text(
            data, "recommending_specialist_specialty", limit=100
        ),
        "inhibitor_titer_bu": r.number(data, "inhibitor_titer_bu", MAX_TITER_BU),
        "inhibitor_assay": r.choice(data, "inhibitor_assay", INHIBITOR_ASSAYS),
        "inhibitor_test_date": r.day(data, "inhibitor_test_date"),
        "hiv_status": r.choice(data, "hiv_status", HIV_STATUSES),
        "active_approvals_on_file": r.integer(data, "active_approvals_on_file", MAX_APPROVALS),
    }
    values.update({name: r.flag(data, name) for name in FLAG_FIELDS})
    if evaluation_date is None:
        return None
    return Facts(evaluation_date=evaluation_date, **values)


def facts_from_dict(data: object) -> Facts:
    """Facts from a decoded JSON document; raises FactsValidationError listing every
    problem with its field path."""
    if not isinstance(data, Mapping):
        raise FactsValidationError([("$", "$: the facts must be a JSON object")])
    r = _Reader()
    facts = _read(r, data)
    if facts is not None:
        _check_dates(r, facts)
    if r.errors or facts is None:
        raise FactsValidationError(r.errors)
    return facts


def facts_from_json(text: str | bytes) -> Facts:
    """Facts from JSON text; malformed JSON is reported like any other error."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise FactsValidationError([("$", f"$: not valid JSON ({error})")]) from None
    return facts_from_dict(data)


def _jsonable(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)  # a numeric string keeps the exact value
    return value


def facts_to_dict(facts: Facts) -> dict[str, Any]:
    """The JSON document for ``facts``; ``facts_from_dict`` reads it back unchanged."""
    data: dict[str, Any] = {}
    for name in FACT_FIELDS:
        value = getattr(facts, name)
        if name == "labs":
            value = [{k: _jsonable(getattr(lab, k)) for k in LAB_FIELDS} for lab in value]
        elif name == "imaging":
            value = [{k: _jsonable(getattr(s, k)) for k in IMAGING_FIELDS} for s in value]
        data[name] = _jsonable(value)
    return data
