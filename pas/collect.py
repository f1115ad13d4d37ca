"""What a bundle says, gathered from its Claim, Observations and QuestionnaireResponse, with where
each value came from so an error names the FHIR element, not the engine's field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from .outcomes import FhirError, Issue

# Request details kept on the case beside the facts (not engine input).
DETAIL_KEYS = (
    "prescriber_name",
    "prescriber_npi",
    "body_weight_kg",
    "planned_infusion_date",
    "expedite_reason",
    "sex_assigned_at_birth",
)


@dataclass
class Collected:
    facts: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    # Engine field path (e.g. "hiv_status", "labs[1]") or detail key -> FHIRPath of its source.
    sources: dict[str, str] = field(default_factory=dict)

    def put(self, key: str, value: Any, where: str) -> None:
        """Record one value; two sources saying different things is an error, not a guess.
        None means "not given" and records nothing."""
        if value is None:
            return
        target = self.details if key in DETAIL_KEYS else self.facts
        if key in target and _same(target[key], value):
            return  # the same thing said twice: keep the first
        if key in target:
            raise FhirError(
                422,
                [
                    Issue("business-rule", f"{key} is given twice with different values: "
                          f"{target[key]!r} here ...", self.sources[key]),
                    Issue("business-rule", f"... and {value!r} here; send one.", where),
                ],
            )  # fmt: skip
        target[key] = value
        self.sources[key] = where

    def append(self, key: str, row: dict[str, Any], where: str) -> None:
        """One more lab result or imaging study (the engine keeps them all)."""
        rows = self.facts.setdefault(key, [])
        self.sources[f"{key}[{len(rows)}]"] = where
        rows.append(row)

    def source_of(self, path: str) -> str | None:
        """The FHIRPath behind an engine error path such as "labs[0].unit" or "hiv_status"."""
        head = path.split(".")[0]
        return self.sources.get(head) or self.sources.get(head.split("[")[0])


def _same(old: Any, new: Any) -> bool:
    """Equal, counting 80 and "80.0" as the same number (forms and labs write numbers apart)."""
    if old == new:
        return True
    numbers = (str, int, float, Decimal)
    if any(isinstance(v, bool) or not isinstance(v, numbers) for v in (old, new)):
        return False
    try:
        return Decimal(str(old)) == Decimal(str(new))
    except InvalidOperation:
        return False
