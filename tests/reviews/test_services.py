import pytest

from accounts.models import User
from reviews import services
from reviews.models import Authorization, CaseEvent, Status
from reviews.workflow import TransitionError
from tests.factories import approvable_facts, make_case, make_patient


def test_it_submits_with_a_stored_checklist_and_clock(riverside: User) -> None:
    case = make_case(riverside)
    assert case.status == Status.SUBMITTED
    assert case.recommendation == "approve"
    assert case.policy_id
    assert case.checklist["recommendation"] == "approve"
    assert case.due_at is not None and case.submitted_at is not None
    assert (case.due_at - case.submitted_at).total_seconds() == 72 * 3600
    actions = list(case.events.values_list("action", flat=True))
    assert actions == ["created", "submit"]


def test_it_runs_submit_pend_answer_approve(riverside: User, pharmacist: User) -> None:
    facts = approvable_facts()
    del facts["hiv_status"]
    case = make_case(riverside, facts=facts, claim_by=pharmacist)
    assert case.recommendation == "pend"
    case = services.case_pend(actor=pharmacist, case=case, items=["HIV status"], message="Need HIV")
    assert case.status == Status.PENDED
    assert case.clock_paused_at is not None
    case = services.case_answer_rfi(actor=riverside, case=case, facts={"hiv_status": "negative"})
    assert case.status == Status.IN_REVIEW
    assert case.recommendation == "approve"
    assert case.clock_paused_at is None
    decision = services.case_approve(actor=pharmacist, case=case)
    case.refresh_from_db()
    assert case.status == Status.APPROVED
    assert decision.snapshot["facts"]["hiv_status"] == "negative"
    assert Authorization.objects.get(case=case).units == 1
    assert CaseEvent.objects.filter(case=case, action="approve").count() == 1


def test_it_refuses_a_second_decision(riverside: User, pharmacist: User) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    services.case_approve(actor=pharmacist, case=case)
    with pytest.raises(TransitionError, match="already decided"):
        services.case_deny(actor=pharmacist, case=case, failed_criteria=["age"], reason="x")


def test_it_refuses_a_second_lifetime_approval_across_clinics(
    riverside: User, lakeside: User, pharmacist: User
) -> None:
    first = make_case(
        riverside, patient=make_patient(riverside, member_id="MEM-1"), claim_by=pharmacist
    )
    second = make_case(
        lakeside, patient=make_patient(lakeside, member_id="MEM-1"), claim_by=pharmacist
    )
    services.case_approve(actor=pharmacist, case=first)
    with pytest.raises(services.LifetimeLimitReached, match="one infusion per lifetime"):
        services.case_approve(actor=pharmacist, case=second)
    second.refresh_from_db()
    assert second.status == Status.IN_REVIEW


def test_it_refuses_clinic_actions_from_another_clinic(riverside: User, lakeside: User) -> None:
    case = make_case(riverside, submit=False)
    with pytest.raises(services.NotAllowed):
        services.case_submit(actor=lakeside, case=case)


def test_it_applies_the_administrators_policy_settings(
    riverside: User, pharmacist: User, director: User
) -> None:
    from reviews.models import PolicySetting

    PolicySetting.objects.update_or_create(
        pk=1,
        defaults={
            "review_clock_hours_standard": 48,
            "authorization_valid_days": 30,
            "denial_requires_medical_director": True,
        },
    )
    case = make_case(riverside, claim_by=pharmacist)
    assert case.due_at is not None and case.submitted_at is not None
    assert (case.due_at - case.submitted_at).total_seconds() == 48 * 3600
    with pytest.raises(services.NotAllowed, match="medical director"):
        services.case_deny(actor=pharmacist, case=case, failed_criteria=["age"], reason="x")
    decision = services.case_approve(actor=pharmacist, case=case)
    authorization = Authorization.objects.get(case=case)
    assert (authorization.valid_to - authorization.valid_from).days == 30
    assert decision.snapshot["policy_settings"]["authorization_valid_days"] == 30


# --- the clinic's free text --------------------------------------------------------------------


def test_it_refuses_a_clinic_text_past_the_limit_through_every_door(
    riverside: User, pharmacist: User
) -> None:
    """The answer's note, a withdrawal's reason and an expedited request's reason are kept in
    the history, the audit log and on every reviewer's page: like the payer's own texts, at most
    CLINIC_TEXT_MAX_LENGTH characters (a 4 MB note made an 8 MB case page)."""
    from django.urls import reverse

    from reviews.models import CLINIC_TEXT_MAX_LENGTH
    from tests.conftest import client_for
    from tests.reviews.api.conftest import api_for, new_request

    too_long = "x" * (CLINIC_TEXT_MAX_LENGTH + 1)
    facts = approvable_facts()
    del facts["hiv_status"]
    case = make_case(riverside, facts=facts, claim_by=pharmacist)
    case = services.case_pend(actor=pharmacist, case=case, items=["HIV status"])
    events = CaseEvent.objects.count()

    with pytest.raises(services.ServiceError, match="at most 4,000 characters"):
        services.case_answer_rfi(actor=riverside, case=case, note=too_long)
    with pytest.raises(services.ServiceError, match="at most 4,000 characters"):
        services.case_withdraw(actor=riverside, case=case, reason=too_long)
    api = api_for(riverside)
    answer = api.post(f"/api/cases/{case.pk}/answer/", {"note": too_long}, format="json")
    assert answer.status_code == 400 and "note" in answer.json()
    withdraw = api.post(f"/api/cases/{case.pk}/withdraw/", {"reason": too_long}, format="json")
    assert withdraw.status_code == 400 and "reason" in withdraw.json()
    body = new_request("LONG-1", urgency="expedited", expedite_reason=too_long)
    created = api.post("/api/cases/", body, format="json")
    assert created.status_code == 400 and "expedite_reason" in created.json()
    page = client_for(riverside).post(
        reverse("prescriber:case_answer", args=[case.pk]), {"note": too_long}
    )
    assert page.status_code == 200 and "note" in page.context["form"].errors
    case.refresh_from_db()
    assert case.status == Status.PENDED
    assert CaseEvent.objects.count() == events

    # At the limit, the answer goes through.
    services.case_answer_rfi(actor=riverside, case=case, note="y" * CLINIC_TEXT_MAX_LENGTH)
