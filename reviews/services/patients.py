"""Patients: a clinic's record of a member, found by the canonical member key
(reviews.members), so ``fep-200101`` and ``FEP-200101`` are one patient at one clinic."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Role, User

from ..members import member_key, name_key
from ..models import Patient, Sex
from .base import atomic
from .errors import NotAllowed, ServiceError

NEW_PATIENT_FIELDS = ("first_name", "last_name", "date_of_birth", "sex_assigned_at_birth")


class PatientMismatch(ServiceError):
    """The clinic already has this member with other details; errors name each field."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__(" ".join(errors.values()))


@dataclass(frozen=True)
class PatientIn:
    """A member as a door received it; empty fields were not given."""

    member_id: str
    first_name: str = ""
    last_name: str = ""
    date_of_birth: date | None = None
    sex_assigned_at_birth: str = ""
    gender_identity: str = ""
    key: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", member_key(self.member_id))

    def as_dict(self) -> dict[str, Any]:
        """What identifies the request's patient, for a replay's fingerprint."""
        return {
            "member_key": self.key,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "date_of_birth": self.date_of_birth.isoformat() if self.date_of_birth else "",
            "sex_assigned_at_birth": self.sex_assigned_at_birth,
            "gender_identity": self.gender_identity,
        }


def require_clinic_staff(actor: User) -> int:
    if actor.role != Role.PRESCRIBER or actor.organization_id is None:
        raise NotAllowed("Only clinic staff may add patients and file requests.")
    return actor.organization_id


def patient_of_clinic(organization_id: int, key: str) -> Patient | None:
    return Patient.objects.filter(organization_id=organization_id, member_key=key).first()


@atomic
def patient_create(*, actor: User, **fields: Any) -> Patient:
    """Add a patient; refused if the clinic has this member under any spelling of the ID."""
    organization_id = require_clinic_staff(actor)
    data = PatientIn(**fields)
    if (existing := patient_of_clinic(organization_id, data.key)) is not None:
        raise ServiceError(
            f"A patient with member ID {existing.member_id} is already on file "
            f"({existing.last_name}, {existing.first_name})."
        )
    return _insert(actor, organization_id, data)


def _insert(actor: User, organization_id: int, data: PatientIn) -> Patient:
    if missing := [name for name in NEW_PATIENT_FIELDS if not getattr(data, name)]:
        raise PatientMismatch({name: "Required for a new patient." for name in missing})
    assert data.date_of_birth is not None  # one of NEW_PATIENT_FIELDS
    if data.date_of_birth > timezone.localdate():
        raise PatientMismatch({"date_of_birth": "The date of birth is in the future."})
    return Patient.objects.create(
        organization_id=organization_id,
        created_by=actor,
        member_id=data.member_id.strip(),
        member_key=data.key,
        first_name=data.first_name,
        last_name=data.last_name,
        name_key=name_key(data.last_name),
        date_of_birth=data.date_of_birth,
        sex_assigned_at_birth=data.sex_assigned_at_birth,
        gender_identity=data.gender_identity,
    )


def patient_resolve(*, actor: User, data: PatientIn) -> tuple[Patient, bool]:
    """The clinic's patient for this member (its record must agree), else a new one.

    Two requests racing to add one member (two doors, two clicks) leave one patient: the unique
    key decides, and the loser reuses the winner's record. Call inside a transaction.
    """
    organization_id = require_clinic_staff(actor)
    if (existing := patient_of_clinic(organization_id, data.key)) is not None:
        return _agreeing(existing, data), False
    try:
        with transaction.atomic():
            return _insert(actor, organization_id, data), True
    except IntegrityError:
        if (winner := patient_of_clinic(organization_id, data.key)) is None:
            raise
        return _agreeing(winner, data), False


def _agreeing(patient: Patient, data: PatientIn) -> Patient:
    """The clinic's record, if what the request says of the member agrees with it."""
    errors = {}
    if data.date_of_birth is not None and data.date_of_birth != patient.date_of_birth:
        errors["date_of_birth"] = (
            f"Member {patient.member_id} is on file with a different date of birth; check the "
            "member ID and the date of birth."
        )
    known = {Sex.MALE, Sex.FEMALE, Sex.INTERSEX}
    sex = data.sex_assigned_at_birth
    if (
        sex in known
        and patient.sex_assigned_at_birth in known
        and sex != patient.sex_assigned_at_birth
    ):
        errors["sex_assigned_at_birth"] = (
            f"Member {patient.member_id} is on file with a different sex assigned at birth."
        )
    if errors:
        raise PatientMismatch(errors)
    return patient
