"""Cases the journeys start from, made through the real services (never written directly).

Patients have plausible names so that the screenshots look like the product in use.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from accounts.models import User
from reviews import services
from reviews.models import Case
from tests.browser.journeys import report_upload
from tests.factories import approvable_facts, days_ago, make_case, make_patient

SHARED_MEMBER = "FEP-31847562"
WHITFIELD_BORN = date(1972, 9, 2)
# What the reviewer rules on the liver line, and what they ask the clinic, in every journey.
LIVER_RULING = "Elastography 5.1 kPa (F0-F1) in the attached report; labs and ultrasound on file."
GENE_THERAPY_ASK = "State whether another hemophilia B gene therapy is under consideration."
ELASTOGRAPHY_REPORT = [
    "Patient: Whitfield, Marcus   Member ID: " + SHARED_MEMBER,
    f"Study date: {days_ago(15)}   Transient elastography (FibroScan)",
    "Median liver stiffness 5.1 kPa, IQR/median 9% - consistent with F0-F1",
    "Impression: no significant fibrosis.",
]


def facts_without(*names: str) -> dict[str, Any]:
    """Approvable facts with some left out; "elastography" drops that imaging result."""
    facts = approvable_facts()
    facts["imaging"] = [i for i in facts["imaging"] if i["kind"] not in names]
    return {key: value for key, value in facts.items() if key not in names}


def expedited_case_with_report(clinic: User) -> Case:
    """An expedited request whose elastography is only in the attached report (so the engine
    leaves the liver line unknown) and that does not yet say whether another gene therapy is
    considered."""
    patient = make_patient(
        clinic,
        member_id=SHARED_MEMBER,
        first_name="Marcus",
        last_name="Whitfield",
        date_of_birth=WHITFIELD_BORN,
    )
    case = make_case(
        clinic,
        patient=patient,
        urgency="expedited",
        submit=False,
        facts=facts_without("elastography", "other_gene_therapy_under_consideration"),
    )
    services.document_attach(
        actor=clinic,
        case=case,
        upload=report_upload(
            "elastography-report.pdf", "Lakeview Imaging - liver elastography", ELASTOGRAPHY_REPORT
        ),
        kind="imaging_report",
        supports=["liver_assessment"],
    )
    return services.case_submit(actor=clinic, case=case)


def busy_queue(riverside: User, lakeside: User) -> list[Case]:
    """Other open requests from both clinics, submitted after the ones a test made before.

    Lakeside's first request is for the member Riverside asked about too (same member ID).
    """
    people = [
        (riverside, "Okonkwo", "Chidi", "standard", "FEP-27730914"),
        (lakeside, "Whitfield", "Marcus", "standard", SHARED_MEMBER),
        (riverside, "Lindqvist", "Erik", "standard", "FEP-51092286"),
        (lakeside, "Haddad", "Samir", "expedited", "FEP-46618305"),
        (lakeside, "Brennan", "Thomas", "standard", "FEP-38254471"),
    ]
    return [
        make_case(
            clinic,
            patient=make_patient(
                clinic,
                member_id=member_id,
                first_name=first,
                last_name=last,
                **({"date_of_birth": WHITFIELD_BORN} if member_id == SHARED_MEMBER else {}),
            ),
            urgency=urgency,
        )
        for clinic, last, first, urgency, member_id in people
    ]


def decided_case(clinic: User, reviewer: User) -> Case:
    """The expedited request taken all the way: claimed, a line ruled on, pended, answered,
    approved."""
    case = services.case_claim(actor=reviewer, case=expedited_case_with_report(clinic))
    services.checklist_override(
        actor=reviewer,
        case=case,
        criterion_id="liver_assessment",
        status="met",
        reason=LIVER_RULING,
    )
    case = services.case_pend(
        actor=reviewer,
        case=case,
        items=[GENE_THERAPY_ASK],
    )
    case = services.case_answer_rfi(
        actor=clinic,
        case=case,
        facts={"other_gene_therapy_under_consideration": False},
        note="No other gene therapy is planned.",
    )
    services.case_approve(actor=reviewer, case=case, reason="All criteria met.")
    case.refresh_from_db()
    return case
