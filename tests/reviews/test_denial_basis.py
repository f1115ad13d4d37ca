"""A denial a medical director can always make (issue 16): on lines that stand not met, on lines
still unknown after an unanswered request for information, or on clinical judgment with an
explanation; the letter says which."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import User
from reviews import services
from reviews.letters import render_letter_html
from reviews.models import Status
from reviews.workflow import DenialBasis
from tests.conftest import client_for
from tests.factories import make_case
from tests.reviews.test_letter_pdf import assert_drawn_whole
from tests.reviews.views.reviewer.helpers import failing_facts, missing_hiv_facts


def _visible(html: str) -> str:
    return " ".join(html.split())


@pytest.mark.django_db
def test_it_denies_a_case_whose_every_line_is_met_on_clinical_judgment(
    riverside: User, director: User
) -> None:
    case = make_case(riverside, claim_by=director)
    decision = services.case_deny(
        actor=director,
        case=case,
        failed_criteria=[],
        reason="Hemgenix is not appropriate for this member now.",
        basis=DenialBasis.JUDGMENT,
        explanation="Liver fibrosis on the elastography report makes the risk too high.",
    )
    assert decision.snapshot["denial"]["basis"] == DenialBasis.JUDGMENT
    letter = _visible(render_letter_html(decision))
    assert "This denial rests on clinical judgment" in letter
    assert "Liver fibrosis on the elastography report makes the risk too high." in letter
    assert_drawn_whole(decision)


@pytest.mark.django_db
def test_it_refuses_clinical_judgment_without_an_explanation(
    riverside: User, director: User
) -> None:
    case = make_case(riverside, claim_by=director)
    with pytest.raises(services.ServiceError, match="explanation"):
        services.case_deny(
            actor=director, case=case, failed_criteria=[], reason="No.", basis="clinical_judgment"
        )
    case.refresh_from_db()
    assert case.status == Status.IN_REVIEW


@pytest.mark.django_db
def test_it_leaves_clinical_judgment_to_the_medical_director(
    riverside: User, pharmacist: User
) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    with pytest.raises(services.ServiceError, match="medical director"):
        services.case_deny(
            actor=pharmacist,
            case=case,
            failed_criteria=[],
            reason="No.",
            basis=DenialBasis.JUDGMENT,
            explanation="Judgment.",
        )


@pytest.mark.django_db
def test_it_denies_unknown_lines_after_an_unanswered_request_for_information(
    riverside: User, director: User
) -> None:
    case = make_case(riverside, facts=missing_hiv_facts(), claim_by=director)
    with pytest.raises(services.ServiceError, match="No request for information"):
        services.case_deny(
            actor=director, case=case, failed_criteria=["excl_hiv"], reason="No HIV result."
        )
    case = services.case_pend(actor=director, case=case, items=["HIV serology result"])
    decision = services.case_deny(
        actor=director,
        case=case,
        failed_criteria=["excl_hiv"],
        reason="We did not receive the HIV serology result.",
        basis=DenialBasis.UNANSWERED,
    )
    case.refresh_from_db()
    assert case.status == Status.DENIED
    letter = _visible(render_letter_html(decision))
    assert "rests on information we asked for and did not receive" in letter
    assert "Positive HIV serological test not controlled with anti-viral therapy" in letter
    assert_drawn_whole(decision)


@pytest.mark.django_db
def test_it_refuses_a_basis_the_cited_lines_do_not_carry(riverside: User, director: User) -> None:
    case = make_case(riverside, facts=missing_hiv_facts(), claim_by=director)
    with pytest.raises(services.ServiceError, match="do not stand not met"):
        services.case_deny(
            actor=director,
            case=case,
            failed_criteria=["excl_hiv"],
            reason="x",
            basis=DenialBasis.NOT_MET,
        )


@pytest.mark.django_db
def test_it_says_criteria_not_met_on_the_letter_of_an_ordinary_denial(
    riverside: User, director: User
) -> None:
    case = make_case(riverside, facts=failing_facts(), claim_by=director)
    decision = services.case_deny(
        actor=director, case=case, failed_criteria=["fix_activity"], reason="Factor IX 5 %."
    )
    assert decision.snapshot["denial"]["basis"] == DenialBasis.NOT_MET
    assert "This denial rests on the plan's criteria" in _visible(render_letter_html(decision))


@pytest.mark.django_db(transaction=True)
def test_it_offers_the_director_a_denial_when_a_ruling_left_no_line_not_met(
    riverside: User, director: User
) -> None:
    """The dead end of the issue: the only not-met line ruled met, the deny form still works."""
    case = make_case(riverside, facts=failing_facts(), claim_by=director)
    services.checklist_override(
        actor=director, case=case, criterion_id="fix_activity", status="met", reason="Lab: 1 %"
    )
    client = client_for(director)
    page = client.get(reverse("reviewer:case", args=[case.pk])).content.decode()
    assert "Medical director&#x27;s clinical judgment" in page
    response = client.post(
        reverse("reviewer:deny", args=[case.pk]),
        {
            "deny-basis": "clinical_judgment",
            "deny-explanation": "Recent liver biopsy shows cirrhosis.",
            "deny-reason": "Hemgenix is not appropriate now.",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.DENIED


@pytest.mark.django_db(transaction=True)
def test_it_does_not_offer_a_pharmacist_clinical_judgment(
    riverside: User, pharmacist: User
) -> None:
    case = make_case(riverside, facts=failing_facts(), claim_by=pharmacist)
    page = client_for(pharmacist).get(reverse("reviewer:case", args=[case.pk])).content.decode()
    assert 'value="criteria_not_met"' in page
    assert 'value="clinical_judgment"' not in page
