"""Builders for patients and cases in any state, always through the real services."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import count
from typing import Any

from accounts.models import User
from reviews import services
from reviews.demo import approvable_facts, days_ago
from reviews.models import Case, Document, Patient

__all__ = [
    "APPROVABLE_DETAILS",
    "WITHOUT_APPROVAL_DETAILS",
    "approvable_facts",
    "days_ago",
    "make_case",
    "make_patient",
]

_member_ids = count(1)

# What an approval needs besides met criteria (issue 16): the dose is computed from the weight.
APPROVABLE_DETAILS: dict[str, Any] = {
    "prescriber_name": "Dr. Hema Tologist",
    "prescriber_npi": "1234567893",
    "body_weight_kg": Decimal("80.0"),
}
# make_case(..., **WITHOUT_APPROVAL_DETAILS): a request sent without what an approval needs.
WITHOUT_APPROVAL_DETAILS: dict[str, Any] = {
    "body_weight_kg": None,
    "planned_infusion_date": None,
    "prescriber_npi": "",
}


def _letters(n: int) -> str:
    """1 -> "A", 27 -> "AA": a different last name for every patient made here."""
    text = ""
    while n:
        n, digit = divmod(n - 1, 26)
        text = chr(ord("A") + digit) + text
    return text


def make_patient(actor: User, *, member_id: str | None = None, **overrides: Any) -> Patient:
    """A new patient; each gets its own last name, so two are never a possible same person
    (same last name, birth date and sex) unless a test says so."""
    n = next(_member_ids)
    fields: dict[str, Any] = {
        "member_id": member_id or f"M{n:08d}",
        "first_name": "Sam",
        "last_name": f"Example {_letters(n)}",
        "date_of_birth": date(1985, 6, 15),
        "sex_assigned_at_birth": "male",
    }
    fields.update(overrides)
    return services.patient_create(actor=actor, **fields)


def make_case(
    clinic_user: User,
    *,
    patient: Patient | None = None,
    facts: dict[str, Any] | None = None,
    urgency: str = "standard",
    submit: bool = True,
    claim_by: User | None = None,
    **details: Any,
) -> Case:
    """A case with the details an approval needs (weight, planned infusion date, prescriber
    NPI); details overrides them (None: not on the request)."""
    patient = patient or make_patient(clinic_user)
    case = services.case_create(
        actor=clinic_user,
        patient=patient,
        urgency=urgency,
        expedite_reason="Bleeding on prophylaxis" if urgency == "expedited" else "",
        facts=approvable_facts() if facts is None else facts,
        **{
            **APPROVABLE_DETAILS,
            "planned_infusion_date": date.fromisoformat(days_ago(-30)),
            **details,
        },
    )
    if submit:
        case = services.case_submit(actor=clinic_user, case=case)
    if claim_by is not None:
        case = services.case_claim(actor=claim_by, case=case)
    return case


def stored_document(case: Case, uploaded_by: User, name: str = "report.pdf") -> Document:
    """A document row as if attached earlier, whatever the case's status now and whoever the
    uploader (no file behind it, no event: the attach itself is a move of its own)."""
    return Document.objects.create(
        case=case,
        kind="lab_report",
        file=f"cases/{case.pk}/{name}",
        original_name=name,
        content_type="application/pdf",
        size=20,
        sha256="0" * 64,
        uploaded_by=uploaded_by,
    )
