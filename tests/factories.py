"""Builders for patients and cases in any state, always through the real services."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import count
from typing import Any

from django.utils import timezone

from accounts.models import User
from reviews import services
from reviews.models import Case, Patient

_member_ids = count(1)


def days_ago(days: int) -> str:
    return (timezone.localdate() - timedelta(days=days)).isoformat()


def approvable_facts() -> dict[str, Any]:
    """Facts (the clinic's part) that meet every line of the FEP 2024 policy."""
    return {
        "diagnosis_code": "D67",
        "fix_activity_value": "1.0",
        "fix_activity_unit": "%",
        "fix_activity_date": days_ago(30),
        "on_fix_prophylaxis": True,
        "prophylaxis_product": "Alprolix (eftrenonacog alfa)",
        "life_threatening_hemorrhage": True,
        "repeated_serious_spontaneous_bleeding": False,
        "labs": [
            {"code": "ALT", "value": "22", "unit": "U/L", "date": days_ago(20)},
            {"code": "AST", "value": "25", "unit": "U/L", "date": days_ago(20)},
            {"code": "ALP", "value": "80", "unit": "U/L", "date": days_ago(20)},
            {"code": "TBILI", "value": "0.6", "unit": "mg/dL", "date": days_ago(20)},
        ],
        "imaging": [
            {"kind": "hepatic_ultrasound", "date": days_ago(15), "findings": "Normal liver"},
            {"kind": "elastography", "date": days_ago(15), "findings": "5.1 kPa, F0-F1"},
        ],
        "prescriber_specialty": "hematology",
        "fix_inhibitor_history": False,
        "inhibitor_titer_bu": "0.2",
        "inhibitor_assay": "nijmegen-bethesda",
        "inhibitor_test_date": days_ago(20),
        "hiv_status": "negative",
        "hepatitis_b_active": False,
        "hepatitis_c_active": False,
        "prior_hemophilia_b_gene_therapy": False,
        "other_gene_therapy_under_consideration": False,
    }


def make_patient(actor: User, *, member_id: str | None = None, **overrides: Any) -> Patient:
    fields: dict[str, Any] = {
        "member_id": member_id or f"M{next(_member_ids):08d}",
        "first_name": "Sam",
        "last_name": "Example",
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
) -> Case:
    patient = patient or make_patient(clinic_user)
    case = services.case_create(
        actor=clinic_user,
        patient=patient,
        urgency=urgency,
        expedite_reason="Bleeding on prophylaxis" if urgency == "expedited" else "",
        facts=approvable_facts() if facts is None else facts,
        prescriber_name="Dr. Hema Tologist",
        prescriber_npi="1234567893",
    )
    if submit:
        case = services.case_submit(actor=clinic_user, case=case)
    if claim_by is not None:
        case = services.case_claim(actor=claim_by, case=case)
    return case
