"""manage.py escalated_decisions: the decisions on escalated cases a medical director did not
make (possible before 2026-11-26, when a pend and the clinic's answer lost the escalation) are
listed for a director to re-check, with an audit row; nothing is changed."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from audit.models import AuditLog
from reviews import services
from reviews.models import Case, Status
from tests.factories import make_case
from tests.walls import walls_down


def fresh(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


def decided_before_the_fix(riverside: User, pharmacist: User) -> Case:
    """Escalated, then (as the portal did before the fix) back in a pharmacist's review without
    its escalation, approved by the pharmacist; reviews 0015 then filled escalated_at from the
    escalate event."""
    case = make_case(riverside, claim_by=pharmacist)
    services.case_escalate(actor=pharmacist, case=case, reason="needs MD")
    escalated_at = fresh(case).escalated_at
    with walls_down("reviews_case", "reviews_case_guard"):
        Case.objects.filter(pk=case.pk).update(
            status=Status.IN_REVIEW, escalated_at=None, assigned_to=pharmacist
        )
    services.case_approve(actor=pharmacist, case=fresh(case))
    with walls_down("reviews_case", "reviews_case_guard"):
        Case.objects.filter(pk=case.pk).update(escalated_at=escalated_at)
    return fresh(case)


@pytest.mark.django_db
def test_it_lists_an_escalated_case_a_pharmacist_decided(
    riverside: User, pharmacist: User, director: User
) -> None:
    legacy = decided_before_the_fix(riverside, pharmacist)
    by_director = make_case(riverside, claim_by=pharmacist)
    services.case_escalate(actor=pharmacist, case=by_director, reason="needs MD")
    services.case_claim(actor=director, case=fresh(by_director))
    services.case_approve(actor=director, case=fresh(by_director))
    never_escalated = make_case(riverside, claim_by=pharmacist)
    services.case_approve(actor=pharmacist, case=never_escalated)

    out = StringIO()
    with pytest.raises(CommandError, match="1 decision"):
        call_command("escalated_decisions", stdout=out)

    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"RECHECK {legacy.reference}: approve by phil (pharmacist) at ")
    (row,) = AuditLog.objects.filter(action="escalated_decisions.found")
    assert [found["reference"] for found in row.detail["found"]] == [legacy.reference]
    assert fresh(legacy).status == Status.APPROVED  # nothing changed


@pytest.mark.django_db
def test_it_says_so_when_every_escalated_case_was_a_directors(
    riverside: User, pharmacist: User, director: User
) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    services.case_escalate(actor=pharmacist, case=case, reason="needs MD")
    services.case_claim(actor=director, case=fresh(case))
    services.case_deny(
        actor=director, case=fresh(case), failed_criteria=[], reason="No.", basis="clinical_judgment",
        explanation="Liver fibrosis makes the risk too high.",
    )  # fmt: skip
    out = StringIO()
    call_command("escalated_decisions", stdout=out)
    assert "every decision on an escalated case was a medical director's" in out.getvalue()
    assert not AuditLog.objects.filter(action="escalated_decisions.found").exists()
