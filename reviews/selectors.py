"""Every read of cases, scoped to what the user's role and organization allow.

A case of another clinic is simply not found (404), so its existence is not revealed.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import Role, User

from .models import Case, Document, Patient, Status


def cases_visible_to(user: User) -> QuerySet[Case]:
    qs = Case.objects.select_related("patient", "organization", "assigned_to")
    if user.role == Role.PRESCRIBER and user.organization_id is not None:
        return qs.filter(organization_id=user.organization_id)
    if user.role in (Role.PHARMACIST, Role.MEDICAL_DIRECTOR, Role.AUDITOR, Role.ADMIN):
        # Reviewers never see drafts: a draft is still the clinic's own business.
        return qs.exclude(status=Status.DRAFT)
    return qs.none()


def case_for(user: User, pk: int) -> Case:
    try:
        return cases_visible_to(user).get(pk=pk)
    except Case.DoesNotExist:
        raise Http404("No such case.") from None


def patients_visible_to(user: User) -> QuerySet[Patient]:
    if user.role != Role.PRESCRIBER or user.organization_id is None:
        return Patient.objects.none()
    return Patient.objects.filter(organization_id=user.organization_id)


def patient_for(user: User, pk: int) -> Patient:
    try:
        return patients_visible_to(user).get(pk=pk)
    except Patient.DoesNotExist:
        raise Http404("No such patient.") from None


# --- prescriber portal and API (issue 4) ------------------------------------------------------


def document_for(user: User, pk: int) -> Document:
    """A document of a case the user may see; anyone else's is simply not found."""
    visible = cases_visible_to(user).values("pk")
    try:
        return Document.objects.select_related("case").get(pk=pk, case__in=visible)
    except Document.DoesNotExist:
        raise Http404("No such document.") from None
