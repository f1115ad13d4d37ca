"""Ruling on a checklist line from its row (issue 16): the row's form (htmx or the full page
without JavaScript), the same service as every ruling, the row and the summary back in place,
refusals in the row with a clear 4xx and nothing changed."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from audit.models import AuditLog
from reviews import services
from reviews.models import Case, ChecklistOverride, Status
from tests.conftest import client_for
from tests.factories import make_case

from .helpers import missing_hiv_facts

HTMX = {"HX-Request": "true"}
EVIDENCE = "HIV-1/2 antibody negative on the attached lab report, 2026-05-02"


def rule_url(case: Case, criterion: str = "excl_hiv") -> str:
    return reverse("reviewer:rule_line", args=[case.pk, criterion])


def ruling(criterion: str = "excl_hiv", status: str = "met", reason: str = EVIDENCE) -> dict:
    prefix = f"rule-{criterion}"
    return {f"{prefix}-status": status, f"{prefix}-reason": reason}


@pytest.fixture
def case(riverside: User, pharmacist: User) -> Case:
    """Riverside's case without an HIV result (the exclusion line unknown), held by Phil."""
    return make_case(riverside, facts=missing_hiv_facts(), claim_by=pharmacist)


def row_of(body: str, criterion: str) -> str:
    """The line's own <tbody>: its row and, when open, its ruling form's row."""
    row = body[body.index(f'id="line-{criterion}"') :]
    return row[: row.index("</tbody>")]


# --- the form in the row --------------------------------------------------------------------


def test_it_opens_the_form_in_the_row_with_the_exclusion_wording(
    case: Case, pharmacist: User
) -> None:
    response = client_for(pharmacist).get(rule_url(case), headers=HTMX)

    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<tbody id="line-excl_hiv"')
    assert "{#" not in body and "#}" not in body
    assert 'data-testid="rule-form"' in body
    assert "Exclusion absent" in body and "Exclusion present" in body and "Unknown" in body
    assert ">Met<" not in body and "Not met<" not in body


def test_it_audits_the_line_it_shows(case: Case, pharmacist: User) -> None:
    before = AuditLog.objects.filter(action="case.view", case_id=case.pk).count()

    client_for(pharmacist).get(rule_url(case), headers=HTMX)

    assert AuditLog.objects.filter(action="case.view", case_id=case.pk).count() == before + 1


def test_it_opens_met_not_met_unknown_on_a_requirement(case: Case, pharmacist: User) -> None:
    body = client_for(pharmacist).get(rule_url(case, "prescriber"), headers=HTMX).content.decode()

    assert "Met" in body and "Not met" in body and "Unknown" in body
    assert "Exclusion" not in body


def test_it_offers_the_rule_control_on_every_row_to_whoever_may_rule(
    case: Case, pharmacist: User, director: User
) -> None:
    mine = client_for(pharmacist).get(reverse("reviewer:case", args=[case.pk])).content.decode()
    # The director does not hold the case: no control on any row.
    theirs = client_for(director).get(reverse("reviewer:case", args=[case.pk])).content.decode()

    for line in case.checklist["lines"]:
        assert rule_url(case, line["id"]) in row_of(mine, line["id"])
        assert rule_url(case, line["id"]) not in row_of(theirs, line["id"])


def test_it_opens_the_form_on_the_full_page_without_javascript(
    case: Case, pharmacist: User
) -> None:
    client = client_for(pharmacist)
    response = client.get(rule_url(case))

    assert response.status_code == 302
    assert response["Location"].endswith("?rule=excl_hiv#line-excl_hiv")
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="rule-form"' in row_of(page, "excl_hiv")
    assert page.count('data-testid="rule-form"') == 1


def test_it_closes_the_form_on_cancel(case: Case, pharmacist: User) -> None:
    body = client_for(pharmacist).get(f"{rule_url(case)}?close=1", headers=HTMX).content.decode()

    assert 'data-testid="rule-form"' not in body and "Rule…" in body


# --- a ruling recorded ------------------------------------------------------------------------


def test_it_records_a_ruling_and_returns_the_row_and_the_summary_with_htmx(
    case: Case, pharmacist: User
) -> None:
    response = client_for(pharmacist).post(rule_url(case), ruling(), headers=HTMX)

    assert response.status_code == 200
    assert response["HX-Trigger"] == "case-ruled"
    override = ChecklistOverride.objects.get(case=case)
    assert (override.criterion_id, override.engine_status, override.status) == (
        "excl_hiv",
        "unknown",
        "met",
    )
    assert override.actor == pharmacist and override.reason == EVIDENCE
    body = response.content.decode()
    row = row_of(body, "excl_hiv")
    # The engine's result stays beside the ruling, which reads as an exclusion reads.
    assert 'data-status="unknown"' in row and "Unknown: exclusion not ruled out" in row
    assert "Ruled: Exclusion absent" in row and EVIDENCE in row
    assert 'data-testid="rule-form"' not in row
    # The summary comes along out of band: every line now stands met.
    summary = body[body.index('id="case-summary"') :]
    assert 'hx-swap-oob="true"' in summary[:300]
    assert f"{len(case.checklist['lines'])} met" in summary and "0 unknown" in summary


def test_it_records_a_ruling_unknown(case: Case, pharmacist: User) -> None:
    response = client_for(pharmacist).post(
        rule_url(case, "prescriber"),
        ruling("prescriber", "unknown", "The specialty on the form contradicts the letter"),
        headers=HTMX,
    )

    assert response.status_code == 200
    assert ChecklistOverride.objects.get(case=case).status == "unknown"
    assert "Ruled: Unknown" in response.content.decode()


def test_it_records_a_ruling_without_javascript_and_redirects(case: Case, pharmacist: User) -> None:
    client = client_for(pharmacist)
    response = client.post(rule_url(case), ruling(status="not_met"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('reviewer:case', args=[case.pk])}#line-excl_hiv"
    assert ChecklistOverride.objects.get(case=case).status == "not_met"
    page = client.get(response["Location"]).content.decode()
    assert "Ruled: Exclusion present" in row_of(page, "excl_hiv")
    assert "Your ruling on the line is recorded" in page


# --- refusals: a clear 4xx, shown in the row, nothing changed ---------------------------------


def test_it_refuses_a_ruling_without_a_reason_in_the_row(case: Case, pharmacist: User) -> None:
    response = client_for(pharmacist).post(rule_url(case), ruling(reason="   "), headers=HTMX)

    assert response.status_code == 422
    body = response.content.decode()
    assert 'data-testid="rule-form"' in body and "Give a reason" in body
    assert not ChecklistOverride.objects.exists()


def test_it_refuses_a_ruling_without_a_reason_without_javascript(
    case: Case, pharmacist: User
) -> None:
    client = client_for(pharmacist)
    response = client.post(rule_url(case), ruling(reason=""))

    assert response.status_code == 302  # post/redirect/get
    page = client.get(response["Location"]).content.decode()
    row = row_of(page, "excl_hiv")
    assert 'data-testid="rule-form"' in row and "Give a reason" in row
    assert not ChecklistOverride.objects.exists()
    # Shown once: a refresh shows the page without the kept form.
    again = client.get(response["Location"]).content.decode()
    assert 'data-testid="rule-form"' not in again


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (ruling(status="approved"), 422),
        (ruling(status=""), 422),
        (ruling(reason="x" * 4001), 422),
        ({}, 422),
        # The request-shape middleware refuses a NUL byte before any view reads it.
        (ruling(reason="x\x00y"), 400),
    ],
    ids=["unknown-status", "no-status", "huge-reason", "empty", "nul-byte"],
)
def test_it_refuses_bad_input_with_a_4xx_and_changes_nothing(
    case: Case, pharmacist: User, data: dict[str, Any], status: int
) -> None:
    response = client_for(pharmacist).post(rule_url(case), data, headers=HTMX)

    assert response.status_code == status
    assert not ChecklistOverride.objects.exists()


def test_it_refuses_a_ruling_on_a_case_held_by_someone_else(
    riverside: User, pharmacist: User, director: User
) -> None:
    case = make_case(riverside, facts=missing_hiv_facts(), claim_by=director)

    response = client_for(pharmacist).post(rule_url(case), ruling(), headers=HTMX)

    assert response.status_code == 409
    body = response.content.decode()
    assert 'role="alert"' in body and "Dana Dorsey, MD, Hematology holds this case" in body
    assert 'data-testid="rule-form"' not in body
    assert not ChecklistOverride.objects.exists()


def test_it_answers_409_for_the_form_where_no_ruling_may_be_made(
    case: Case, director: User
) -> None:
    response = client_for(director).get(rule_url(case), headers=HTMX)

    assert response.status_code == 409
    body = response.content.decode()
    assert "You cannot rule on this case now." in body and 'data-testid="rule-form"' not in body


def test_it_refuses_a_ruling_on_a_pended_case(case: Case, pharmacist: User) -> None:
    services.case_pend(actor=pharmacist, case=case, items=["HIV serology"], message="")

    response = client_for(pharmacist).post(rule_url(case), ruling(), headers=HTMX)

    assert response.status_code == 409
    assert Case.objects.get(pk=case.pk).status == Status.PENDED
    assert not ChecklistOverride.objects.exists()


def test_it_refuses_a_line_that_reads_so_already(case: Case, pharmacist: User) -> None:
    response = client_for(pharmacist).post(
        rule_url(case, "prescriber"), ruling("prescriber", "met"), headers=HTMX
    )

    assert response.status_code == 409
    assert "already reads met" in response.content.decode()
    assert not ChecklistOverride.objects.exists()


@pytest.mark.parametrize("criterion", ["no_such_line", "EXCL_HIV", "age-"])
def test_it_answers_404_for_a_line_not_in_the_policy(
    case: Case, pharmacist: User, criterion: str
) -> None:
    client = client_for(pharmacist)
    assert client.get(rule_url(case, criterion), headers=HTMX).status_code == 404
    assert (
        client.post(rule_url(case, criterion), ruling(criterion), headers=HTMX).status_code == 404
    )
    assert not ChecklistOverride.objects.exists()


def test_it_answers_404_for_a_line_id_no_url_takes(case: Case, pharmacist: User) -> None:
    base = reverse("reviewer:case", args=[case.pk])
    client = client_for(pharmacist)
    for bad in ("excl%00hiv", "excl%2Fhiv", "%E2%80%8Bage", "a" * 5000):
        # 400 from the request-shape middleware (a NUL byte), else no URL matches.
        assert client.post(f"{base}lines/{bad}/rule/", {}, headers=HTMX).status_code in (400, 404)
    assert not ChecklistOverride.objects.exists()


@pytest.mark.parametrize("who", ["riverside", "lakeside", "auditor"])
def test_it_refuses_whoever_may_not_rule(
    case: Case, who: str, request: pytest.FixtureRequest
) -> None:
    user: User = request.getfixturevalue(who)
    client = client_for(user)

    for response in (
        client.get(rule_url(case), headers=HTMX),
        client.post(rule_url(case), ruling(), headers=HTMX),
        client.post(rule_url(case), ruling()),
    ):
        assert response.status_code in (403, 404)
    assert not ChecklistOverride.objects.exists()


def test_it_refuses_an_anonymous_visitor(case: Case) -> None:
    response = Client().post(rule_url(case), ruling(), headers=HTMX)

    assert response.status_code in (302, 403)
    assert not response.get("Location", "/accounts/login").startswith("/review")
    assert not ChecklistOverride.objects.exists()


def test_it_answers_404_for_a_case_that_does_not_exist(pharmacist: User) -> None:
    url = reverse("reviewer:rule_line", args=[999_999_999, "excl_hiv"])
    assert client_for(pharmacist).post(url, ruling(), headers=HTMX).status_code == 404
