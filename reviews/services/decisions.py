"""Decisions: approve (the one lifetime authorization) or deny, with the snapshot of the facts
they were made on, and the letter queued after the commit."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError
from django.utils import timezone

from accounts.models import Role, User

from ..dosing import approval_gaps, approval_gaps_message, authorization_valid_to, dose_of
from ..labels import criterion_label, criterion_labels
from ..models import (
    Authorization,
    Case,
    ChecklistOverride,
    Decision,
    Status,
)
from ..policy import current_policy_settings
from ..selectors import effective_overrides, effective_statuses, line_rulings
from ..text import is_blank
from ..workflow import Action, DenialBasis, check_denial_basis
from .appeals import check_appeal_decision
from .base import (
    _locked,
    _on_commit,
    atomic,
    record_event,
)
from .errors import ApprovalDetailsMissing, LifetimeLimitReached, NotAllowed, ServiceError
from .evaluation import (
    active_approvals_for,
    facts_document,
    same_person_keys,
)
from .identity import lock_member_keys, require_identity_settled
from .review import (
    _reviewer_move,
)


def _snapshot(
    case: Case,
    overrides: list[ChecklistOverride] | None = None,
    approvals_on_file: int | None = None,
) -> dict[str, Any]:
    """What a decision was made on. overrides (every ruling on a line, oldest first) and
    approvals_on_file: as the deciding service has just read them in its transaction."""
    if overrides is None:
        overrides = line_rulings(case)
    on = timezone.localdate(case.submitted_at)
    return {
        "facts": facts_document(case, on=on, approvals_on_file=approvals_on_file),
        "checklist": case.checklist,
        "policy_id": case.policy_id,
        "recommendation": case.recommendation,
        "overrides": [
            {
                "criterion": o.criterion_id,
                "engine": o.engine_status,
                "ruling": o.status,
                "reason": o.reason,
                "by": o.actor.username,
                "at": o.created_at.isoformat(),
            }
            for o in overrides
        ],
        "documents": [
            {"id": d.pk, "kind": d.kind, "name": d.original_name, "sha256": d.sha256}
            for d in case.documents.all()
        ],
        # The operating rules in force when the decision was made (clock, validity, appeal).
        "policy_settings": current_policy_settings().as_dict(),
    }


@atomic
def case_approve(*, actor: User, case: Case, reason: str = "") -> Decision:
    """Approve and issue the one lifetime authorization; PostgreSQL refuses a second.

    Every checklist line must stand met, by the engine or by a reviewer's recorded ruling: the
    recommendation informs the reviewer and never decides by itself, in either direction.
    """
    case = _locked(case, with_patient=True)
    from_status, to_status = _reviewer_move(case, actor, Action.APPROVE)
    check_appeal_decision(case, actor)
    now = timezone.now()
    require_identity_settled(case)
    # Approvals of one person under two member keys (ruled the same person) are beyond the
    # unique index: take every key's lock, in one order, before counting.
    same_person = same_person_keys(case)
    lock_member_keys([case.member_key, *same_person])
    # Re-checked at decision time: another clinic's case may have been approved meanwhile.
    if active_approvals_for(case.member_key, excluding=case, same_person=same_person):
        raise LifetimeLimitReached(_lifetime_message(case))
    # Every ruling on a line, read once: the checklist as it stands and the decision's snapshot.
    rulings = line_rulings(case)
    statuses = effective_statuses(case, effective_overrides(case, rulings))
    if unmet := [c for c, status in statuses.items() if status != "met"]:
        raise ServiceError(
            f"Every criterion must be met to approve; not met or unknown: {criterion_labels(unmet)}. "
            "Override a line with the evidence that settles it, or pend or deny the case. "
            "Nothing was changed."
        )
    today = timezone.localdate(now)
    # Every door (portal, REST, FHIR) comes here: the authorization states dose and quantity.
    if gaps := approval_gaps(case, today=today):
        raise ApprovalDetailsMissing(approval_gaps_message(gaps), gaps)
    dose = dose_of(case.body_weight_kg)
    assert dose is not None  # approval_gaps checked the weight
    snapshot = _snapshot(case, rulings, approvals_on_file=0)  # none: refused above otherwise
    decision = _decide(case, actor, Decision.Outcome.APPROVED, reason, [], snapshot)
    # No savepoint of its own: a refused INSERT ends in LifetimeLimitReached, which leaves the
    # service's transaction (reviews.services.base) and rolls it back, decision and all.
    try:
        Authorization.objects.create(
            case=case,
            member_id=case.member_id,
            member_key=case.member_key,
            number=f"HGX-{case.reference.removeprefix('PA-')}",
            valid_from=today,
            valid_to=authorization_valid_to(today),
            policy_id=case.policy_id,
            body_weight_kg=dose.weight_kg,
            dose_volume_ml=dose.volume_ml,
            vial_count=dose.vials,
            planned_infusion_date=case.planned_infusion_date,
            prescriber_npi=case.prescriber_npi,
        )
    except IntegrityError as exc:
        raise LifetimeLimitReached(_lifetime_message(case)) from exc
    _close(case, actor, from_status, to_status, now, reason, decision)
    return decision


def _lifetime_message(case: Case) -> str:
    return (
        f"Member {case.member_id} already has an approved Hemgenix authorization on file. The "
        "policy allows one infusion per lifetime, so this case cannot be approved; nothing was "
        "changed."
    )


@atomic
def case_deny(
    *,
    actor: User,
    case: Case,
    failed_criteria: list[str],
    reason: str,
    basis: str | None = None,
    explanation: str = "",
) -> Decision:
    """Deny with a reason in plain words, on one of three bases (workflow.DenialBasis): lines
    that stand not met; lines still unknown after the clinic was asked for the information and
    did not provide it; or a medical director's clinical judgment with an explanation (cited
    lines optional). Without a basis: not met when every cited line is, else unanswered."""
    case = _locked(case, with_patient=True)
    from_status, to_status = _reviewer_move(case, actor, Action.DENY)
    check_appeal_decision(case, actor)
    if (
        current_policy_settings().denial_requires_medical_director
        and actor.role != Role.MEDICAL_DIRECTOR
    ):
        raise NotAllowed("Denials are made by the medical director; escalate the case instead.")
    statuses = effective_statuses(case)
    failed = [c for c in dict.fromkeys(failed_criteria) if c]
    if unknown := [c for c in failed if c not in statuses]:
        raise ServiceError(
            f"The checklist has no line {', '.join(unknown)!r}; nothing was changed."
        )
    cited = {c: statuses[c] for c in failed}
    if basis is None:
        not_met = all(status == "not_met" for status in cited.values())
        basis = DenialBasis.NOT_MET if not_met else DenialBasis.UNANSWERED
    if basis != DenialBasis.JUDGMENT and (
        met := [criterion_label(c) for c, status in cited.items() if status == "met"]
    ):
        raise ServiceError(
            f"These lines stand met: {', '.join(met)}. Rule on a line with the evidence first "
            "if it is in fact not met, or deny on clinical judgment."
        )
    check_denial_basis(
        basis,
        role=actor.role,
        cited=cited,
        information_requested=case.rfis.exists(),
        explanation=explanation,
    )
    if is_blank(reason):
        raise ServiceError("A denial needs a plain-language reason for the patient and clinic.")
    now = timezone.now()
    snapshot = _snapshot(case)
    # What the denial rests on is part of what it was made on (the letter says which).
    snapshot["denial"] = {"basis": basis, "explanation": explanation.strip()}
    decision = _decide(case, actor, Decision.Outcome.DENIED, reason, failed, snapshot)
    _close(case, actor, from_status, to_status, now, reason, decision)
    return decision


def _decide(
    case: Case,
    actor: User,
    outcome: str,
    reason: str,
    failed: list[str],
    snapshot: dict[str, Any],
) -> Decision:
    return Decision.objects.create(
        case=case,
        outcome=outcome,
        decided_by=actor,
        reason=reason,
        failed_criteria=failed,
        snapshot=snapshot,
    )


def _close(
    case: Case,
    actor: User,
    from_status: str,
    to_status: Status,
    now: Any,
    reason: str,
    decision: Decision,
) -> None:
    case.status = to_status
    case.decided_at = now
    fields = ["status", "decided_at", "updated_at"]
    if case.clock_paused_at is not None:
        case.clock_paused_at = None
        fields.append("clock_paused_at")
    case.save(update_fields=fields)
    record_event(
        case,
        actor,
        Action.APPROVE if to_status == Status.APPROVED else Action.DENY,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        detail={"decision_id": decision.pk, "failed_criteria": decision.failed_criteria},
    )
    _on_commit("generate_letter", decision.pk)
