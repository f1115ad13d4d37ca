"""An administrator's corrections of what was entered in error: voiding an authorization, and
correcting a patient's member ID (its cases and authorizations follow by the database's
cascading key). Both are audited on every case they touch; neither is open to other roles."""

from __future__ import annotations

from accounts.models import Role, User

from ..members import member_id_as_shown, member_key
from ..models import Authorization, Case, Patient
from ..text import is_blank
from ..workflow import Action
from .base import atomic, record_event
from .errors import NotAllowed, ServiceError


def _require_admin(actor: User, reason: str) -> None:
    if actor.role != Role.ADMIN:
        raise NotAllowed("Only an administrator may correct records entered in error.")
    if is_blank(reason):
        raise ServiceError("Say why the record was in error; the reason is kept in the history.")


@atomic
def authorization_void(*, actor: User, number: str, reason: str) -> Authorization:
    """Void an authorization entered in error; it stops counting against the lifetime limit."""
    _require_admin(actor, reason)
    authorization = (
        Authorization.objects.select_for_update().select_related("case").filter(number=number)
    ).first()
    if authorization is None:
        raise ServiceError(f"No authorization {number}.")
    if authorization.state == Authorization.State.VOIDED:
        raise ServiceError(f"{number} is already voided; nothing was changed.")
    authorization.state = Authorization.State.VOIDED
    authorization.save(update_fields=["state"])
    record_event(
        authorization.case,
        actor,
        Action.VOID,
        reason=reason,
        detail={"authorization": number},
    )
    return authorization


@atomic
def patient_correct_member_id(
    *, actor: User, patient: Patient, member_id: str, reason: str
) -> Patient:
    """Correct a patient record's member ID (its key, its cases' and authorizations' follow)."""
    _require_admin(actor, reason)
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    key = member_key(member_id)
    clash = Patient.objects.filter(organization_id=patient.organization_id, member_key=key)
    if clash.exclude(pk=patient.pk).exists():
        raise ServiceError("The clinic already has a patient with that member ID.")
    active = Authorization.objects.filter(state=Authorization.State.ACTIVE)
    if active.filter(case__patient=patient).exists() and active.filter(member_key=key).exists():
        raise ServiceError(
            "Both members have an active authorization; void the one entered in error first."
        )
    before = patient.member_id
    patient.member_id = member_id_as_shown(member_id)
    patient.member_key = key
    patient.save(update_fields=["member_id", "member_key"])
    cases = Case.objects.filter(patient=patient)
    cases.update(member_id=patient.member_id)  # member_key follows by ON UPDATE CASCADE
    Authorization.objects.filter(case__patient=patient).update(member_id=patient.member_id)
    for case in cases:
        record_event(
            case,
            actor,
            Action.CORRECT_MEMBER,
            reason=reason,
            detail={"from": before, "to": patient.member_id},
        )
    return patient
