"""A policy version: data (thresholds, wording, dates) plus small predicates.

A revision or another payer's variant is a new ``Policy`` value, typically made with
``dataclasses.replace`` from an existing one; the predicates read every threshold
from the policy they are given, so no code changes are needed for new numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from criteria.facts import Facts
from criteria.results import Evidence, Kind, Status


class Outcome(NamedTuple):
    """What a predicate returns: the status, a one-line reason, the evidence, and,
    when unknown, a specific ask that overrides the criterion's default one."""

    status: Status
    reason: str
    evidence: tuple[Evidence, ...] = ()
    ask: str | None = None


Check = Callable[[Facts, "Policy"], Outcome]


@dataclass(frozen=True, slots=True)
class CriterionDef:
    """One criterion of a policy: its stable id, the policy's own words, and its check."""

    id: str
    kind: Kind
    section: str
    wording: str
    check: Check
    ask: str  # default request for information when the line is unknown


@dataclass(frozen=True, slots=True)
class Policy:
    """One version of a payer's policy. ``effective_to`` is the last day in force
    (inclusive); None means open-ended."""

    id: str
    title: str
    payer: str
    effective_from: date
    effective_to: date | None
    min_age_years: int
    sex_assigned_at_birth: tuple[str, ...]
    diagnosis_codes: tuple[str, ...]
    fix_max_percent: Decimal
    inhibitor_bu_cutoff: Decimal
    inhibitor_assays: tuple[str, ...]
    required_liver_labs: tuple[str, ...]
    required_imaging: tuple[str, ...]
    specialist_specialties: tuple[str, ...]
    lifetime_approvals_limit: int
    criteria: tuple[CriterionDef, ...]
    source: str = ""

    def in_force_on(self, on: date) -> bool:
        if on < self.effective_from:
            return False
        return self.effective_to is None or on <= self.effective_to


class NoPolicyInForce(LookupError):
    """No policy version covers the given date."""

    def __init__(self, on: date) -> None:
        super().__init__(f"No Hemgenix policy version is in force on {on.isoformat()}")
        self.date = on


def select_policy(policies: Iterable[Policy], on: date) -> Policy:
    """The version in force on ``on``; if versions overlap, the one that started last."""
    in_force = [p for p in policies if p.in_force_on(on)]
    if not in_force:
        raise NoPolicyInForce(on)
    return max(in_force, key=lambda p: p.effective_from)
