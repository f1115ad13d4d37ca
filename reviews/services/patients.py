"""Patients: a clinic's record of a member, matched by the canonical member key."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from accounts.models import Organization, Role, User

from ..models import (
    Patient,
)
from .errors import NotAllowed, ServiceError


@transaction.atomic
def patient_create(*, actor: User, **fields: Any) -> Patient:
    if actor.role != Role.PRESCRIBER or actor.organization is None:
        raise NotAllowed("Only clinic staff may add patients.")
    organization: Organization = actor.organization
    if Patient.objects.filter(organization=organization, member_id=fields["member_id"]).exists():
        raise ServiceError(f"A patient with member ID {fields['member_id']} already exists.")
    return Patient.objects.create(organization=organization, created_by=actor, **fields)


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
