"""The clinic's side of a case: drafts, submitting, answering a request for information,
withdrawing."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from accounts.models import User

from ..dosing import WEIGHT_STEP, request_detail_problems
from ..models import (
    CLINIC_TEXT_MAX_LENGTH,
    Case,
    Patient,
    Status,
    Urgency,
)
from ..text import is_blank
from ..workflow import Action
from .base import (
    _clock_hours,
    _locked,
    _move,
    _next_reference,
    _require_clinic,
    atomic,
    record_event,
    record_events,
)
from .errors import DetailsInvalid, ServiceError
from .evaluation import (
    _store_evaluation,
    evaluate_case,
    reevaluate,
    validate_facts,
)

DETAIL_FIELDS = ("prescriber_name", "prescriber_npi", "body_weight_kg", "planned_infusion_date")


@atomic
def case_create(*, actor: User, patient: Patient, **fields: Any) -> Case:
    """A new draft request for one of the clinic's patients."""
    return create_draft(actor=actor, patient=patient, **fields)


def create_draft(*, actor: User, patient: Patient, **fields: Any) -> Case:
    """case_create() inside a transaction the caller holds (the intake's), without a savepoint
    of its own; fields as _new_draft() takes them."""
    case = _new_draft(actor, patient, **fields)
    case.save(force_insert=True)
    record_event(case, actor, Action.CREATE, to_status=Status.DRAFT)
    return case


def create_submitted(*, actor: User, patient: Patient, **fields: Any) -> Case:
    """create_draft() then submit_locked(), with the case written once: the same checks, fields,
    events (created, then submit) and audit rows as the two steps, but one INSERT of the case
    already submitted and one of both events, instead of an INSERT, an UPDATE and two events
    (the intake's create-and-submit, issue 20). Inside a transaction the caller holds."""
    case = _new_draft(actor, patient, **fields)
    from_status, to_status = _move(case, actor, Action.SUBMIT)
    _submit(case, to_status)
    case.save(force_insert=True)
    record_events(
        case,
        actor,
        {"action": Action.CREATE, "to_status": Status.DRAFT},
        _submit_event(from_status, to_status, case),
    )
    return case


def _new_draft(
    actor: User,
    patient: Patient,
    *,
    urgency: str = Urgency.STANDARD,
    expedite_reason: str = "",
    facts: Mapping[str, Any] | None = None,
    **details: Any,
) -> Case:
    """A draft request, checked and not yet saved; details other than DETAIL_FIELDS are ignored."""
    _require_clinic(actor, patient.organization_id)
    _check_urgency(urgency, expedite_reason)
    details = _checked_details(details)
    facts = dict(facts or {})
    validate_facts(facts)
    return Case(
        reference=_next_reference(),
        organization_id=patient.organization_id,
        patient=patient,
        member_id=patient.member_id,
        member_key=patient.member_key,
        urgency=urgency,
        expedite_reason=expedite_reason,
        facts=facts,
        created_by=actor,
        **details,
    )


def given_details(details: Mapping[str, Any] | None) -> dict[str, Any]:
    """The details given with a value: an empty one leaves what is on file as it is."""
    return {k: v for k, v in (details or {}).items() if v not in (None, "")}


def _checked_details(details: Mapping[str, Any]) -> dict[str, Any]:
    """The DETAIL_FIELDS of details, refused (DetailsInvalid) when one is a value no door may
    give: the one check of every door's details (reviews.dosing.request_detail_problems). The
    weight is kept to the tenth of a kg the case holds (a FHIR weight in pounds has more)."""
    given = {k: v for k, v in details.items() if k in DETAIL_FIELDS}
    if isinstance(planned := given.get("planned_infusion_date"), str):  # as Case's field takes it
        given["planned_infusion_date"] = date.fromisoformat(planned)
    if problems := request_detail_problems(given, today=timezone.localdate()):
        raise DetailsInvalid(problems)
    if given.get("body_weight_kg") is not None:
        given["body_weight_kg"] = Decimal(str(given["body_weight_kg"])).quantize(WEIGHT_STEP)
    return given


def _check_urgency(urgency: str, expedite_reason: str) -> None:
    if urgency not in Urgency.values:
        raise ServiceError(f"Urgency must be one of {', '.join(Urgency.values)}.")
    check_clinic_text("The reason for an expedited review", expedite_reason)
    if urgency == Urgency.EXPEDITED and is_blank(expedite_reason):
        raise ServiceError(
            "An expedited request needs the reason waiting the standard time could "
            "seriously jeopardize the patient's life, health or function."
        )


def check_clinic_text(what: str, text: str) -> None:
    """The one limit of the clinic's free text, for every door (models.CLINIC_TEXT_MAX_LENGTH)."""
    if len(text) > CLINIC_TEXT_MAX_LENGTH:
        raise ServiceError(
            f"{what} can be at most {CLINIC_TEXT_MAX_LENGTH:,} characters; this one has "
            f"{len(text):,}. Nothing was changed."
        )


@atomic
def case_update_draft(
    *,
    actor: User,
    case: Case,
    facts: Mapping[str, Any],
    urgency: str,
    expedite_reason: str = "",
    **details: Any,
) -> Case:
    case = _locked(case)
    _require_clinic(actor, case.organization_id)
    from_status, to_status = _move(case, actor, Action.EDIT)
    _check_urgency(urgency, expedite_reason)
    details = _checked_details(details)
    validate_facts(facts)
    case.facts = dict(facts)
    case.urgency = urgency
    case.expedite_reason = expedite_reason
    for name, value in details.items():
        setattr(case, name, value)
    case.save(update_fields=["facts", "urgency", "expedite_reason", *DETAIL_FIELDS, "updated_at"])
    record_event(case, actor, Action.EDIT, from_status=from_status, to_status=to_status)
    return case


@atomic
def case_submit(*, actor: User, case: Case) -> Case:
    """Freeze the request, store its auto-evaluated checklist and start the review clock."""
    return submit_locked(actor=actor, case=_locked(case))


def submit_locked(*, actor: User, case: Case) -> Case:
    """case_submit() of a case this transaction holds: locked by the caller, or made by it and
    so seen by no one else yet."""
    _require_clinic(actor, case.organization_id)
    from_status, to_status = _move(case, actor, Action.SUBMIT)
    fields = _submit(case, to_status)
    case.save(update_fields=[*fields, "updated_at"])
    record_event(case, actor, **_submit_event(from_status, to_status, case))
    return case


def _submit(case: Case, to_status: str) -> list[str]:
    """Freeze the request: its checklist, status and review clock; the fields set."""
    now = timezone.now()
    evaluation = evaluate_case(case, on=timezone.localdate(now))
    fields = _store_evaluation(case, evaluation)
    case.status = to_status
    case.submitted_at = now
    case.due_at = now + timedelta(hours=_clock_hours(case.urgency))
    return [*fields, "status", "submitted_at", "due_at"]


def _submit_event(from_status: str, to_status: str, case: Case) -> dict[str, Any]:
    return {
        "action": Action.SUBMIT,
        "from_status": from_status,
        "to_status": to_status,
        "detail": {"policy_id": case.policy_id, "recommendation": case.recommendation},
    }


@atomic
def case_answer_rfi(
    *,
    actor: User,
    case: Case,
    facts: Mapping[str, Any] | None = None,
    note: str = "",
    details: Mapping[str, Any] | None = None,
) -> Case:
    """The clinic's answer to a pend: new facts (merged over the old) and/or a note; details
    (DETAIL_FIELDS: the weight, planned infusion date and prescriber an approval needs, issue 16)
    given with a value replace those on file."""
    case = _locked(case)
    _require_clinic(actor, case.organization_id)
    from_status, to_status = _move(case, actor, Action.ANSWER)
    rfi = case.rfis.filter(answered_at__isnull=True).first()
    given = _checked_details(given_details(details))
    if not facts and is_blank(note) and not given:
        raise ServiceError("Give the requested information or a note explaining it.")
    check_clinic_text("The note", note)
    merged = {**case.facts, **(facts or {})}
    validate_facts(merged)
    changed = sorted(k for k in (facts or {}) if case.facts.get(k) != merged[k])
    changed_details = sorted(k for k, v in given.items() if getattr(case, k) != v)
    for name in changed_details:
        setattr(case, name, given[name])
    changed += changed_details
    case.facts = merged
    now = timezone.now()
    fields = reevaluate(case)
    fields += _resume_clock(case, now)
    case.status = to_status
    case.save(update_fields=[*fields, *changed_details, "facts", "status", "updated_at"])
    if rfi is not None:
        rfi.answered_by = actor
        rfi.answered_at = now
        rfi.answer_note = note
        rfi.save(update_fields=["answered_by", "answered_at", "answer_note"])
    record_event(
        case,
        actor,
        Action.ANSWER,
        from_status=from_status,
        to_status=to_status,
        reason=note,
        detail={"changed_facts": changed, "recommendation": case.recommendation},
    )
    return case


def _resume_clock(case: Case, now: Any) -> list[str]:
    if case.clock_paused_at is None or case.due_at is None:
        return []
    case.due_at += now - case.clock_paused_at
    case.clock_paused_at = None
    return ["due_at", "clock_paused_at"]


@atomic
def case_withdraw(*, actor: User, case: Case, reason: str = "") -> Case:
    case = _locked(case)
    _require_clinic(actor, case.organization_id)
    from_status, to_status = _move(case, actor, Action.WITHDRAW)
    check_clinic_text("The reason", reason)
    case.status = to_status
    case.assigned_to = None
    case.save(update_fields=["status", "assigned_to", "updated_at"])
    record_event(
        case, actor, Action.WITHDRAW, from_status=from_status, to_status=to_status, reason=reason
    )
    return case


@atomic
def case_revise(*, actor: User, case: Case, submit: bool = False, **fields: Any) -> Case:
    """Save a draft's changes and, if asked, submit it: both happen or neither does."""
    case = case_update_draft(actor=actor, case=case, **fields)
    return case_submit(actor=actor, case=case) if submit else case
