"""Possible same person: another member's patient with the same last name, birth date and sex
at birth, at any clinic. Approval waits for a reviewer's ruling; "same person" counts the other
member's approvals; the clinic sees none of it."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import User
from reviews import selectors, services
from reviews.models import Authorization, Case, CaseEvent, Decision, IdentityRuling, Status
from tests.conftest import client_for
from tests.factories import make_case, make_patient
from tests.reviews.services.test_intake import rolled_back
from tests.threads import race

pytestmark = pytest.mark.django_db
BORN = date(1988, 4, 2)


def _member(clinic: User, member_id: str, last_name: str = "Müller") -> Case:
    patient = make_patient(clinic, member_id=member_id, last_name=last_name, date_of_birth=BORN)
    return make_case(clinic, patient=patient)


@pytest.fixture
def approved_elsewhere(riverside: User, pharmacist: User) -> Case:
    case = _member(riverside, "FEP-100")
    services.case_claim(actor=pharmacist, case=case)
    services.case_approve(actor=pharmacist, case=case)
    return case


@pytest.fixture
def suspect(lakeside: User, director: User, approved_elsewhere: Case) -> Case:
    """The same person filed by another clinic under another member ID (a plan change)."""
    case = _member(lakeside, "XYZ-77", last_name="MULLER")
    return services.case_claim(actor=director, case=case)


def test_it_finds_another_member_with_the_same_name_birth_date_and_sex(
    suspect: Case, approved_elsewhere: Case
) -> None:
    [other] = selectors.possible_same_persons(suspect)
    assert other.member_key == "FEP100" and other.ruling is None
    assert [a.case_id for a in other.approvals] == [approved_elsewhere.pk]
    assert [c.pk for c in other.cases] == [approved_elsewhere.pk]


def _sent(clinic: User, member_id: str, **patient: Any) -> Case:
    """A request sent for a patient of these details (a record counts once it sent one)."""
    fields = {"last_name": "Müller", "date_of_birth": BORN, **patient}
    return make_case(clinic, patient=make_patient(clinic, member_id=member_id, **fields))


def test_it_does_not_flag_another_birth_date_or_sex(riverside: User, lakeside: User) -> None:
    case = _member(riverside, "FEP-200")
    _sent(lakeside, "FEP-201", date_of_birth=date(1988, 4, 3))
    _sent(lakeside, "FEP-202", sex_assigned_at_birth="female")
    assert selectors.possible_same_persons(case) == []
    _sent(lakeside, "FEP-203")
    assert [p.member_key for p in selectors.possible_same_persons(case)] == ["FEP203"]


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(swaps=st.lists(st.booleans(), min_size=7, max_size=7))
def test_it_flags_a_last_name_spelled_in_look_alike_letters(
    riverside: User, lakeside: User, pharmacist: User, swaps: list[bool]
) -> None:
    """Audit of 2026-11-26: another clinic filed the same person as "Example" with Cyrillic or
    Greek letters that look Latin, under another member ID, and got a second approval."""
    look_alike = {"E": "\u0415", "x": "\u0445", "a": "\u0430", "p": "\u0440", "e": "\u0435"}
    disguised = "".join(
        look_alike.get(letter, letter) if swap else letter
        for letter, swap in zip("Example", swaps, strict=True)
    )
    with rolled_back():
        approved = _sent(riverside, "FEP-700001", last_name="Example")
        services.case_approve(
            actor=pharmacist, case=services.case_claim(actor=pharmacist, case=approved)
        )
        case = services.case_claim(
            actor=pharmacist, case=_sent(lakeside, "FEP-700002", last_name=disguised)
        )
        assert [p.member_key for p in selectors.possible_same_persons(case)] == ["FEP700001"]
        with pytest.raises(services.IdentityUnsettled):
            services.case_approve(actor=pharmacist, case=case)


def test_it_flags_a_patient_whose_sex_at_birth_was_not_sent(
    riverside: User, lakeside: User
) -> None:
    """The FHIR door files "unknown" when the EHR sends no birth sex: that hides no one."""
    case = _member(riverside, "FEP-300")
    _sent(lakeside, "FEP-301", sex_assigned_at_birth="unknown")
    assert [p.member_key for p in selectors.possible_same_persons(case)] == ["FEP301"]
    unknown = _sent(lakeside, "FEP-302", sex_assigned_at_birth="unknown")
    keys = [p.member_key for p in selectors.possible_same_persons(unknown)]
    assert keys == ["FEP300", "FEP301"]


def test_it_leaves_out_another_clinics_patient_that_never_sent_a_request(
    riverside: User, lakeside: User, pharmacist: User
) -> None:
    """A record a clinic typed but never sent is the clinic's alone: payer staff do not see it,
    and it holds up no one's approval (audit of 2026-11-26)."""
    make_patient(
        lakeside,
        member_id="LAK-DRAFT-9",
        first_name="Privatus",
        last_name="Muller",
        date_of_birth=BORN,
    )
    make_case(
        lakeside,
        patient=make_patient(
            lakeside, member_id="LAK-DRAFT-10", last_name="Muller", date_of_birth=BORN
        ),
        submit=False,
    )
    case = services.case_claim(actor=pharmacist, case=_member(riverside, "RIV-5"))
    page = client_for(pharmacist).get(reverse("reviewer:case", args=[case.pk])).content.decode()
    assert "LAK-DRAFT" not in page and "Privatus" not in page
    assert selectors.possible_same_persons(case) == []
    services.case_approve(actor=pharmacist, case=case)
    assert Case.objects.get(pk=case.pk).status == Status.APPROVED


def test_it_refuses_to_approve_until_a_reviewer_rules(suspect: Case, director: User) -> None:
    with pytest.raises(services.IdentityUnsettled, match="FEP-100"):
        services.case_approve(actor=director, case=suspect)
    suspect.refresh_from_db()
    assert suspect.status == Status.IN_REVIEW
    assert not Decision.objects.filter(case=suspect).exists()


def test_same_person_counts_the_other_members_approval(suspect: Case, director: User) -> None:
    [before] = [ln for ln in suspect.checklist["lines"] if ln["id"] == "lifetime_limit"]
    assert before["status"] == "met"
    services.identity_rule(
        actor=director, case=suspect, other_member_key="FEP100", ruling="same", reason=""
    )
    suspect.refresh_from_db()
    [line] = [ln for ln in suspect.checklist["lines"] if ln["id"] == "lifetime_limit"]
    assert line["status"] == "not_met"
    with pytest.raises(services.LifetimeLimitReached):
        services.case_approve(actor=director, case=suspect)
    assert Authorization.objects.filter(state="active").count() == 1
    event = CaseEvent.objects.get(case=suspect, action="identity_ruling")
    assert event.detail["ruling"] == "same" and event.actor == director


def test_a_different_person_needs_a_reason_then_approval_goes_ahead(
    suspect: Case, director: User
) -> None:
    with pytest.raises(services.ServiceError, match="different person"):
        services.identity_rule(
            actor=director, case=suspect, other_member_key="FEP100", ruling="different", reason=" "
        )
    assert not IdentityRuling.objects.exists()
    services.identity_rule(
        actor=director,
        case=suspect,
        other_member_key="FEP100",
        ruling="different",
        reason="The plan confirmed two members: twins.",
    )
    decision = services.case_approve(actor=director, case=suspect)
    assert decision.outcome == "approved"
    assert Authorization.objects.filter(state="active").count() == 2


def test_it_refuses_a_ruling_on_a_member_that_is_not_a_candidate(
    suspect: Case, director: User
) -> None:
    with pytest.raises(services.ServiceError, match="not a possible same person"):
        services.identity_rule(
            actor=director, case=suspect, other_member_key="NOBODY1", ruling="same", reason=""
        )


def test_only_the_reviewer_who_may_decide_may_rule(
    suspect: Case, pharmacist: User, lakeside: User
) -> None:
    for actor in (pharmacist, lakeside):  # the director holds it
        with pytest.raises(services.ServiceError):
            services.identity_rule(
                actor=actor, case=suspect, other_member_key="FEP100", ruling="same", reason=""
            )
    assert not IdentityRuling.objects.exists()


def test_the_case_page_warns_and_links_both_and_the_clinic_sees_none_of_it(
    suspect: Case, approved_elsewhere: Case, director: User, lakeside: User
) -> None:
    page = client_for(director).get(reverse("reviewer:case", args=[suspect.pk]))
    body = page.content.decode()
    assert "Possible same person" in body and "FEP-100" in body
    assert reverse("reviewer:case", args=[approved_elsewhere.pk]) in body
    assert approved_elsewhere.authorization.number in body
    other = client_for(director).get(reverse("reviewer:case", args=[approved_elsewhere.pk]))
    assert "XYZ-77" in other.content.decode()  # the warning shows from both sides

    clinic = client_for(lakeside).get(reverse("prescriber:case_detail", args=[suspect.pk]))
    assert clinic.status_code == 200
    text = clinic.content.decode()
    assert "FEP-100" not in text and "Riverside" not in text and "same person" not in text


def test_the_clinic_sees_nothing_of_a_ruling_nor_the_payers_working_reasons(
    suspect: Case, approved_elsewhere: Case, director: User, lakeside: User
) -> None:
    """After the ruling too: its reason names the other clinic's member (audit, 2026-11-26)."""
    services.identity_rule(
        actor=director,
        case=suspect,
        other_member_key="FEP100",
        ruling="different",
        reason="Riverside member FEP-100 is a twin, the plan confirmed.",
    )
    services.checklist_override(
        actor=director,
        case=suspect,
        criterion_id="excl_inhibitor_history",
        status="unknown",
        reason="Zebra-4411 inhibitor screen read again",
    )
    services.case_pend(actor=director, case=suspect, items=["Factor IX activity report"])
    text = client_for(lakeside).get(reverse("prescriber:case_detail", args=[suspect.pk]))
    body = text.content.decode()

    for secret in ("FEP-100", "Riverside", "twin", "same person", "Zebra-4411"):
        assert secret not in body
    assert "Factor IX activity report" in body  # the request for information keeps its words


def test_a_ruling_through_the_case_page(suspect: Case, director: User) -> None:
    response = client_for(director).post(
        reverse("reviewer:identity", args=[suspect.pk]),
        {"identity-other_member_key": "FEP100", "identity-ruling": "same", "identity-reason": ""},
    )
    assert response.status_code == 302
    assert IdentityRuling.objects.get().ruling == "same"


@pytest.mark.django_db(transaction=True)
def test_two_members_ruled_one_person_and_approved_at_once_get_one_authorization(
    riverside: User, lakeside: User, pharmacist: User, director: User
) -> None:
    """Two keys are beyond the unique index: the member-key locks serialize the approvals."""
    first = services.case_claim(actor=pharmacist, case=_member(riverside, "AAA-1"))
    second = services.case_claim(actor=director, case=_member(lakeside, "BBB-2"))
    for case, actor, other in ((first, pharmacist, "BBB2"), (second, director, "AAA1")):
        services.identity_rule(
            actor=actor, case=case, other_member_key=other, ruling="same", reason=""
        )
    results = race(
        lambda: services.case_approve(actor=pharmacist, case=first),
        lambda: services.case_approve(actor=director, case=second),
    )
    assert sum(isinstance(r, Decision) for r in results) == 1, results
    assert sum(isinstance(r, services.LifetimeLimitReached) for r in results) == 1, results
    assert Authorization.objects.filter(state="active").count() == 1
