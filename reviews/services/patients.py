"""Patients: a clinic's record of a member, found by the canonical member key
(reviews.members), so ``fep-200101`` and ``FEP-200101`` are one patient at one clinic."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import connection
from django.utils import timezone

from accounts.models import Role, User
from criteria.io import MAX_AGE_YEARS, earliest_date_of_birth

from ..members import member_id_as_shown, member_key, name_key
from ..models import Patient, Sex
from ..text import is_blank
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


def date_of_birth_problem(born: date, *, today: date) -> str | None:
    """Why a new patient cannot have been born on this day, or None: the one rule of every door
    (the patient form, the REST serializer, the intake). A day still to come, or one further
    back than the criteria engine reads (criteria.io.MAX_AGE_YEARS): every request for such a
    patient would be refused on a date of birth the clinic cannot change."""
    if born > today:
        return "The date of birth is in the future."
    if born < earliest_date_of_birth(today):
        return f"The date of birth is more than {MAX_AGE_YEARS} years ago."
    return None


def require_clinic_staff(actor: User) -> int:
    if actor.role != Role.PRESCRIBER or actor.organization_id is None:
        raise NotAllowed("Only clinic staff may add patients and file requests.")
    return actor.organization_id


def patient_of_clinic(organization_id: int, key: str) -> Patient | None:
    return Patient.objects.filter(organization_id=organization_id, member_key=key).first()


@atomic
def patient_create(*, actor: User, **fields: Any) -> Patient:
    """Add a patient; refused if the clinic has this member under any spelling of the ID.

    The look-up alone cannot see a patient another request is adding this moment (two clicks,
    two spellings of one ID): the INSERT leaves the unique key's winner alone, and the loser
    gets the same refusal, not the key's IntegrityError."""
    organization_id = require_clinic_staff(actor)
    data = PatientIn(**fields)
    if (existing := patient_of_clinic(organization_id, data.key)) is None:
        new = Patient(**_new_patient_fields(actor, organization_id, data))
        if (patient := _insert_unless_known(new)) is not None:
            return patient
        existing = patient_of_clinic(organization_id, data.key)
    raise ServiceError(
        f"A patient with member ID {existing.member_id} is already on file "
        f"({existing.last_name}, {existing.first_name})."
        if existing is not None
        else "This member was added and removed again meanwhile; try again. Nothing was added."
    )


def _absent(value: object) -> bool:
    """Not given: nothing, or a name that shows nothing (is_blank)."""
    return is_blank(value) if isinstance(value, str) else value is None


def _new_patient_fields(actor: User, organization_id: int, data: PatientIn) -> dict[str, Any]:
    """A new patient's columns, once the request gives all that a new patient needs."""
    if missing := [name for name in NEW_PATIENT_FIELDS if _absent(getattr(data, name))]:
        raise PatientMismatch({name: "Required for a new patient." for name in missing})
    assert data.date_of_birth is not None  # one of NEW_PATIENT_FIELDS
    if problem := date_of_birth_problem(data.date_of_birth, today=timezone.localdate()):
        raise PatientMismatch({"date_of_birth": problem})
    return {
        "organization_id": organization_id,
        "created_by": actor,
        "member_id": member_id_as_shown(data.member_id),
        "member_key": data.key,
        "first_name": data.first_name,
        "last_name": data.last_name,
        "name_key": name_key(data.last_name),
        "date_of_birth": data.date_of_birth,
        "sex_assigned_at_birth": data.sex_assigned_at_birth,
        "gender_identity": data.gender_identity,
    }


def patient_resolve(*, actor: User, data: PatientIn) -> tuple[Patient, bool]:
    """The clinic's patient for this member (its record must agree), else a new one.

    A request that could make a new patient tries that first, in one statement that leaves any
    patient the clinic already has for the key alone (INSERT ... ON CONFLICT DO NOTHING): most
    requests are for a new member (one infusion per lifetime), and a look-up, a savepoint and an
    insert were three round trips for it (issue 20). Two requests racing to add one member (two
    doors, two clicks) leave one patient: the unique key decides, and the loser reads and reuses
    the winner's record, as a request for a known member does. Call inside a transaction.
    """
    organization_id = require_clinic_staff(actor)
    try:
        fields = _new_patient_fields(actor, organization_id, data)
    except PatientMismatch:
        # Not enough for a new patient: a known one, or the same refusal as before.
        if (existing := patient_of_clinic(organization_id, data.key)) is None:
            raise
        return _agreeing(existing, data), False
    if (patient := _insert_unless_known(Patient(**fields))) is not None:
        return patient, True
    if (known := patient_of_clinic(organization_id, data.key)) is None:
        # The row it conflicted with is gone already (deleted between the two statements).
        raise ServiceError(
            "The clinic's record of this member changed while the request was filed; send it "
            "again. Nothing was created."
        )
    return _agreeing(known, data), False


def _insert_unless_known(patient: Patient) -> Patient | None:
    """INSERT the patient unless the clinic has its member key already; None if it had."""
    columns, sql = _insert_unless_known_sql()
    values = [f.get_db_prep_save(f.pre_save(patient, True), connection) for f in columns]
    values += [patient.organization_id, patient.member_key]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    if row is None:
        return None
    patient.pk = row[0]
    patient._state.adding = False
    patient._state.db = connection.alias
    return patient


@functools.cache
def _insert_unless_known_sql() -> tuple[list[Any], str]:
    columns = [f for f in Patient._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    table = quote(str(Patient._meta.db_table))
    names = ", ".join(quote(str(f.column)) for f in columns)
    placeholders = ", ".join(["%s"] * len(columns))
    # Every name comes from the model; every value is a parameter. The clinic's unique member key
    # decides a race (ON CONFLICT waits for the other INSERT); NOT EXISTS also finds a committed
    # record when that key is not built yet (reviews.member_index: two records of one member still
    # to resolve), where ON CONFLICT naming it was refused and every new member's request with it.
    sql = (
        f"INSERT INTO {table} ({names}) SELECT {placeholders} "  # noqa: S608
        f"WHERE NOT EXISTS (SELECT 1 FROM {table} WHERE organization_id = %s AND member_key = %s) "
        "ON CONFLICT DO NOTHING RETURNING id"
    )
    return columns, sql


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
