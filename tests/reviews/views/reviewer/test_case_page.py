"""The reviewer's case page: facts, checklist with evidence and documents, history, RFIs, audit."""

from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from audit.models import AuditLog
from reviews import services, tasks
from reviews.models import Case, ChecklistOverride
from tests.conftest import client_for
from tests.factories import make_case

from .helpers import attach_pdf, failing_facts, missing_hiv_facts


def page_of(user: User, case: Case) -> Any:
    return client_for(user).get(reverse("reviewer:case", args=[case.pk]))


def claimed_with_document(clinic: User, reviewer: User, supports: list[str]) -> Case:
    case = make_case(clinic, submit=False)
    attach_pdf(clinic, case, supports)
    case = services.case_submit(actor=clinic, case=case)
    return services.case_claim(actor=reviewer, case=case)


def test_it_shows_the_patient_request_checklist_and_history(
    riverside: User, pharmacist: User
) -> None:
    case = make_case(riverside, facts=failing_facts(), claim_by=pharmacist)

    response = page_of(pharmacist, case)

    assert response.status_code == 200
    body = response.content.decode()
    assert "Sam Example" in body and case.member_id in body and "Dr. Hema Tologist" in body
    assert "Riverside Hematology Associates" in body
    for line in case.checklist["lines"]:
        assert f'data-criterion="{line["id"]}" data-status="{line["status"]}"' in body
    assert "Factor IX activity 5 %, tested" in body  # the engine's reason, with its evidence
    assert "ALT" in body and "22 U/L" in body  # the labs table
    history = response.context["record"].events
    assert [e.action for e in history] == ["created", "submit", "claim"]
    assert "Held by you" in body


def test_it_writes_an_audit_row_for_every_view(riverside: User, pharmacist: User) -> None:
    case = make_case(riverside, claim_by=pharmacist)

    page_of(pharmacist, case)
    page_of(pharmacist, case)

    views = AuditLog.objects.filter(case=case, action="case.view")
    assert views.count() == 2
    assert {row.actor for row in views} == {pharmacist}


def test_it_links_the_document_that_supports_a_line(riverside: User, pharmacist: User) -> None:
    case = claimed_with_document(riverside, pharmacist, ["fix_activity"])
    document = case.documents.get()

    body = page_of(pharmacist, case).content.decode()

    url = reverse("document_download", args=[document.pk])
    row = body[body.index('data-criterion="fix_activity"') :]
    row = row[: row.index("</tr>")]
    assert f'<a href="{url}">factor-ix-lab.pdf</a>' in row
    other = body[body.index('data-criterion="age"') :]
    assert url not in other[: other.index("</tr>")]


def test_it_lists_open_and_answered_requests_for_information(
    riverside: User, pharmacist: User
) -> None:
    case = make_case(riverside, facts=missing_hiv_facts(), claim_by=pharmacist)
    services.case_pend(actor=pharmacist, case=case, items=["HIV serology result"])
    services.case_answer_rfi(
        actor=riverside, case=case, facts={"hiv_status": "negative"}, note="Negative in May"
    )
    services.case_pend(actor=pharmacist, case=case, items=["Elastography report"])

    body = page_of(pharmacist, case).content.decode()

    assert body.count('data-testid="rfi"') == 2
    assert "HIV serology result" in body and "Negative in May" in body
    assert "Elastography report" in body and ">Open<" in body


def test_it_keeps_drafts_and_other_roles_out(
    riverside: User, pharmacist: User, users: dict[str, User]
) -> None:
    draft = make_case(riverside, submit=False)
    submitted = make_case(riverside)

    assert page_of(pharmacist, draft).status_code == 404
    assert page_of(users["riverside"], submitted).status_code == 403
    assert page_of(users["audrey"], submitted).status_code == 403


def test_it_reads_the_page_in_the_same_number_of_queries_however_long_the_record(
    riverside: User, pharmacist: User
) -> None:
    short = make_case(riverside, facts=failing_facts(), claim_by=pharmacist)
    long = claimed_with_document(riverside, pharmacist, ["fix_activity", "liver_assessment"])
    for criterion in ("age", "sex", "diagnosis"):
        services.checklist_override(
            actor=pharmacist, case=long, criterion_id=criterion, status="not_met", reason="Check"
        )
    services.case_release(actor=pharmacist, case=long)
    services.case_claim(actor=pharmacist, case=long)

    assert _queries(pharmacist, long) == _queries(pharmacist, short)


def _queries(user: User, case: Case) -> int:
    client = client_for(user)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("reviewer:case", args=[case.pk])).status_code == 200
    return len(captured)


def test_it_records_a_ruling_beside_the_engines_result(riverside: User, pharmacist: User) -> None:
    case = make_case(riverside, facts=missing_hiv_facts(), claim_by=pharmacist)
    client = client_for(pharmacist)

    response = client.post(
        reverse("reviewer:override", args=[case.pk]),
        {
            "override-criterion": "excl_hiv",
            "override-status": "met",
            "override-reason": "HIV-1/2 antibody negative on the attached lab report, 2026-05-02",
        },
    )

    assert response.status_code == 302
    ruling = ChecklistOverride.objects.get(case=case)
    assert (ruling.engine_status, ruling.status, ruling.actor) == ("unknown", "met", pharmacist)
    case.refresh_from_db()
    line = next(ln for ln in case.checklist["lines"] if ln["id"] == "excl_hiv")
    assert line["status"] == "unknown"  # the engine's result is untouched
    body = page_of(pharmacist, case).content.decode()
    row = body[body.index('data-criterion="excl_hiv"') :]
    row = row[: row.index("</tr>")]
    assert 'data-status="unknown"' in row and "antibody negative on the attached" in row


def test_it_refuses_a_ruling_without_a_reason_on_the_field(
    riverside: User, pharmacist: User
) -> None:
    case = make_case(riverside, facts=missing_hiv_facts(), claim_by=pharmacist)

    client = client_for(pharmacist)
    response = client.post(
        reverse("reviewer:override", args=[case.pk]),
        {"override-criterion": "excl_hiv", "override-status": "met", "override-reason": " "},
    )

    assert response.status_code == 302  # post/redirect/get: the page is the case's own URL
    page = client.get(response["Location"])
    assert "reason" in page.context["forms"]["override"].errors
    assert not ChecklistOverride.objects.filter(case=case).exists()


def test_it_links_the_letter_once_the_worker_has_made_it(riverside: User, pharmacist: User) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    decision = services.case_approve(actor=pharmacist, case=case)
    status_url = reverse("reviewer:letter_status", args=[case.pk])
    letter_url = reverse("letter_download", args=[case.pk])

    before = page_of(pharmacist, case).content.decode()
    tasks.generate_letter(decision.pk)
    after = client_for(pharmacist).get(status_url).content.decode()

    assert f'hx-get="{status_url}"' in before and f'href="{letter_url}"' not in before
    assert f'href="{letter_url}"' in after and "hx-get" not in after


def test_it_shows_a_request_withdrawn_before_it_was_submitted(
    riverside: User, pharmacist: User
) -> None:
    """It was never evaluated (no policy, no checklist): its facts still show, under the
    sections of the policy in force today (a 500 before: the bench's case pages found it)."""
    draft = make_case(riverside, submit=False)
    services.case_withdraw(actor=riverside, case=draft, reason="Sent by mistake")
    draft.refresh_from_db()
    assert draft.policy_id == ""
    response = page_of(pharmacist, draft)
    assert response.status_code == 200
    assert draft.reference in response.content.decode()
