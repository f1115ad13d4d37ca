"""Result types: one checklist line per criterion, and the evaluation as a whole.

All are frozen and JSON-ready through ``to_dict``/``from_dict`` so an evaluation can
be stored (e.g. in a JSONField) and read back identically.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import date
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """Whether a criterion is satisfied. For an exclusion, MET means the exclusion is absent."""

    MET = "met"
    NOT_MET = "not_met"
    UNKNOWN = "unknown"


class Kind(StrEnum):
    REQUIREMENT = "requirement"
    EXCLUSION = "exclusion"
    LIMIT = "limit"


class Recommendation(StrEnum):
    APPROVE = "approve"
    DENY = "deny"
    PEND = "pend"


# Human labels per (kind, status): an exclusion line says outright whether the
# excluded condition is present, so nobody has to decode a double negative.
_LABELS: dict[tuple[Kind, Status], str] = {
    (Kind.REQUIREMENT, Status.MET): "Met",
    (Kind.REQUIREMENT, Status.NOT_MET): "Not met",
    (Kind.REQUIREMENT, Status.UNKNOWN): "Unknown: information missing",
    (Kind.EXCLUSION, Status.MET): "Exclusion absent (criterion met)",
    (Kind.EXCLUSION, Status.NOT_MET): "Exclusion present (criterion not met)",
    (Kind.EXCLUSION, Status.UNKNOWN): "Unknown: exclusion not ruled out",
    (Kind.LIMIT, Status.MET): "Within limit (criterion met)",
    (Kind.LIMIT, Status.NOT_MET): "Limit reached (criterion not met)",
    (Kind.LIMIT, Status.UNKNOWN): "Unknown: information missing",
}


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _parse_date(value: Any) -> date | None:
    return None if value is None else date.fromisoformat(value)


@dataclass(frozen=True, slots=True)
class Evidence:
    """A fact the engine used: which field, its value as text, and when/where it came from."""

    fact: str
    value: str
    date: date | None = None
    source: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "fact": self.fact,
            "value": self.value,
            "date": _iso(self.date),
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Evidence:
        return cls(data["fact"], data["value"], _parse_date(data.get("date")), data.get("source"))


@dataclass(frozen=True, slots=True)
class CriterionResult:
    """One checklist line."""

    id: str
    kind: Kind
    section: str
    wording: str
    status: Status
    reason: str
    evidence: tuple[Evidence, ...] = ()
    # Set only when status is UNKNOWN: what the clinic should send to settle the line.
    request_for_information: str | None = None

    @property
    def passed(self) -> bool | None:
        """True if the criterion is satisfied, False if it fails, None if unknown."""
        if self.status is Status.UNKNOWN:
            return None
        return self.status is Status.MET

    @property
    def label(self) -> str:
        return _LABELS[(self.kind, self.status)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": str(self.kind),
            "section": self.section,
            "wording": self.wording,
            "status": str(self.status),
            "passed": self.passed,
            "label": self.label,
            "reason": self.reason,
            "evidence": [e.to_dict() for e in self.evidence],
            "request_for_information": self.request_for_information,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CriterionResult:
        # "passed" and "label" are derived, so they are ignored on the way in.
        return cls(
            id=data["id"],
            kind=Kind(data["kind"]),
            section=data["section"],
            wording=data["wording"],
            status=Status(data["status"]),
            reason=data["reason"],
            evidence=tuple(Evidence.from_dict(e) for e in data.get("evidence", ())),
            request_for_information=data.get("request_for_information"),
        )


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The checklist for one request under one policy version, plus a recommendation.

    ``failing`` lists lines not met (requirements unmet, exclusions present, limit
    reached); ``missing`` lists unknown lines, and ``requests_for_information`` holds
    one plain-English ask per missing line, in the same order. Both are filled whatever
    the recommendation, so a reviewer overriding a denial still sees what is missing.
    """

    policy_id: str
    evaluated_on: date
    lines: tuple[CriterionResult, ...]
    recommendation: Recommendation
    failing: tuple[str, ...]
    missing: tuple[str, ...]
    requests_for_information: tuple[str, ...]

    def line(self, criterion_id: str) -> CriterionResult:
        for result in self.lines:
            if result.id == criterion_id:
                return result
        raise KeyError(criterion_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy_id": self.policy_id,
            "evaluated_on": self.evaluated_on.isoformat(),
            "recommendation": str(self.recommendation),
            "failing": list(self.failing),
            "missing": list(self.missing),
            "requests_for_information": list(self.requests_for_information),
            "lines": [line.to_dict() for line in self.lines],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Evaluation:
        return cls(
            policy_id=data["policy_id"],
            evaluated_on=date.fromisoformat(data["evaluated_on"]),
            lines=tuple(CriterionResult.from_dict(line) for line in data["lines"]),
            recommendation=Recommendation(data["recommendation"]),
            failing=tuple(data["failing"]),
            missing=tuple(data["missing"]),
            requests_for_information=tuple(data["requests_for_information"]),
        )


# Fast constructors for the engine's hot path. A frozen dataclass's __init__ goes
# through object.__setattr__ for every field (about 0.6 µs per object here) and an
# evaluation builds ~35 of them, half the 50 µs budget. Filling the slots through
# their descriptors builds identical objects (same fields, equality, immutability)
# at about half the cost. The field names are checked at import so they cannot drift.
_Setter = Callable[[object, object], None]
_new = object.__new__


def _slot_setters(cls: type, names: tuple[str, ...]) -> tuple[_Setter, ...]:
    actual = tuple(f.name for f in fields(cls))
    if actual != names:
        raise RuntimeError(f"{cls.__name__} fields changed: {actual} != {names}")
    return tuple(cls.__dict__[name].__set__ for name in names)


_EV_FACT, _EV_VALUE, _EV_DATE, _EV_SOURCE = _slot_setters(
    Evidence, ("fact", "value", "date", "source")
)
(_CR_ID, _CR_KIND, _CR_SECTION, _CR_WORDING, _CR_STATUS, _CR_REASON, _CR_EVIDENCE, _CR_ASK) = (
    _slot_setters(
        CriterionResult,
        (
            "id",
            "kind",
            "section",
            "wording",
            "status",
            "reason",
            "evidence",
            "request_for_information",
        ),
    )
)


def new_evidence(
    fact: str, value: str, day: date | None = None, source: str | None = None
) -> Evidence:
    """Same as ``Evidence(fact, value, day, source)``, faster."""
    obj = _new(Evidence)
    _EV_FACT(obj, fact)
    _EV_VALUE(obj, value)
    _EV_DATE(obj, day)
    _EV_SOURCE(obj, source)
    return obj


def new_result(
    id: str,
    kind: Kind,
    section: str,
    wording: str,
    status: Status,
    reason: str,
    evidence: tuple[Evidence, ...],
    request_for_information: str | None,
) -> CriterionResult:
    """Same as ``CriterionResult(...)`` with every field given, faster."""
    obj = _new(CriterionResult)
    _CR_ID(obj, id)
    _CR_KIND(obj, kind)
    _CR_SECTION(obj, section)
    _CR_WORDING(obj, wording)
    _CR_STATUS(obj, status)
    _CR_REASON(obj, reason)
    _CR_EVIDENCE(obj, evidence)
    _CR_ASK(obj, request_for_information)
    return obj
