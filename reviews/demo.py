"""Demo cases in varied states, made through the real services (used by `seed_demo`)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from accounts.models import User

from . import services
from .models import Case, Patient


def days_ago(days: int) -> str:
    return (timezone.localdate() - timedelta(days=days)).isoformat()


def approvable_facts() -> dict[str, Any]:
    """Clinic facts that meet every line of the FEP 2024 policy."""
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


def without(*keys: str, **changes: Any) -> dict[str, Any]:
    facts = {k: v for k, v in approvable_facts().items() if k not in keys}
    return {**facts, **changes}


PATIENTS = [
    # (clinic, member id, first, last, born)
    ("riverside", "FEP-100001", "Marcus", "Bell", date(1979, 3, 14)),
    ("riverside", "FEP-100002", "Owen", "Carter", date(1990, 11, 2)),
    ("riverside", "FEP-100003", "Diego", "Alvarez", date(1985, 6, 21)),
    ("riverside", "FEP-100004", "Samuel", "Okafor", date(1972, 1, 9)),
    ("riverside", "FEP-100005", "Liam", "Novak", date(2001, 8, 30)),
    ("riverside", "FEP-100006", "Ethan", "Park", date(1995, 4, 17)),
    ("lakeside", "FEP-200001", "Noah", "Fischer", date(1988, 12, 5)),
    ("lakeside", "FEP-200002", "Lucas", "Moreau", date(1969, 7, 11)),
    ("lakeside", "FEP-200003", "Henry", "Walsh", date(1993, 2, 28)),
    ("lakeside", "FEP-200004", "Jack", "Romano", date(1982, 10, 3)),
    ("lakeside", "FEP-200005", "Leo", "Schmidt", date(1998, 5, 19)),
    # The same member at the second clinic: the lifetime limit looks across clinics.
    ("lakeside", "FEP-100003", "Diego", "Alvarez", date(1985, 6, 21)),
]


def ensure_demo_cases(users: dict[str, User]) -> int:
    """Twelve cases across both clinics, once; returns how many were made."""
    if Case.objects.exists():
        return 0
    patients = [
        services.patient_create(
            actor=users[clinic],
            member_id=member,
            first_name=first,
            last_name=last,
            date_of_birth=born,
            sex_assigned_at_birth="male",
        )
        for clinic, member, first, last, born in PATIENTS
    ]
    phil, dana = users["phil"], users["dana"]
    made = [
        _case(users, patients[0], submit=False),  # a draft
        _case(users, patients[1]),  # submitted, the engine recommends approval
        _case(users, patients[6], without("hiv_status"), urgency="expedited"),  # pend
        _case(users, patients[7], without(fix_activity_value="5")),  # deny: FIX 5 %
        _claimed(users, patients[8], phil),  # in review
    ]
    pended = _claimed(users, patients[4], phil, without("hepatitis_c_active"))
    services.case_pend(
        actor=phil, case=pended, items=["State whether the member has active hepatitis C"]
    )
    answered = _claimed(users, patients[9], phil, without("inhibitor_titer_bu"))
    answered = services.case_pend(
        actor=phil, case=answered, items=["Nijmegen-Bethesda inhibitor titer with its date"]
    )
    services.case_answer_rfi(
        actor=users["lakeside"], case=answered, facts={"inhibitor_titer_bu": "0.3"},
        note="Titer from last month's visit attached to the chart.",
    )  # fmt: skip
    escalated = _claimed(
        users, patients[10], phil, without(prescriber_specialty="internal_medicine")
    )
    services.case_escalate(
        actor=phil, case=escalated, reason="Prescriber is not a hematologist; please review."
    )
    approved = _claimed(users, patients[2], phil)
    services.case_approve(actor=phil, case=approved, reason="Meets every criterion.")
    denied = _claimed(users, patients[3], dana, without(hiv_status="positive_uncontrolled"))
    services.case_deny(
        actor=dana,
        case=denied,
        failed_criteria=["excl_hiv"],
        reason="HIV infection not controlled on antiviral therapy.",
    )
    withdrawn = _case(users, patients[5])
    services.case_withdraw(
        actor=users["riverside"], case=withdrawn, reason="Patient chose to wait."
    )
    made += [pended, answered, escalated, approved, denied, withdrawn]
    made.append(_case(users, patients[11]))  # same member as the approval: lifetime limit
    return len(made)


def _case(
    users: dict[str, User],
    patient: Patient,
    facts: dict[str, Any] | None = None,
    urgency: str = "standard",
    submit: bool = True,
) -> Case:
    clinic_user = next(u for u in users.values() if u.organization_id == patient.organization_id)
    case = services.case_create(
        actor=clinic_user,
        patient=patient,
        urgency=urgency,
        expedite_reason="Breakthrough joint bleeds despite prophylaxis" if urgency == "expedited" else "",
        facts=approvable_facts() if facts is None else facts,
        prescriber_name="Dr. Helen Brooks",
        prescriber_npi="1234567893",
        body_weight_kg="78.5",
        planned_infusion_date=days_ago(-45),  # an approval needs it (issue 16)
    )  # fmt: skip
    return services.case_submit(actor=clinic_user, case=case) if submit else case


def _claimed(
    users: dict[str, User], patient: Patient, reviewer: User, facts: dict[str, Any] | None = None
) -> Case:
    return services.case_claim(actor=reviewer, case=_case(users, patient, facts))
