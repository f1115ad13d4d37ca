"""No page of the journeys shows an internal code (issue 16): every clinic, reviewer and auditor
page for a case in each state is rendered, its tags stripped, and its visible text searched for
every criterion id, fact name, lab code, imaging kind, specialty, assay and status code that
reviews/labels.py maps to words."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from reviews import labels, services
from reviews.models import Case
from tests.conftest import client_for
from tests.factories import approvable_facts, days_ago, make_case
from tests.reviews.views.prescriber.conftest import request_post
from tests.reviews.views.reviewer.helpers import attach_pdf, failing_facts, missing_hiv_facts

pytestmark = pytest.mark.django_db(transaction=True)


class _Text(HTMLParser):
    """The text a person sees: no tags, attributes, scripts or styles. An element marked
    data-raw-record is the auditors' copy of the record as stored (JSON), raw on purpose."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("script", "style", "template") or any(k == "data-raw-record" for k, _ in attrs):
            self._hidden.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._hidden and self._hidden[-1] == tag:
            self._hidden.pop()

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


def raw_codes_in(text: str) -> set[str]:
    found = set()
    for code in labels.internal_codes():
        # A whole token: "fix_activity" but not inside a longer word or file name.
        if re.search(rf"(?<![\w.-]){re.escape(code)}(?![\w-])", text):
            found.add(code)
    return found


def _get(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def _cases(riverside: User, pharmacist: User, director: User) -> dict[str, Case]:
    """A case in each state, with documents citing lines, rulings and both decisions."""
    draft = make_case(riverside, facts=missing_hiv_facts(), submit=False)
    attach_pdf(riverside, draft, ["excl_hepatitis", "excl_hiv", "fix_activity"])

    in_review = make_case(riverside, facts=failing_facts(), submit=False)
    attach_pdf(riverside, in_review, ["fix_activity", "liver_assessment"])
    in_review = services.case_submit(actor=riverside, case=in_review)
    in_review = services.case_claim(actor=pharmacist, case=in_review)
    services.checklist_override(
        actor=pharmacist,
        case=in_review,
        criterion_id="fix_activity",
        status="met",
        reason="The lab report reads 1 %",
    )

    pended = make_case(riverside, facts=missing_hiv_facts(), claim_by=pharmacist)
    services.case_pend(actor=pharmacist, case=pended, items=["HIV serology result"])

    prescriber_by_center = {
        **approvable_facts(),
        "prescriber_specialty": "hemophilia_treatment_center",
    }
    approved = make_case(riverside, facts=prescriber_by_center, claim_by=pharmacist)
    services.case_approve(actor=pharmacist, case=approved, reason="All met")

    denied = make_case(riverside, facts=failing_facts(), claim_by=director)
    services.case_deny(
        actor=director,
        case=denied,
        failed_criteria=["fix_activity"],
        reason="Factor IX activity is above the policy's maximum.",
    )
    return {
        "draft": draft,
        "in_review": in_review,
        "pended": pended,
        "approved": approved,
        "denied": denied,
    }


def test_it_shows_no_internal_code_on_any_page_of_the_journeys(
    riverside: User, pharmacist: User, director: User, auditor: User
) -> None:
    cases = _cases(riverside, pharmacist, director)
    clinic, reviewer, oversight = client_for(riverside), client_for(pharmacist), client_for(auditor)
    pages: list[tuple[Client, str]] = [
        (clinic, reverse("prescriber:case_list") + "?show=all"),
        (clinic, reverse("prescriber:patient_list")),
        (clinic, reverse("prescriber:case_create")),
        (clinic, reverse("prescriber:case_edit", args=[cases["draft"].pk])),
        (clinic, reverse("prescriber:case_answer", args=[cases["pended"].pk])),
        (reviewer, reverse("reviewer:queue")),
    ]
    for case in cases.values():
        pages.append((clinic, reverse("prescriber:case_detail", args=[case.pk])))
        if case.status != "draft":  # a draft is the clinic's alone
            pages.append((oversight, reverse("audit:case", args=[case.pk])))
            pages.append((reviewer, reverse("reviewer:case", args=[case.pk])))

    shown = {url: raw_codes_in(visible_text(_get(client, url))) for client, url in pages}

    assert {url: codes for url, codes in shown.items() if codes} == {}


def test_it_names_the_fields_of_preview_errors_in_words(riverside: User) -> None:
    patient = make_case(riverside, submit=False).patient
    data = request_post(patient.pk, fix_activity_date=days_ago(-5), hiv_status="")
    response = client_for(riverside).post(reverse("prescriber:preview"), data)
    text = visible_text(response.content.decode())
    assert "after the evaluation date" in text
    assert raw_codes_in(text) == set()


def test_it_writes_an_engine_path_in_words() -> None:
    message = "diagnosis_code: must be an ICD-10-CM code such as D67; got 'X'"
    assert labels.fact_error("diagnosis_code", message) == (
        "Diagnosis code (ICD-10-CM): must be an ICD-10-CM code such as D67; got 'X'"
    )
    assert labels.fact_label("labs.TBILI") == "Total bilirubin"
    assert labels.fact_label("labs[1].unit") == "Liver lab 2 unit"
    assert labels.fact_value("on_fix_prophylaxis", "true") == "Yes"
    assert labels.fact_value("prescriber_specialty", "hemophilia_treatment_center") == (
        "Hemophilia treatment center"
    )


def test_it_finds_a_raw_code_in_visible_text_but_not_in_attributes() -> None:
    assert raw_codes_in(visible_text("<p>supports excl_hepatitis</p>")) == {"excl_hepatitis"}
    assert raw_codes_in(visible_text('<tr data-criterion="excl_hiv"><td>HIV</td></tr>')) == set()
    assert raw_codes_in(visible_text("<p>labs.TBILI: 1.0</p>")) >= {"labs.TBILI"}
