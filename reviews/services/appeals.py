"""Appeals: a clinic appeals a denial, before the appeal deadline, with a statement, new facts
and documents. The appeal is a case of its own linked to the denied one (Case.appeal_of): the
engine evaluates it again, it runs on the appeal clock (settings.APPEAL_CLOCK_HOURS), and only
a medical director who did not decide the denied case may decide it (reviews.workflow, and
PostgreSQL: migration 0008_appeals). Its decision gets a letter of its own."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone

from accounts.models import User

from ..dosing import request_detail_problems
from ..models import Case, Decision, Urgency
from ..policy import appeal_deadline_of
from ..text import is_blank
from ..workflow import Action, check_appeal, check_appeal_decider
from .base import _locked, _require_clinic, atomic, record_event
from .documents import document_attach
from .drafting import (
    DETAIL_FIELDS,
    check_clinic_text,
    create_draft,
    given_details,
    submit_locked,
)
from .errors import ServiceError
from .evaluation import refuse_portal_facts


def appeal_deadline(case: Case) -> Any:
    """The last day the denial of case may be appealed (the appeal window in force at the
    decision, from its day, as its letter states), or None if it is not a decided case."""
    decision = Decision.objects.filter(case=case).only("created_at", "snapshot").first()
    return None if decision is None else appeal_deadline_of(decision)


def appeal_clock_hours(urgency: str) -> int:
    return int(settings.APPEAL_CLOCK_HOURS[urgency])


@atomic
def case_appeal(
    *,
    actor: User,
    case: Case,
    statement: str,
    facts: Mapping[str, Any] | None = None,
    documents: Iterable[tuple[UploadedFile, str]] = (),
    urgency: str = Urgency.STANDARD,
    expedite_reason: str = "",
    details: Mapping[str, Any] | None = None,
) -> Case:
    """File the clinic's appeal of a denied case; returns the appeal (submitted, on its clock).

    New facts replace the denied request's facts of the same name; the rest are carried over.
    Details (DETAIL_FIELDS) given with a value replace the denied request's (_carried_details).
    """
    original = _locked(case)
    _require_clinic(actor, original.organization_id)
    check_appeal(original.status, actor.role)
    if original.appeal_of_id is not None:
        raise ServiceError(
            "This is already the decision on an appeal; the next step is an external review "
            "(see the letter). Nothing was changed."
        )
    if Case.objects.filter(appeal_of=original).exists():
        raise ServiceError("This denial has already been appealed; nothing was changed.")
    deadline = appeal_deadline(original)
    if deadline is None or timezone.localdate() > deadline:
        raise ServiceError(
            f"The appeal deadline ({deadline:%B} {deadline.day}, {deadline.year}) has passed; "
            "nothing was changed."
            if deadline is not None
            else "This case has no decision to appeal; nothing was changed."
        )
    if is_blank(statement):
        raise ServiceError("Say why the decision should change: the appeal needs a statement.")
    check_clinic_text("The appeal statement", statement)
    new_facts = dict(facts or {})
    refuse_portal_facts(new_facts)
    appeal = create_draft(
        actor=actor,
        patient=original.patient,
        urgency=urgency,
        expedite_reason=expedite_reason,
        facts={**original.facts, **new_facts},
        **_carried_details(original, details),
    )
    appeal.appeal_of = original
    appeal.save(update_fields=["appeal_of"])
    for upload, kind in documents:
        document_attach(actor=actor, case=appeal, upload=upload, kind=kind)
    appeal = submit_locked(actor=actor, case=appeal)
    # The appeal's own clock, from the moment it was filed.
    assert appeal.submitted_at is not None
    appeal.due_at = appeal.submitted_at + timedelta(hours=appeal_clock_hours(appeal.urgency))
    appeal.save(update_fields=["due_at"])
    detail = {"new_facts": sorted(new_facts), "urgency": appeal.urgency}
    record_event(
        original,
        actor,
        Action.APPEAL,
        reason=statement,
        detail={"appeal": appeal.reference, **detail},
    )
    record_event(
        appeal, actor, Action.APPEAL, reason=statement, detail={"appeal_of": original.reference}
    )
    return appeal


def _carried_details(original: Case, given: Mapping[str, Any] | None) -> dict[str, Any]:
    """The appeal's details: those given with a value, else the denied request's. One of those
    that no door may give today is left off: an appeal comes weeks after the request, whose
    planned infusion date has often passed by then, and carried over it refused every appeal
    with an error the clinic could not act on. Left off, the approval asks for it
    (dosing.approval_gaps), so a reviewer pends for it; given with the appeal, it is checked
    as every door's is."""
    carried = {name: getattr(original, name) for name in DETAIL_FIELDS}
    stale = request_detail_problems(carried, today=timezone.localdate())
    carried = {name: None if name in stale else value for name, value in carried.items()}
    return {**carried, **given_details(given)}


def check_appeal_decision(case: Case, actor: User) -> None:
    """Called by approve and deny: on an appeal, the workflow's rule on who may decide it."""
    if case.appeal_of_id is None:
        return
    original = Decision.objects.filter(case_id=case.appeal_of_id).only("decided_by_id").first()
    check_appeal_decider(
        role=actor.role,
        actor_id=actor.pk,
        original_decider_id=original.decided_by_id if original is not None else None,
    )
