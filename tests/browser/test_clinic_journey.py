"""The clinic's journey in real Chromium, as its staff would make it: a new patient, the request
filled step by step while the live checklist counts down what is unknown, a PDF lab report,
submission, an answer to the pharmacist's request for information, and the letter the Celery
worker makes after the approval."""

from __future__ import annotations

import re
import subprocess
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from accounts.models import User
from reviews.models import Authorization, Case, Patient, Status
from tests.browser.journeys import (
    answer,
    approve,
    claim_from_queue,
    downloaded,
    overflows,
    pdf_text,
    pend,
    report_pdf,
    script_errors,
    signed_in,
)
from tests.browser.support import screenshot
from tests.factories import days_ago

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LIVER_PANEL = report_pdf(
    "Riverside Clinical Laboratory - hepatic function panel",
    [
        "Patient: Moreno, Daniel   Member ID: FEP-40211873",
        f"Collected: {days_ago(20)}",
        "ALT 22 U/L (ref 7-56)   AST 25 U/L (ref 10-40)",
        "ALP 80 U/L (ref 44-147)   Total bilirubin 0.6 mg/dL (ref 0.1-1.2)",
    ],
)


def add_patient(page: Page) -> None:
    page.get_by_role("link", name="Patients").click()
    page.get_by_role("link", name="Add a patient").click()
    page.get_by_label("Health plan member ID").fill("FEP-40211873")
    page.get_by_label("First name").fill("Daniel")
    page.get_by_label("Last name").fill("Moreno")
    page.get_by_label("Date of birth").fill("1979-03-14")
    page.get_by_label("Sex assigned at birth").select_option("male")
    page.get_by_role("button", name="Add patient and start a request").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Patient Moreno, Daniel (FEP-40211873) added."
    )


def fill(page: Page, values: dict[str, str]) -> None:
    """Type into text fields and choose in selects, field by field, as a person would."""
    for label, value in values.items():
        field = page.get_by_label(label, exact=True)
        if field.evaluate("el => el.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)


def fill_request_watching_the_checklist(page: Page) -> None:
    preview = page.get_by_test_id("checklist-preview")
    count = preview.get_by_test_id("unknown-count")
    unknowns = preview.get_by_test_id("unknown-items")
    # The patient alone settles age, sex and the lifetime limit.
    patient = Patient.objects.get(member_id="FEP-40211873")
    expect(page.get_by_role("combobox", name="Patient")).to_have_value(str(patient.pk))
    expect(count).to_contain_text("11 unknown")
    fill(
        page,
        {
            "Planned infusion date": days_ago(-30),
            "Body weight (kg)": "82",
            "Prescriber name": "Dr. Amara Okafor",
            "Prescriber NPI": "1234567893",
            "Prescriber specialty": "hematology",
        },
    )
    expect(count).to_contain_text("10 unknown")
    expect(unknowns.locator('[data-criterion="prescriber"]')).to_have_count(0)
    fill(
        page,
        {
            "Diagnosis (ICD-10-CM)": "D67",
            "Factor IX activity": "1",
            "Factor IX activity unit": "%",
            "Factor IX test date": days_ago(30),
        },
    )
    expect(count).to_contain_text("8 unknown")
    fill(
        page,
        {
            "Currently on factor IX prophylaxis": "yes",
            "Prophylaxis product": "Alprolix (eftrenonacog alfa)",
            "Current or past life-threatening hemorrhage": "yes",
        },
    )
    expect(count).to_contain_text("6 unknown")
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "request-form", full_page=False)

    for lab, value, unit in (
        ("ALT", "22", "U/L"),
        ("AST", "25", "U/L"),
        ("ALP", "80", "U/L"),
        ("Total bilirubin", "0.6", "mg/dL"),
    ):
        fill(
            page,
            {
                f"{lab} result": value,
                f"{lab} unit": unit,
                f"{lab} date": days_ago(20),
                f"{lab} source": "Riverside Clinical Laboratory",
            },
        )
    # Labs alone do not settle the liver line: it now asks only for the imaging.
    expect(unknowns.locator('[data-criterion="liver_assessment"]')).to_contain_text("ultrasound")
    expect(unknowns.locator('[data-criterion="liver_assessment"]')).not_to_contain_text("ALT")
    fill(
        page,
        {
            "Hepatic ultrasound date": days_ago(15),
            "Hepatic ultrasound findings": "Normal liver size and echotexture",
            "Elastography date": days_ago(15),
            "Elastography findings": "5.1 kPa (F0-F1)",
        },
    )
    expect(count).to_contain_text("5 unknown")
    fill(
        page,
        {
            "Any history of factor IX inhibitors": "no",
            "Latest inhibitor titer (BU)": "0.2",
            "Inhibitor assay": "nijmegen-bethesda",
            "Inhibitor test date": days_ago(20),
            "HIV status": "negative",
            "Active hepatitis B infection": "no",
            "Active hepatitis C infection": "no",
            "Prior gene therapy for hemophilia B": "no",
        },
    )
    # Another gene therapy under consideration is left "not known yet": one line stays open.
    expect(count).to_contain_text("1 unknown")
    expect(unknowns.locator("li")).to_have_count(1)
    expect(unknowns.locator('[data-criterion="excl_gene_therapy"]')).to_have_count(1)
    expect(page.get_by_test_id("preview-badge")).to_have_text("1 unknown")


def attach_lab_report(page: Page) -> None:
    documents = page.locator("#documents")
    documents.get_by_label("Kind of document").select_option("lab_report")
    documents.get_by_label("File (PDF, PNG or JPEG)").set_input_files(
        {"name": "liver-panel.pdf", "mimeType": "application/pdf", "buffer": LIVER_PANEL}
    )
    documents.get_by_label("Liver health assessment").check()
    documents.get_by_role("button", name="Attach").click()
    expect(page.get_by_role("alert")).to_contain_text("liver-panel.pdf attached.")
    expect(page.get_by_test_id("documents")).to_contain_text("supports Liver health assessment")


def test_it_takes_a_clinic_from_a_new_patient_to_the_determination_letter(
    browser: Browser,
    live_server: Any,
    riverside: User,
    pharmacist: User,
    celery_worker_process: subprocess.Popen[bytes],
) -> None:
    with (
        signed_in(browser, live_server, riverside) as clinic,
        signed_in(browser, live_server, pharmacist) as reviewer,
    ):
        add_patient(clinic)
        fill_request_watching_the_checklist(clinic)
        clinic.get_by_role("button", name="Save draft").click()
        expect(clinic.get_by_test_id("case-status")).to_have_text("Draft")
        attach_lab_report(clinic)
        # The preview still shows lines unknown: the clinic confirms it submits anyway.
        clinic.get_by_label(re.compile(r"^Submit anyway")).check()
        clinic.get_by_role("button", name="Submit for review").click()
        expect(clinic.get_by_test_id("case-status")).to_have_text("Submitted")
        case = Case.objects.get(patient__member_id="FEP-40211873")
        assert case.status == Status.SUBMITTED and case.recommendation == "pend"
        clinic.get_by_role("link", name="Requests", exact=True).first.click()
        row = clinic.locator(f'[data-case="{case.reference}"]')
        expect(row).to_contain_text("Submitted")
        assert not overflows(clinic)

        # The pharmacist, in another context, asks for the one thing still unknown.
        claim_from_queue(reviewer, case.reference)
        expect(reviewer.get_by_label("Information requested (one item per line)")).to_contain_text(
            "gene therapy"
        )
        pend(reviewer, "Please confirm no other gene therapy is planned.")

        clinic.reload()
        expect(row).to_contain_text("Pended: information requested")
        row.get_by_role("link", name=case.reference).click()
        expect(clinic.get_by_test_id("open-rfi").get_by_test_id("rfi-message")).to_have_text(
            "Please confirm no other gene therapy is planned."
        )
        answer(
            clinic,
            case.pk,
            {"Another hemophilia B gene therapy considered": "no"},
            "Confirmed with Dr. Okafor: no other gene therapy is under consideration.",
        )
        expect(clinic.get_by_test_id("recommendation")).to_have_text("Approve")

        reviewer.reload()
        approve(reviewer)
        expect(reviewer.get_by_test_id("case-status")).to_have_text("Approved")

        # The letter is the worker's job: the clinic's page polls until the link appears.
        clinic.reload()
        expect(clinic.get_by_test_id("decision")).to_contain_text("Approved")
        link = clinic.get_by_role("link", name="Download the determination letter (PDF)")
        expect(link).to_be_visible(timeout=60_000)
        # On screen, not only in the PDF: the number, its validity and the dose for 82 kg
        # (164 mL: 17 single-dose 10 mL vials, the last one partly used).
        authorization = Authorization.objects.get(case=case)
        decision = clinic.get_by_test_id("decision")
        expect(decision.get_by_test_id("authorization")).to_contain_text(authorization.number)
        expect(decision.get_by_test_id("authorization")).to_contain_text(
            f"{authorization.valid_to:%b} {authorization.valid_to.day}, {authorization.valid_to.year}"
        )
        dose = decision.get_by_test_id("authorized-dose")
        expect(dose).to_contain_text("82.0 kg")
        expect(dose).to_contain_text("164 mL")
        expect(dose).to_contain_text("17 single-dose 10 mL vials")
        decision.scroll_into_view_if_needed()
        screenshot(clinic, "clinic-approved", full_page=False)
        with clinic.expect_download() as info:
            link.click()
        letter = downloaded(info.value)
        assert letter.startswith(b"%PDF-")
        text = pdf_text(letter)
        assert "APPROVED" in text and case.reference in text and "Moreno" in text
        assert info.value.suggested_filename == f"{case.reference}-determination.pdf"
        assert not script_errors(clinic) and not script_errors(reviewer)
