"""The criteria engine's input for a case (the clinic's facts plus what the portal knows itself)
and the checklist it gives; evaluating saves nothing by itself."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.utils import timezone

from criteria import evaluate
from criteria.io import FactsValidationError, facts_from_dict

from ..models import Authorization, Case, IdentityRuling, Patient, Status
from ..selectors import latest_identity_rulings
from .errors import FactsInvalid


def active_approvals_for(
    member_key: str,
    *,
    excluding: Case | None = None,
    same_person: list[str] | None = None,
    clinic_id: int | None = None,
) -> int:
    """Active authorizations on file for the member (by canonical key, from any clinic), and for
    every other member a reviewer ruled the same person on this case (same_person: those keys,
    when the caller has read them already). With clinic_id: only those on that clinic's own
    requests (what a clinic is shown before it submits, _patient_facts)."""
    if same_person is None:
        same_person = same_person_keys(excluding) if excluding is not None else []
    keys = [member_key, *same_person]
    qs = Authorization.objects.filter(member_key__in=keys, state=Authorization.State.ACTIVE)
    if excluding is not None and excluding.pk is not None:  # a case not yet saved has none
        qs = qs.exclude(case=excluding)
    if clinic_id is not None:
        qs = qs.filter(case__organization_id=clinic_id)
    return qs.count()


def same_person_keys(case: Case) -> list[str]:
    """The other member keys a reviewer ruled the same person as this case's (latest ruling)."""
    rulings = latest_identity_rulings(case).items()
    return [key for key, r in rulings if r.ruling == IdentityRuling.Ruling.SAME]


def facts_document(
    case: Case,
    *,
    on: date | None = None,
    approvals_on_file: int | None = None,
    clinic_scope: bool = False,
) -> dict[str, Any]:
    """The engine's input for a case: the clinic's facts plus the patient record and the
    approvals already on file for the member (from any clinic; approvals_on_file: that count,
    when the caller has just made it in this transaction; clinic_scope: the clinic's own only,
    preview_draft)."""
    patient = _patient_facts(
        case.patient,
        case.member_key,
        excluding=case,
        count=approvals_on_file,
        clinic_scope=clinic_scope,
    )
    return {**case.facts, "evaluation_date": (on or timezone.localdate()).isoformat(), **patient}


def evaluate_case(case: Case, *, on: date | None = None) -> dict[str, Any]:
    return _evaluate_document(facts_document(case, on=on))


def preview_draft(case: Case) -> dict[str, Any]:
    """A draft's checklist as its clinic is shown it: what submitting today would give, except
    that the lifetime line counts only the clinic's own approvals for the member. Before a
    request is filed, no clinic learns from the plan's records whether a member holds an
    approval from another clinic: typing member IDs into drafts would otherwise tell it, without
    a trace. The submission counts every clinic's (evaluate_case), and the reviewer decides."""
    return _scoped(_evaluate_document(facts_document(case, clinic_scope=True)))


def _patient_facts(
    patient: Patient,
    member_key: str,
    *,
    excluding: Case | None = None,
    count: int | None = None,
    clinic_scope: bool = False,
) -> dict[str, Any]:
    """The facts the portal supplies from its own records, never taken from the clinic."""
    if count is None:
        clinic_id = patient.organization_id if clinic_scope else None
        count = active_approvals_for(member_key, excluding=excluding, clinic_id=clinic_id)
    return {
        "date_of_birth": patient.date_of_birth.isoformat(),
        "sex_assigned_at_birth": patient.sex_assigned_at_birth,
        "active_approvals_on_file": count,
    }


def _evaluate_document(document: Mapping[str, Any]) -> dict[str, Any]:
    try:
        facts = facts_from_dict(document)
    except FactsValidationError as exc:
        raise FactsInvalid(list(exc.errors)) from exc
    return evaluate(facts).to_dict()


def validate_facts(data: Mapping[str, Any]) -> None:
    """Check clinic-supplied facts in isolation (dates relative to today)."""
    probe = {**data, "evaluation_date": timezone.localdate().isoformat()}
    try:
        facts_from_dict(probe)
    except FactsValidationError as exc:
        raise FactsInvalid(list(exc.errors)) from exc


def reevaluate(case: Case) -> list[str]:
    """Evaluate a submitted case again, as of its submission date, and store the checklist;
    the fields to save."""
    return _store_evaluation(case, evaluate_case(case, on=timezone.localdate(case.submitted_at)))


def _store_evaluation(case: Case, evaluation: dict[str, Any]) -> list[str]:
    case.checklist = evaluation
    case.policy_id = evaluation["policy_id"]
    case.recommendation = evaluation["recommendation"]
    return ["checklist", "policy_id", "recommendation"]


# --- prescriber portal and API (issue 4) ------------------------------------------------------

# Facts the portal supplies itself (from the patient record, the clock and the authorizations on
# file); a clinic's facts may not carry them.
PORTAL_FACTS = (
    "evaluation_date",
    "date_of_birth",
    "sex_assigned_at_birth",
    "active_approvals_on_file",
)


def evaluate_facts(
    *,
    patient: Patient | None,
    facts: Mapping[str, Any],
    on: date | None = None,
    case: Case | None = None,
) -> dict[str, Any]:
    """The checklist a clinic's unsaved facts would get for this patient; saves nothing.

    Used for the live preview and to check a request before anything is written. The patient
    may be unsaved (a new patient from the API); without one, age and sex stay unknown. The
    lifetime line counts the clinic's own approvals only (preview_draft), unless the facts are
    for a request already filed (case, when they are a saved request's), whose stored checklist
    counts every clinic's.
    """
    refuse_portal_facts(facts)
    document = {**facts, "evaluation_date": (on or timezone.localdate()).isoformat()}
    if patient is None:
        return _evaluate_document(document)
    filed = case is not None and case.status != Status.DRAFT
    document.update(_patient_facts(patient, patient.member_key, clinic_scope=not filed))
    evaluation = _evaluate_document(document)
    return evaluation if filed else _scoped(evaluation)


LIFETIME_LINE = "lifetime_limit"
SCOPED_NOTE = "Counted from your clinic's requests; the plan checks its own records on submission."


def _scoped(evaluation: dict[str, Any]) -> dict[str, Any]:
    """Say on the lifetime line of a clinic's preview what its count covers (preview_draft)."""
    for line in evaluation["lines"]:
        if line["id"] == LIFETIME_LINE:
            line["reason"] = f"{line['reason']}. {SCOPED_NOTE}"
    return evaluation


def refuse_portal_facts(facts: Mapping[str, Any]) -> None:
    if given := [key for key in PORTAL_FACTS if key in facts]:
        raise FactsInvalid(
            [(key, f"{key}: is set by the portal, not by the clinic") for key in given]
        )
