"""Decisions and moves from the case page: POST forms, service refusals shown, nothing changed."""

from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.models import User
from reviews import services
from reviews.models import Authorization, Case, CaseEvent, Decision, RequestForInformation, Status
from tests.conftest import client_for
from tests.factories import make_case

from .helpers import failing_facts, missing_hiv_facts


def post(user: User, case: Case, action: str, data: dict[str, Any] | None = None) -> Any:
    return client_for(user).post(reverse(f"reviewer:{action}", args=[case.pk]), data or {})


def refused(user: User, case: Case, action: str, data: dict[str, Any] | None = None) -> Any:
    """A refused POST redirects back to the case page (post/redirect/get, never a page at the
    POST URL); the page's next GET shows the form as typed, with its errors. Returns the POST's
    response, its messages and that page's response (as .page)."""
    client = client_for(user)
    response: Any = client.post(reverse(f"reviewer:{action}", args=[case.pk]), data or {})
    assert response.status_code == 302
    assert response["Location"] == reverse("reviewer:case", args=[case.pk]) + "#actions"
    response.page = client.get(response["Location"])
    return response


def message_texts(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_it_approves_and_issues_one_authorization(riverside: User, pharmacist: User) -> None:
    case = make_case(riverside, claim_by=pharmacist)

    response = post(pharmacist, case, "approve", {"approve-reason": "Verified"})

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.APPROVED
    authorization = Authorization.objects.get(case=case)
    assert (authorization.hcpcs_code, authorization.units) == ("J1411", 1)
    assert authorization.policy_id == case.policy_id
    assert (authorization.valid_to - authorization.valid_from).days == 180
    assert Decision.objects.get(case=case).decided_by == pharmacist


def test_it_refuses_to_approve_while_a_line_is_not_met(riverside: User, pharmacist: User) -> None:
    case = make_case(riverside, facts=missing_hiv_facts(), claim_by=pharmacist)

    response = refused(pharmacist, case, "approve")

    assert any("not met or unknown: HIV status" in m for m in message_texts(response))
    case.refresh_from_db()
    assert case.status == Status.IN_REVIEW
    assert not Decision.objects.filter(case=case).exists()


def test_it_approves_once_the_reviewer_rules_the_missing_line_met(
    riverside: User, pharmacist: User
) -> None:
    case = make_case(riverside, facts=missing_hiv_facts(), claim_by=pharmacist)
    services.checklist_override(
        actor=pharmacist, case=case, criterion_id="excl_hiv", status="met", reason="Lab report"
    )

    assert post(pharmacist, case, "approve").status_code == 302
    decision = Decision.objects.get(case=case)
    assert decision.snapshot["overrides"][0]["criterion"] == "excl_hiv"


def test_it_tells_the_second_reviewer_the_case_was_already_decided(
    riverside: User, pharmacist: User, director: User
) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    services.case_escalate(actor=pharmacist, case=case, reason="Second opinion")
    post(director, case, "approve")

    response = refused(director, case, "deny", {"deny-failed_criteria": [], "deny-reason": "x"})
    late = refused(director, case, "approve")

    assert "failed_criteria" in response.page.context["forms"]["deny"].errors
    assert any("already decided" in m for m in message_texts(late))
    assert Decision.objects.filter(case=case).count() == 1


def test_it_prefills_the_denial_from_the_failed_lines(riverside: User, pharmacist: User) -> None:
    case = make_case(riverside, facts=failing_facts(), claim_by=pharmacist)
    services.checklist_override(
        actor=pharmacist,
        case=case,
        criterion_id="prescriber",
        status="not_met",
        reason="The prescriber is a family physician, not a hematologist",
    )

    form = (
        client_for(pharmacist)
        .get(reverse("reviewer:case", args=[case.pk]))
        .context["forms"]["deny"]
    )

    assert form.initial["failed_criteria"] == ["fix_activity", "prescriber"]
    assert "above the policy's 2.0% maximum" in form.initial["reason"]
    assert "family physician, not a hematologist" in form.initial["reason"]
    offered = [value for value, _ in form.fields["failed_criteria"].choices]
    assert offered == ["fix_activity", "prescriber"]  # lines that stand met are not offered


def test_it_denies_with_the_chosen_criteria_and_reason(riverside: User, pharmacist: User) -> None:
    case = make_case(riverside, facts=failing_facts(), claim_by=pharmacist)

    response = post(
        pharmacist,
        case,
        "deny",
        {"deny-failed_criteria": ["fix_activity"], "deny-reason": "Factor IX above 2%."},
    )

    assert response.status_code == 302
    decision = Decision.objects.get(case=case)
    assert (decision.outcome, decision.failed_criteria) == ("denied", ["fix_activity"])
    assert decision.reason == "Factor IX above 2%."
    assert not Authorization.objects.filter(case=case).exists()


def test_it_refuses_a_denial_without_criteria_or_reason_on_the_fields(
    riverside: User, pharmacist: User
) -> None:
    case = make_case(riverside, facts=failing_facts(), claim_by=pharmacist)

    response = refused(pharmacist, case, "deny", {"deny-reason": ""})

    errors = response.page.context["forms"]["deny"].errors
    assert set(errors) == {"failed_criteria", "reason"}
    case.refresh_from_db()
    assert case.status == Status.IN_REVIEW


def test_it_leaves_denials_to_the_medical_director_when_the_setting_says_so(
    settings: Any, riverside: User, pharmacist: User, director: User
) -> None:
    settings.DENIAL_REQUIRES_MEDICAL_DIRECTOR = True
    case = make_case(riverside, facts=failing_facts(), claim_by=pharmacist)
    data = {"deny-failed_criteria": ["fix_activity"], "deny-reason": "Factor IX above 2%."}

    refusal = refused(pharmacist, case, "deny", data)
    services.case_escalate(actor=pharmacist, case=case, reason="Denial needs the director")
    allowed = post(director, case, "deny", data)

    assert any("made by the medical director" in m for m in message_texts(refusal))
    assert allowed.status_code == 302
    assert Decision.objects.get(case=case).decided_by == director


def test_it_pends_with_the_information_the_checklist_asks_for(
    riverside: User, pharmacist: User
) -> None:
    case = make_case(riverside, facts=missing_hiv_facts(), claim_by=pharmacist)
    page = client_for(pharmacist).get(reverse("reviewer:case", args=[case.pk]))
    asked = page.context["forms"]["pend"].initial["items"]
    assert asked == case.checklist["requests_for_information"][0]

    response = post(pharmacist, case, "pend", {"pend-items": f"{asked}\n\n", "pend-message": ""})

    assert response.status_code == 302
    rfi = RequestForInformation.objects.get(case=case)
    assert rfi.items == [asked]
    case.refresh_from_db()
    assert case.status == Status.PENDED


def test_it_escalates_with_a_reason_and_refuses_without(riverside: User, pharmacist: User) -> None:
    case = make_case(riverside, claim_by=pharmacist)

    empty = refused(pharmacist, case, "escalate", {"escalate-reason": ""})
    done = post(pharmacist, case, "escalate", {"escalate-reason": "Borderline liver stiffness"})

    assert "reason" in empty.page.context["forms"]["escalate"].errors
    assert done.status_code == 302
    event = CaseEvent.objects.get(case=case, action="escalate")
    assert (event.reason, event.to_status) == ("Borderline liver stiffness", Status.ESCALATED)


def test_it_assigns_and_releases(riverside: User, pharmacist: User, director: User) -> None:
    case = make_case(riverside, claim_by=pharmacist)

    assign = post(pharmacist, case, "assign", {"assign-reviewer": director.pk})
    refusal = refused(pharmacist, case, "release")
    released = post(director, case, "release")

    assert assign.status_code == 302 and released.status_code == 302
    assert any("holds this case" in m for m in message_texts(refusal))
    case.refresh_from_db()
    assert (case.status, case.assigned_to) == (Status.SUBMITTED, None)


def test_it_offers_the_active_reviewers_to_assign_by_name(
    riverside: User, pharmacist: User, director: User, auditor: User
) -> None:
    retired = User.objects.create_user(
        "retired", role=pharmacist.role, first_name="Rita", last_name="Retired", is_active=False
    )
    case = make_case(riverside)

    page = client_for(pharmacist).get(reverse("reviewer:case", args=[case.pk]))
    field = page.context["forms"]["assign"]["reviewer"].field
    choices = list(field.widget.choices)

    assert choices == [
        ("", field.empty_label),
        *sorted(
            [(pharmacist.pk, pharmacist.display_name), (director.pk, director.display_name)],
            key=lambda choice: User.objects.get(pk=choice[0]).last_name,
        ),
    ]
    assert director.display_name in page.content.decode()
    assert retired.pk not in [pk for pk, _ in choices] and auditor.pk not in dict(choices)


def test_it_refuses_a_decision_from_a_reviewer_who_does_not_hold_the_case(
    riverside: User, pharmacist: User, director: User
) -> None:
    case = make_case(riverside, claim_by=director)

    response = refused(pharmacist, case, "approve")

    assert any("Dana Dorsey, MD, Hematology holds this case" in m for m in message_texts(response))
    assert not Decision.objects.filter(case=case).exists()


def test_it_only_offers_the_moves_the_workflow_allows(
    riverside: User, pharmacist: User, director: User
) -> None:
    unheld = make_case(riverside)
    held = make_case(riverside, claim_by=director)

    def offered(case: Case) -> list[str]:
        page = client_for(pharmacist).get(reverse("reviewer:case", args=[case.pk]))
        return page.context["actions"]

    assert offered(unheld) == ["claim", "assign"]
    assert offered(held) == ["assign"]


@pytest.mark.parametrize("action", ["claim", "approve", "release", "pend", "deny"])
def test_it_requires_the_csrf_token(riverside: User, pharmacist: User, action: str) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    client = client_for(pharmacist)
    client.handler.enforce_csrf_checks = True

    response = client.post(reverse(f"reviewer:{action}", args=[case.pk]), {})

    assert response.status_code == 403
    case.refresh_from_db()
    assert case.status == Status.IN_REVIEW


def test_it_refuses_get_on_a_decision(riverside: User, pharmacist: User) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    response = client_for(pharmacist).get(reverse("reviewer:approve", args=[case.pk]))
    assert response.status_code == 405


def test_it_answers_a_refused_form_with_a_redirect_so_a_refresh_sends_nothing(
    riverside: User, pharmacist: User
) -> None:
    """Post/redirect/get (issue 16): no page is rendered at /review/cases/<id>/approve/; the
    refusal waits once in the session, shown on the form at the top, then is gone."""
    case = make_case(riverside, facts=missing_hiv_facts(), claim_by=pharmacist)
    client = client_for(pharmacist)

    response = client.post(reverse("reviewer:approve", args=[case.pk]), {"approve-reason": "ok"})
    page = client.get(response["Location"])
    again = client.get(response["Location"])

    assert response.status_code == 302
    form = page.context["forms"]["approve"]
    assert form.data["approve-reason"] == "ok"
    assert any("not met or unknown" in e for e in form.non_field_errors())
    assert not again.context["forms"]["approve"].is_bound


@pytest.mark.parametrize(
    ("action", "field"),
    [("deny", "deny-reason"), ("escalate", "escalate-reason"), ("pend", "pend-message")],
)
def test_it_keeps_no_more_of_a_refused_form_than_its_field_takes(
    riverside: User, pharmacist: User, action: str, field: str
) -> None:
    """A refused form waits in the session for the next GET as typed (post/redirect/get), but
    never more of a value than the longest field takes and one character (enough for its
    error), as for a note: megabytes pasted by mistake were stored in the session and drawn
    back into the page."""
    case = make_case(riverside, facts=failing_facts(), claim_by=pharmacist)
    client = client_for(pharmacist)

    response = client.post(reverse(f"reviewer:{action}", args=[case.pk]), {field: "x" * 1_000_000})
    kept = client.session["reviewer-failed-form"]["data"][field][0]
    page = client.get(response["Location"])

    assert response.status_code == 302 and 4000 < len(kept) <= 8001
    assert len(page.content) < 200_000
    assert "at most" in str(page.context["forms"][action].errors[field.partition("-")[2]])
    assert not CaseEvent.objects.filter(case=case, action=action).exists()
