"""The reviewer's moves on an open case: claim, assign, release, pend, escalate, and rulings on
checklist lines."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from accounts.models import REVIEWER_ROLES, User

from ..labels import criterion_label, status_label
from ..models import (
    PEND_ITEM_MAX_LENGTH,
    PEND_ITEMS_MAX,
    Case,
    ChecklistOverride,
    RequestForInformation,
    Status,
)
from ..policy import current_policy_settings
from ..selectors import effective_statuses
from ..text import is_blank
from ..workflow import Action, check_assignee, check_holder
from .base import (
    _locked,
    _move,
    _require_reviewer,
    atomic,
    record_event,
)
from .errors import ServiceError


def _reviewer_move(case: Case, actor: User, action: str) -> tuple[str, Status]:
    """Role, workflow-table and holder checks for a reviewer's move; returns (from, to).

    A claim on an open case someone holds says who holds it (the usual race between two
    reviewers); every other refusal reads from the table first, so a decided case always answers
    "already decided".
    """
    _require_reviewer(actor)
    if action == Action.CLAIM and case.is_open:
        _check_holder(case, actor, action)
    from_status, to_status = _move(case, actor, action)
    _check_holder(case, actor, action)
    return from_status, to_status


def _check_holder(case: Case, actor: User, action: str) -> None:
    # The holder's name is only for a refusal; the actor holding the case needs no query.
    holder = actor if case.assigned_to_id == actor.pk else case.assigned_to
    check_holder(
        action,
        role=actor.role,
        actor_id=actor.pk,
        holder_id=case.assigned_to_id,
        holder_name=holder.display_name if holder is not None else "",
    )


def _reassign(
    case: Case, actor: User, action: str, holder: User | None, reason: str, **detail: Any
) -> Case:
    """Claim, assign and release: only who holds the case changes (and maybe the status)."""
    from_status, to_status = _reviewer_move(case, actor, action)
    previous = case.assigned_to_id
    case.status = to_status
    case.assigned_to = holder
    case.save(update_fields=["status", "assigned_to", "updated_at"])
    record_event(
        case,
        actor,
        action,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        detail={"assigned_to": getattr(holder, "username", None), "previous": previous, **detail},
    )
    return case


@atomic
def case_claim(*, actor: User, case: Case, reason: str = "") -> Case:
    return _reassign(_locked(case), actor, Action.CLAIM, actor, reason)


@atomic
def case_assign(*, actor: User, case: Case, reviewer: User, reason: str = "") -> Case:
    case = _locked(case)
    _require_reviewer(actor)
    if reviewer.role not in REVIEWER_ROLES or not reviewer.is_active:
        raise ServiceError("Cases can only be assigned to an active reviewer.")
    check_assignee(case.status, role=reviewer.role, escalated=case.is_escalated)
    if case.assigned_to_id == reviewer.pk and case.is_open:
        raise ServiceError(f"{reviewer.display_name} already has this case; nothing was changed.")
    return _reassign(case, actor, Action.ASSIGN, reviewer, reason)


@atomic
def case_release(*, actor: User, case: Case, reason: str = "") -> Case:
    return _reassign(_locked(case), actor, Action.RELEASE, None, reason)


def pend_items_kept(items: Iterable[str]) -> list[str]:
    """The items a pend sends: each trimmed, those that show nothing (reviews.text) left out."""
    return [item.strip() for item in items if not is_blank(item)]


def pend_items_problem(items: list[str]) -> str:
    """Why a pend's list of items (pend_items_kept) cannot be sent; "" if it can."""
    if not items:
        return "List at least one item of information the clinic must provide."
    if len(items) > PEND_ITEMS_MAX:
        return f"List at most {PEND_ITEMS_MAX} items of information; this list has {len(items)}."
    for number, item in enumerate(items, start=1):
        if len(item) > PEND_ITEM_MAX_LENGTH:
            return (
                f"Item {number} has {len(item):,} characters; each item may have at most "
                f"{PEND_ITEM_MAX_LENGTH}."
            )
    return ""


@atomic
def case_pend(*, actor: User, case: Case, items: list[str], message: str = "") -> Case:
    """Ask the clinic for information; the clock pauses if the policy setting says so."""
    case = _locked(case)
    from_status, to_status = _reviewer_move(case, actor, Action.PEND)
    items = pend_items_kept(items)
    if problem := pend_items_problem(items):
        raise ServiceError(problem)
    now = timezone.now()
    case.status = to_status
    case.ever_pended = True
    fields = ["status", "ever_pended", "updated_at"]
    if case.assigned_to_id is None:
        # A director pending an escalated case gets the answer back.
        case.assigned_to = actor
        fields.append("assigned_to")
    if current_policy_settings().clock_pauses_while_pended:
        case.clock_paused_at = now
        fields.append("clock_paused_at")
    case.save(update_fields=fields)
    RequestForInformation.objects.create(
        case=case, requested_by=actor, items=items, message=message
    )
    record_event(
        case,
        actor,
        Action.PEND,
        from_status=from_status,
        to_status=to_status,
        reason=message,
        detail={"items": items},
    )
    return case


@atomic
def case_escalate(*, actor: User, case: Case, reason: str) -> Case:
    case = _locked(case)
    from_status, to_status = _reviewer_move(case, actor, Action.ESCALATE)
    if is_blank(reason):
        raise ServiceError("Say why the case needs the medical director.")
    case.status = to_status
    case.assigned_to = None
    # Remembered with the move: the case stays the directors' through a pend and its answer.
    case.escalated_at = timezone.now()
    case.save(update_fields=["status", "assigned_to", "escalated_at", "updated_at"])
    record_event(
        case, actor, Action.ESCALATE, from_status=from_status, to_status=to_status, reason=reason
    )
    return case


@atomic
def checklist_override(
    *, actor: User, case: Case, criterion_id: str, status: str, reason: str
) -> ChecklistOverride:
    """Record a reviewer's ruling on one line beside the engine's result (never replacing it).

    Whoever may decide the case now may rule on its lines (workflow: Action.RULE).
    """
    case = _locked(case)
    from_status, to_status = _reviewer_move(case, actor, Action.RULE)
    if status not in ChecklistOverride.Ruling.values:
        raise ServiceError("A ruling reads met, not met or unknown.")
    if is_blank(reason):
        raise ServiceError("An override needs a reason: say what evidence settles the line.")
    line = next((ln for ln in case.checklist.get("lines", []) if ln["id"] == criterion_id), None)
    if line is None:
        raise ServiceError(f"The checklist has no line {criterion_id!r}.")
    if effective_statuses(case).get(criterion_id) == status:
        raise ServiceError(
            f"The line {criterion_label(criterion_id)!r} already reads "
            f"{status_label(status).lower()}."
        )
    override = ChecklistOverride.objects.create(
        case=case,
        criterion_id=criterion_id,
        engine_status=line["status"],
        status=status,
        reason=reason,
        actor=actor,
    )
    record_event(
        case,
        actor,
        Action.RULE,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        detail={"criterion": criterion_id, "engine": line["status"], "ruling": status},
    )
    return override
