"""Every write to a case. Each function locks the row, checks the move is allowed, saves only the
fields it changed, writes one CaseEvent and queues background work after the commit.

Views and the API call these and never set a status themselves.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import Organization, Role, User
from audit.log import record as audit_record
from audit.policy import current_policy_settings
from criteria import evaluate
from criteria.io import FactsValidationError, facts_from_dict

from . import outbox
from .models import (
    Authorization,
    Case,
    CaseEvent,
    ChecklistOverride,
    Decision,
    Document,
    Patient,
    RequestForInformation,
    Status,
    Urgency,
)
from .workflow import Action, TransitionError, check_holder, check_move

__all__ = ["FactsInvalid", "NotAllowed", "ServiceError", "TransitionError"]


class ServiceError(Exception):
    """Refused; the message is fit to show the user and nothing was changed."""


class NotAllowed(ServiceError):
    pass


class FactsInvalid(ServiceError):
    def __init__(self, errors: list[tuple[str, str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors))


class LifetimeLimitReached(ServiceError):
    pass


# --- helpers ---------------------------------------------------------------------------------


def record_event(
    case: Case,
    actor: User | None,
    action: str,
    *,
    from_status: str = "",
    to_status: str = "",
    reason: str = "",
    detail: Mapping[str, Any] | None = None,
) -> CaseEvent:
    event = CaseEvent.objects.create(
        case=case,
        actor=actor,
        actor_role=actor.role if actor else "system",
        action=action,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        detail=dict(detail or {}),
    )
    # The same transaction writes the audit row: both exist or neither does.
    audit_record(
        action=f"case.{action}",
        actor=actor,
        case=case,
        detail={"from": from_status, "to": to_status, "reason": reason, **event.detail},
    )
    return event


def _locked(case: Case | int) -> Case:
    pk = case.pk if isinstance(case, Case) else case
    return Case.objects.select_for_update().get(pk=pk)


def _require_clinic(actor: User, organization_id: int) -> None:
    if actor.role != Role.PRESCRIBER or actor.organization_id != organization_id:
        raise NotAllowed("Only staff of the requesting clinic may do this.")


def _require_reviewer(actor: User) -> None:
    if actor.role not in (Role.PHARMACIST, Role.MEDICAL_DIRECTOR):
        raise NotAllowed("Only pharmacist reviewers and medical directors may do this.")


def _move(case: Case, actor: User, action: str) -> tuple[str, Status]:
    """Check the move against the workflow table; returns (from, to)."""
    move = check_move(case.status, action, actor.role)
    return case.status, move.to


def _next_reference() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval('reviews_case_reference_seq')")
        row = cursor.fetchone()
    assert row is not None
    return f"PA-{timezone.localdate():%Y}-{row[0]:06d}"


def _clock_hours(urgency: str) -> int:
    return current_policy_settings().clock_hours(urgency)


def _on_commit(task_name: str, *args: Any) -> None:
    """Queue a Celery task through the outbox: sent after the commit, or later by the relay."""
    outbox.enqueue(f"reviews.{task_name}", *args)


# --- facts and evaluation ---------------------------------------------------------------------


def active_approvals_for(member_id: str, *, excluding: Case | None = None) -> int:
    qs = Authorization.objects.filter(member_id=member_id, state=Authorization.State.ACTIVE)
    if excluding is not None:
        qs = qs.exclude(case=excluding)
    return qs.count()


def facts_document(case: Case, *, on: date | None = None) -> dict[str, Any]:
    """The engine's input for a case: the clinic's facts plus the patient record and the
    approvals already on file for the member (from any clinic)."""
    return {
        **case.facts,
        "evaluation_date": (on or timezone.localdate()).isoformat(),
        **_patient_facts(case.patient, case.member_id, excluding=case),
    }


def evaluate_case(case: Case, *, on: date | None = None) -> dict[str, Any]:
    return _evaluate_document(facts_document(case, on=on))


def _patient_facts(
    patient: Patient, member_id: str, *, excluding: Case | None = None
) -> dict[str, Any]:
    """The facts the portal supplies from its own records, never taken from the clinic."""
    return {
        "date_of_birth": patient.date_of_birth.isoformat(),
        "sex_assigned_at_birth": patient.sex_assigned_at_birth,
        "active_approvals_on_file": active_approvals_for(member_id, excluding=excluding),
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


def _store_evaluation(case: Case, evaluation: dict[str, Any]) -> list[str]:
    case.checklist = evaluation
    case.policy_id = evaluation["policy_id"]
    case.recommendation = evaluation["recommendation"]
    return ["checklist", "policy_id", "recommendation"]


# --- patients ---------------------------------------------------------------------------------


@transaction.atomic
def patient_create(*, actor: User, **fields: Any) -> Patient:
    if actor.role != Role.PRESCRIBER or actor.organization is None:
        raise NotAllowed("Only clinic staff may add patients.")
    organization: Organization = actor.organization
    if Patient.objects.filter(organization=organization, member_id=fields["member_id"]).exists():
        raise ServiceError(f"A patient with member ID {fields['member_id']} already exists.")
    return Patient.objects.create(organization=organization, created_by=actor, **fields)


# --- the clinic's side ------------------------------------------------------------------------

DETAIL_FIELDS = ("prescriber_name", "prescriber_npi", "body_weight_kg", "planned_infusion_date")


@transaction.atomic
def case_create(
    *,
    actor: User,
    patient: Patient,
    urgency: str = Urgency.STANDARD,
    expedite_reason: str = "",
    facts: Mapping[str, Any] | None = None,
    idempotency_key: str | None = None,
    **details: Any,
) -> Case:
    """A new draft request for one of the clinic's patients."""
    _require_clinic(actor, patient.organization_id)
    _check_urgency(urgency, expedite_reason)
    facts = dict(facts or {})
    validate_facts(facts)
    case = Case.objects.create(
        reference=_next_reference(),
        organization_id=patient.organization_id,
        patient=patient,
        member_id=patient.member_id,
        urgency=urgency,
        expedite_reason=expedite_reason,
        facts=facts,
        created_by=actor,
        idempotency_key=idempotency_key,
        **{k: v for k, v in details.items() if k in DETAIL_FIELDS},
    )
    record_event(case, actor, "created", to_status=Status.DRAFT)
    return case


def _check_urgency(urgency: str, expedite_reason: str) -> None:
    if urgency not in Urgency.values:
        raise ServiceError(f"Urgency must be one of {', '.join(Urgency.values)}.")
    if urgency == Urgency.EXPEDITED and not expedite_reason.strip():
        raise ServiceError(
            "An expedited request needs the reason waiting the standard time could "
            "seriously jeopardize the patient's life, health or function."
        )


@transaction.atomic
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
    if case.status != Status.DRAFT:
        raise TransitionError(
            "This request was submitted and is frozen; changes go through an answer to a "
            "request for information."
        )
    _check_urgency(urgency, expedite_reason)
    validate_facts(facts)
    case.facts = dict(facts)
    case.urgency = urgency
    case.expedite_reason = expedite_reason
    for name in DETAIL_FIELDS:
        if name in details:
            setattr(case, name, details[name])
    case.save(update_fields=["facts", "urgency", "expedite_reason", *DETAIL_FIELDS, "updated_at"])
    record_event(case, actor, "draft_saved", from_status=Status.DRAFT, to_status=Status.DRAFT)
    return case


@transaction.atomic
def case_submit(*, actor: User, case: Case) -> Case:
    """Freeze the request, store its auto-evaluated checklist and start the review clock."""
    case = _locked(case)
    _require_clinic(actor, case.organization_id)
    from_status, to_status = _move(case, actor, Action.SUBMIT)
    now = timezone.now()
    evaluation = evaluate_case(case, on=timezone.localdate(now))
    fields = _store_evaluation(case, evaluation)
    case.status = to_status
    case.submitted_at = now
    case.due_at = now + timedelta(hours=_clock_hours(case.urgency))
    case.save(update_fields=[*fields, "status", "submitted_at", "due_at", "updated_at"])
    record_event(
        case,
        actor,
        Action.SUBMIT,
        from_status=from_status,
        to_status=to_status,
        detail={"policy_id": case.policy_id, "recommendation": case.recommendation},
    )
    return case


@transaction.atomic
def case_answer_rfi(
    *, actor: User, case: Case, facts: Mapping[str, Any] | None = None, note: str = ""
) -> Case:
    """The clinic's answer to a pend: new facts (merged over the old) and/or a note."""
    case = _locked(case)
    _require_clinic(actor, case.organization_id)
    from_status, to_status = _move(case, actor, Action.ANSWER)
    rfi = case.rfis.filter(answered_at__isnull=True).first()
    if not facts and not note.strip():
        raise ServiceError("Give the requested information or a note explaining it.")
    merged = {**case.facts, **(facts or {})}
    validate_facts(merged)
    changed = sorted(k for k in (facts or {}) if case.facts.get(k) != merged[k])
    case.facts = merged
    now = timezone.now()
    fields = _store_evaluation(case, evaluate_case(case, on=timezone.localdate(case.submitted_at)))
    fields += _resume_clock(case, now)
    if case.assigned_to_id is None:
        to_status = Status.SUBMITTED  # released while pended: back to the shared queue
    case.status = to_status
    case.save(update_fields=[*fields, "facts", "status", "updated_at"])
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


@transaction.atomic
def case_withdraw(*, actor: User, case: Case, reason: str = "") -> Case:
    case = _locked(case)
    _require_clinic(actor, case.organization_id)
    from_status, to_status = _move(case, actor, Action.WITHDRAW)
    case.status = to_status
    case.assigned_to = None
    case.save(update_fields=["status", "assigned_to", "updated_at"])
    record_event(
        case, actor, Action.WITHDRAW, from_status=from_status, to_status=to_status, reason=reason
    )
    return case


# --- documents --------------------------------------------------------------------------------

ALLOWED_TYPES = {
    b"%PDF-": "application/pdf",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
}
EXTENSIONS = {"application/pdf": (".pdf",), "image/png": (".png",), "image/jpeg": (".jpg", ".jpeg")}


def sniff_content_type(head: bytes) -> str | None:
    return next((kind for magic, kind in ALLOWED_TYPES.items() if head.startswith(magic)), None)


@transaction.atomic
def document_attach(
    *,
    actor: User,
    case: Case,
    upload: UploadedFile,
    kind: str,
    supports: Iterable[str] = (),
) -> Document:
    """Store a lab or imaging report; the content decides the type, not the file's name."""
    case = _locked(case)
    _require_clinic(actor, case.organization_id)
    if case.status not in (Status.DRAFT, Status.PENDED):
        raise TransitionError(
            "Documents can be added to a draft or in answer to a request for information."
        )
    content_type = _check_upload(upload)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    document = Document(
        case=case,
        kind=kind,
        supports=sorted(set(supports)),
        original_name=(upload.name or "document")[-255:],
        content_type=content_type,
        size=upload.size or 0,
        sha256=digest.hexdigest(),
        uploaded_by=actor,
    )
    document.file.save("upload", upload, save=False)
    document.save()
    record_event(
        case,
        actor,
        "document_added",
        detail={"document_id": document.pk, "kind": kind, "name": document.original_name},
    )
    return document


def _check_upload(upload: UploadedFile) -> str:
    limit = int(settings.DOCUMENT_MAX_BYTES)
    if not upload.size:
        raise ServiceError("The file is empty.")
    if upload.size > limit:
        raise ServiceError(f"The file is larger than the {limit // (1024 * 1024)} MB limit.")
    head = upload.read(16)
    upload.seek(0)
    content_type = sniff_content_type(head)
    if content_type is None:
        raise ServiceError("Only PDF, PNG and JPEG files are accepted; this file is none of them.")
    name = (upload.name or "").lower()
    if not name.endswith(EXTENSIONS[content_type]):
        raise ServiceError(
            f"The file's name does not match its content ({content_type}); rename it and try again."
        )
    return content_type


# --- the reviewer's side ----------------------------------------------------------------------


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
    holder = case.assigned_to if case.assigned_to_id is not None else None
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


@transaction.atomic
def case_claim(*, actor: User, case: Case, reason: str = "") -> Case:
    return _reassign(_locked(case), actor, Action.CLAIM, actor, reason)


@transaction.atomic
def case_assign(*, actor: User, case: Case, reviewer: User, reason: str = "") -> Case:
    case = _locked(case)
    _require_reviewer(actor)
    if reviewer.role not in (Role.PHARMACIST, Role.MEDICAL_DIRECTOR) or not reviewer.is_active:
        raise ServiceError("Cases can only be assigned to an active reviewer.")
    if case.status == Status.ESCALATED and reviewer.role != Role.MEDICAL_DIRECTOR:
        raise ServiceError("An escalated case can only be assigned to a medical director.")
    if case.assigned_to_id == reviewer.pk and case.is_open:
        raise ServiceError(f"{reviewer.display_name} already has this case; nothing was changed.")
    return _reassign(case, actor, Action.ASSIGN, reviewer, reason)


@transaction.atomic
def case_release(*, actor: User, case: Case, reason: str = "") -> Case:
    return _reassign(_locked(case), actor, Action.RELEASE, None, reason)


@transaction.atomic
def case_pend(*, actor: User, case: Case, items: list[str], message: str = "") -> Case:
    """Ask the clinic for information; the clock pauses if the policy setting says so."""
    case = _locked(case)
    from_status, to_status = _reviewer_move(case, actor, Action.PEND)
    items = [item.strip() for item in items if item.strip()]
    if not items:
        raise ServiceError("List at least one item of information the clinic must provide.")
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


@transaction.atomic
def case_escalate(*, actor: User, case: Case, reason: str) -> Case:
    case = _locked(case)
    from_status, to_status = _reviewer_move(case, actor, Action.ESCALATE)
    if not reason.strip():
        raise ServiceError("Say why the case needs the medical director.")
    case.status = to_status
    case.assigned_to = None
    case.save(update_fields=["status", "assigned_to", "updated_at"])
    record_event(
        case, actor, Action.ESCALATE, from_status=from_status, to_status=to_status, reason=reason
    )
    return case


@transaction.atomic
def checklist_override(
    *, actor: User, case: Case, criterion_id: str, status: str, reason: str
) -> ChecklistOverride:
    """Record a reviewer's ruling on one line beside the engine's result (never replacing it).

    Whoever may decide the case now may rule on its lines: the same checks as a decision.
    """
    case = _locked(case)
    if case.status not in (Status.IN_REVIEW, Status.ESCALATED):
        _require_reviewer(actor)
        raise TransitionError(
            "Checklist lines can be overridden only while the case is in review or escalated."
        )
    _reviewer_move(case, actor, Action.APPROVE)
    if status not in ChecklistOverride.Ruling.values:
        raise ServiceError("An override rules a line met or not met.")
    if not reason.strip():
        raise ServiceError("An override needs a reason: say what evidence settles the line.")
    line = next((ln for ln in case.checklist.get("lines", []) if ln["id"] == criterion_id), None)
    if line is None:
        raise ServiceError(f"The checklist has no line {criterion_id!r}.")
    if effective_statuses(case).get(criterion_id) == status:
        raise ServiceError(f"The line {criterion_id!r} already reads {status.replace('_', ' ')}.")
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
        "override",
        reason=reason,
        detail={"criterion": criterion_id, "engine": line["status"], "ruling": status},
    )
    return override


def effective_overrides(case: Case) -> dict[str, ChecklistOverride]:
    """The latest ruling per line (overrides are ordered oldest first)."""
    return {o.criterion_id: o for o in case.overrides.select_related("actor")}


def effective_statuses(
    case: Case, overrides: Mapping[str, ChecklistOverride] | None = None
) -> dict[str, str]:
    """Each line's status as the reviewer stands on it: the latest ruling, else the engine's."""
    rulings = effective_overrides(case) if overrides is None else overrides
    return {
        line["id"]: rulings[line["id"]].status if line["id"] in rulings else line["status"]
        for line in case.checklist.get("lines", [])
    }


def _snapshot(case: Case) -> dict[str, Any]:
    return {
        "facts": facts_document(case, on=timezone.localdate(case.submitted_at)),
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
            for o in case.overrides.select_related("actor")
        ],
        "documents": [
            {"id": d.pk, "kind": d.kind, "name": d.original_name, "sha256": d.sha256}
            for d in case.documents.all()
        ],
        # The operating rules in force when the decision was made (clock, validity, appeal).
        "policy_settings": current_policy_settings().as_dict(),
    }


@transaction.atomic
def case_approve(*, actor: User, case: Case, reason: str = "") -> Decision:
    """Approve and issue the one lifetime authorization; PostgreSQL refuses a second.

    Every checklist line must stand met, by the engine or by a reviewer's recorded ruling: the
    recommendation informs the reviewer and never decides by itself, in either direction.
    """
    case = _locked(case)
    from_status, to_status = _reviewer_move(case, actor, Action.APPROVE)
    now = timezone.now()
    # Re-checked at decision time: another clinic's case may have been approved meanwhile.
    if active_approvals_for(case.member_id, excluding=case):
        raise LifetimeLimitReached(_lifetime_message(case))
    if unmet := [c for c, status in effective_statuses(case).items() if status != "met"]:
        raise ServiceError(
            f"Every criterion must be met to approve; not met or unknown: {', '.join(unmet)}. "
            "Override a line with the evidence that settles it, or pend or deny the case. "
            "Nothing was changed."
        )
    decision = _decide(case, actor, Decision.Outcome.APPROVED, reason, [], now)
    today = timezone.localdate(now)
    try:
        with transaction.atomic():
            Authorization.objects.create(
                case=case,
                member_id=case.member_id,
                number=f"HGX-{case.reference.removeprefix('PA-')}",
                valid_from=today,
                valid_to=today + timedelta(days=current_policy_settings().authorization_valid_days),
                policy_id=case.policy_id,
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


@transaction.atomic
def case_deny(*, actor: User, case: Case, failed_criteria: list[str], reason: str) -> Decision:
    """Deny on criteria that stand not met or unknown, with a reason in plain words."""
    case = _locked(case)
    from_status, to_status = _reviewer_move(case, actor, Action.DENY)
    if (
        current_policy_settings().denial_requires_medical_director
        and actor.role != Role.MEDICAL_DIRECTOR
    ):
        raise NotAllowed("Denials are made by the medical director; escalate the case instead.")
    statuses = effective_statuses(case)
    failed = [c for c in dict.fromkeys(failed_criteria) if c]
    if not failed:
        raise ServiceError("Choose at least one criterion the request fails.")
    if unknown := [c for c in failed if c not in statuses]:
        raise ServiceError(f"Unknown criteria: {', '.join(unknown)}.")
    if met := [c for c in failed if statuses[c] == "met"]:
        raise ServiceError(
            f"These lines stand met: {', '.join(met)}. Override a line with the evidence first "
            "if it is in fact not met."
        )
    if not reason.strip():
        raise ServiceError("A denial needs a plain-language reason for the patient and clinic.")
    now = timezone.now()
    decision = _decide(case, actor, Decision.Outcome.DENIED, reason, failed, now)
    _close(case, actor, from_status, to_status, now, reason, decision)
    return decision


def _decide(
    case: Case, actor: User, outcome: str, reason: str, failed: list[str], now: Any
) -> Decision:
    return Decision.objects.create(
        case=case,
        outcome=outcome,
        decided_by=actor,
        reason=reason,
        failed_criteria=failed,
        snapshot=_snapshot(case),
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
        "approve" if to_status == Status.APPROVED else "deny",
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        detail={"decision_id": decision.pk, "failed_criteria": decision.failed_criteria},
    )
    _on_commit("generate_letter", decision.pk)


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
    *, patient: Patient | None, facts: Mapping[str, Any], on: date | None = None
) -> dict[str, Any]:
    """The checklist a clinic's unsaved facts would get for this patient; saves nothing.

    Used for the live preview and to check a request before anything is written. The patient
    may be unsaved (a new patient from the API); without one, age and sex stay unknown.
    """
    refuse_portal_facts(facts)
    document = {**facts, "evaluation_date": (on or timezone.localdate()).isoformat()}
    if patient is not None:
        document.update(_patient_facts(patient, patient.member_id))
    return _evaluate_document(document)


def refuse_portal_facts(facts: Mapping[str, Any]) -> None:
    if given := [key for key in PORTAL_FACTS if key in facts]:
        raise FactsInvalid(
            [(key, f"{key}: is set by the portal, not by the clinic") for key in given]
        )


def patient_get_or_create(*, actor: User, member_id: str, **fields: Any) -> tuple[Patient, bool]:
    """The clinic's patient with this member ID, created from fields if new. Two requests racing
    to add the same member leave one patient: the unique constraint decides, the loser reuses."""
    if actor.role != Role.PRESCRIBER or actor.organization_id is None:
        raise NotAllowed("Only clinic staff may add patients.")
    mine = Patient.objects.filter(organization_id=actor.organization_id, member_id=member_id)
    if (existing := mine.first()) is not None:
        return existing, False
    try:
        with transaction.atomic():
            return patient_create(actor=actor, member_id=member_id, **fields), True
    except (IntegrityError, ServiceError):
        # Another request added the member between our look and our insert.
        if (winner := mine.first()) is None:
            raise
        return winner, False


@transaction.atomic
def case_file(*, actor: User, patient: Patient, submit: bool = False, **fields: Any) -> Case:
    """Create a request and, if asked, submit it in the same transaction: a submit the policy
    engine refuses leaves no draft behind."""
    case = case_create(actor=actor, patient=patient, **fields)
    return case_submit(actor=actor, case=case) if submit else case


@transaction.atomic
def case_revise(*, actor: User, case: Case, submit: bool = False, **fields: Any) -> Case:
    """Save a draft's changes and, if asked, submit it: both happen or neither does."""
    case = case_update_draft(actor=actor, case=case, **fields)
    return case_submit(actor=actor, case=case) if submit else case
