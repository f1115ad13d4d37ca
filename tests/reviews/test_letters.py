"""Determination letters: drawn for real (reviews/letter_pdf.py), read back with pypdf."""

import http.server
import io
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import User
from reviews import services, tasks
from reviews.letters import failed_items, render_letter_pdf
from reviews.models import Authorization, Case, CaseEvent, Decision
from tests.factories import approvable_facts, make_case, make_patient
from tests.walls import walls_down


def pdf_text(pdf: bytes) -> str:
    """The PDF's text with whitespace folded, so line breaks do not matter."""
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def stored_text(letter: FieldFile) -> str:
    with letter.open("rb") as handle:
        return pdf_text(handle.read())


def _denied(riverside: User, pharmacist: User) -> tuple[Case, Decision]:
    """Denied on two lines: factor IX activity (the engine's not met) and the inhibitor test
    (met by the engine, ruled not met by the reviewer on the lab report)."""
    facts = {**approvable_facts(), "fix_activity_value": "5"}
    case = make_case(riverside, facts=facts, claim_by=pharmacist)
    services.checklist_override(
        actor=pharmacist,
        case=case,
        criterion_id="excl_inhibitor_history",
        status="not_met",
        reason="The attached lab report shows an inhibitor titer of 1.2 BU in 2019.",
    )
    decision = services.case_deny(
        actor=pharmacist,
        case=case,
        failed_criteria=["fix_activity", "excl_inhibitor_history"],
        reason="Factor IX activity is above 2% and there is a history of inhibitors.",
    )
    return case, decision


def test_it_states_each_failed_criterion_with_its_section_the_reviewer_and_the_appeal_deadline(
    riverside: User, pharmacist: User
) -> None:
    case, decision = _denied(riverside, pharmacist)

    text = pdf_text(render_letter_pdf(decision))

    assert "Decision: DENIED" in text
    assert case.reference in text and case.patient.member_id in text
    fix_line = next(ln for ln in case.checklist["lines"] if ln["id"] == "fix_activity")
    assert " ".join(fix_line["wording"].split()) in text
    assert f"section: {fix_line['section']}" in text
    assert fix_line["reason"] in text  # what the engine found
    assert "History of factor IX inhibitors" in text
    assert "inhibitor titer of 1.2 BU in 2019" in text  # what the reviewer found
    assert "Phil Park, PharmD, BCPS" in text
    assert "Pharmacist reviewer" in text
    deadline = timezone.localdate(decision.created_at) + timedelta(days=180)
    assert "within 180 days" in text
    assert f"by {deadline:%B} {deadline.day}, {deadline.year}" in text
    assert case.policy_id in text


def test_it_states_the_reviewers_reason_for_a_line_ruled_unknown() -> None:
    """The engine read the line met, the reviewer ruled it unknown: the letter gives the
    reviewer's reason, not the engine's "met" one."""
    snapshot = {
        "checklist": {
            "lines": [
                {
                    "id": "prescriber",
                    "status": "met",
                    "wording": "Prescribed by or recommended by a hematologist",
                    "section": "Prior-Approval Requirements",
                    "reason": "Prescribed by a Hematology prescriber",
                }
            ]
        },
        "overrides": [
            {"criterion": "prescriber", "ruling": "unknown", "reason": "The letter names none."}
        ],
    }

    [item] = failed_items(snapshot, ["prescriber"])

    assert item["found"] == "The letter names none."


def test_it_states_the_authorization_on_an_approval(riverside: User, director: User) -> None:
    case = make_case(riverside, claim_by=director)
    decision = services.case_approve(actor=director, case=case, reason="All verified.")

    text = pdf_text(render_letter_pdf(decision))

    assert "Decision: APPROVED" in text
    authorization = case.authorization
    assert authorization.number in text
    assert "1 infusion of Hemgenix (HCPCS J1411)" in text
    assert f"{authorization.valid_to:%B} {authorization.valid_to.day}, " in text
    assert "Dana Dorsey, MD, Hematology" in text
    assert "right to appeal" not in text


def test_it_stores_the_letter_once_on_the_decision(riverside: User, pharmacist: User) -> None:
    case, decision = _denied(riverside, pharmacist)

    name = tasks.generate_letter(decision.pk)
    again = tasks.generate_letter(decision.pk)

    decision.refresh_from_db()
    assert name == again == decision.letter.name
    assert decision.letter_generated_at is not None
    assert "Decision: DENIED" in stored_text(decision.letter)
    assert CaseEvent.objects.filter(case=case, action="letter_generated").count() == 1


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_it_makes_the_letter_in_the_real_worker_after_an_approval(
    celery_worker_process: subprocess.Popen[bytes], riverside: User, pharmacist: User
) -> None:
    case = make_case(riverside, claim_by=pharmacist)

    decision = services.case_approve(actor=pharmacist, case=case)

    deadline = time.monotonic() + 60
    while not decision.letter and time.monotonic() < deadline:
        time.sleep(0.25)
        decision.refresh_from_db()
    assert decision.letter, "the worker did not store the letter within 60 s"
    text = stored_text(decision.letter)
    assert "Decision: APPROVED" in text and case.reference in text
    event = CaseEvent.objects.get(case=case, action="letter_generated")
    assert event.actor is None and event.actor_role == "system"


# --- what a regulator looks for, element by element (README, "Letters") ---------------------

PLAN = {
    "PLAN_NAME": "Prairie State Health Plan",
    "PLAN_ADDRESS": "1 Capitol Way, Springfield, IL 62701",
    "PLAN_PHONE": "1-888-555-0199",
    "PLAN_TTY": "711",
    "PLAN_FAX": "1-888-555-0198",
    "PLAN_APPEALS_ADDRESS": "Appeals, P.O. Box 77, Springfield, IL 62705",
    "PLAN_APPEALS_FAX": "1-888-555-0197",
    "PLAN_CIVIL_RIGHTS_CONTACT": "Civil Rights Coordinator, P.O. Box 78",
}


@pytest.fixture
def plan(settings: Any) -> dict[str, str]:
    for name, value in PLAN.items():
        setattr(settings, name, value)
    settings.APPEAL_CLOCK_HOURS = {"standard": 720, "expedited": 72}
    settings.EXTERNAL_REVIEW_DAYS = 120
    return PLAN


def _both_letters(riverside: User, pharmacist: User, director: User) -> tuple[str, str]:
    _, denied = _denied(riverside, pharmacist)
    approved_case = make_case(riverside, claim_by=director)
    Case.objects.filter(pk=approved_case.pk).update(body_weight_kg=Decimal("80.0"))
    approved = services.case_approve(actor=director, case=approved_case)
    return pdf_text(render_letter_pdf(denied)), pdf_text(render_letter_pdf(approved))


def test_it_prints_the_plans_letterhead_and_contacts_on_every_letter(
    plan: dict[str, str], riverside: User, pharmacist: User, director: User
) -> None:
    for text in _both_letters(riverside, pharmacist, director):
        assert plan["PLAN_NAME"] in text
        assert plan["PLAN_ADDRESS"] in text
        assert f"Phone {plan['PLAN_PHONE']}" in text
        assert f"TTY {plan['PLAN_TTY']}" in text
        assert f"Fax {plan['PLAN_FAX']}" in text


def test_it_addresses_the_member_and_the_prescriber(
    plan: dict[str, str], riverside: User, pharmacist: User
) -> None:
    case, decision = _denied(riverside, pharmacist)

    text = pdf_text(render_letter_pdf(decision))

    patient = case.patient
    assert f"To the member {patient.first_name} {patient.last_name} Member ID" in text
    assert (
        "To the prescriber Dr. Hema Tologist, NPI (National Provider Identifier) 1234567893" in text
    )
    assert case.organization.name in text


# A member's name in Chinese, Korean (Hangul) or Japanese (kana): the letter engine DejaVu Sans
# cannot draw them, so WeasyPrint lays the letter out with a CJK font of the system's
# (fonts-wqy-microhei, which ./test and the Dockerfile install).
CJK_NAMES = [
    ("\u5c0f\u660e", "\u738b"),  # Chinese
    ("\ubbfc\uc900", "\uae40"),  # Korean
    ("\u306f\u306a\u3053", "\u3084\u307e\u3060"),  # Japanese
]


@pytest.mark.parametrize(("first", "last"), CJK_NAMES)
def test_it_prints_a_member_name_written_in_chinese_korean_or_japanese(
    first: str, last: str, riverside: User, pharmacist: User
) -> None:
    patient = make_patient(riverside, member_id="MEM-CJK", first_name=first, last_name=last)
    facts = {**approvable_facts(), "fix_activity_value": "5"}
    case = make_case(riverside, patient=patient, facts=facts, claim_by=pharmacist)
    decision = services.case_deny(
        actor=pharmacist, case=case, failed_criteria=["fix_activity"], reason="Above 2%."
    )

    pdf = render_letter_pdf(decision)

    assert f"To the member {first} {last} Member ID" in pdf_text(pdf)
    fonts = pdf_fonts(pdf)
    assert any("WenQuanYi" in font for font in fonts), (
        f"no CJK font in the letter ({fonts}): install fonts-wqy-microhei"
    )


def pdf_fonts(pdf: bytes) -> set[str]:
    """The base names of the fonts the PDF's pages use."""
    reader = PdfReader(io.BytesIO(pdf))
    fonts: set[str] = set()
    for page in reader.pages:
        resources: Any = page["/Resources"]
        for font in resources.get("/Font", {}).values():
            described: Any = font.get_object()
            fonts.add(str(described.get("/BaseFont")))
    return fonts


def test_it_states_the_reason_in_plain_words_and_cites_the_criterion(
    plan: dict[str, str], riverside: User, pharmacist: User
) -> None:
    case, decision = _denied(riverside, pharmacist)

    text = pdf_text(render_letter_pdf(decision))

    assert "Why we denied the request" in text
    fix_line = next(ln for ln in case.checklist["lines"] if ln["id"] == "fix_activity")
    assert (
        f"Criterion used: our Hemgenix prior authorization criteria, policy {case.policy_id}, "
        f"section: {fix_line['section']}"
    ) in text
    assert f"What we found: {fix_line['reason']}" in text
    # Every acronym a member reads is explained.
    assert "HCPCS J1411 (the billing code for Hemgenix)" in text
    assert "a one-time gene therapy for hemophilia B" in text


def test_it_offers_the_criteria_free_of_charge_and_a_talk_with_the_reviewer(
    plan: dict[str, str], riverside: User, pharmacist: User
) -> None:
    _, decision = _denied(riverside, pharmacist)

    text = pdf_text(render_letter_pdf(decision))

    assert "free of charge, for copies of the criteria used in this decision" in text
    assert (
        f"discuss this decision with the reviewer (a peer-to-peer discussion) by calling {plan['PLAN_PHONE']}"
        in text
    )


def test_it_states_the_internal_appeal_with_its_deadline_address_and_clocks(
    plan: dict[str, str], riverside: User, pharmacist: User
) -> None:
    _, decision = _denied(riverside, pharmacist)

    text = pdf_text(render_letter_pdf(decision))

    deadline = timezone.localdate(decision.created_at) + timedelta(days=180)
    assert f"by {deadline:%B} {deadline.day}, {deadline.year}" in text
    assert f"by mail to {plan['PLAN_APPEALS_ADDRESS']}" in text
    assert f"by fax to {plan['PLAN_APPEALS_FAX']}" in text
    assert "A doctor who took no part in this decision reviews the appeal" in text
    assert "We decide a standard appeal within 30 days" in text
    assert "expedited appeals are decided within 72 hours" in text


def test_it_states_the_right_to_an_independent_external_review_and_its_deadline(
    plan: dict[str, str], riverside: User, pharmacist: User
) -> None:
    _, decision = _denied(riverside, pharmacist)

    text = pdf_text(render_letter_pdf(decision))

    assert "Your right to an independent external review" in text
    assert "independent review organization" in text
    assert "Ask within 120 days" in text
    assert "expedited external review" in text


def test_it_carries_the_language_taglines_and_the_non_discrimination_notice(
    plan: dict[str, str], riverside: User, pharmacist: User, director: User
) -> None:
    for text in _both_letters(riverside, pharmacist, director):
        assert "language assistance services, free of charge, are available to you" in text
        assert "ATENCIÓN: si habla español" in text
        assert "CHÚ Ý: Nếu bạn nói Tiếng Việt" in text
        assert "PAUNAWA: Kung nagsasalita ka ng Tagalog" in text
        assert (
            "does not discriminate on the basis of race, color, national origin, age, disability, or sex"
            in text
        )
        assert plan["PLAN_CIVIL_RIGHTS_CONTACT"] in text
        assert "Office for Civil Rights" in text


def test_it_states_authorization_validity_dose_and_no_guarantee_of_payment_on_an_approval(
    plan: dict[str, str], riverside: User, director: User
) -> None:
    case = make_case(riverside, claim_by=director, body_weight_kg=Decimal("80.0"))
    decision = services.case_approve(actor=director, case=case)

    text = pdf_text(render_letter_pdf(decision))

    authorization = case.authorization
    assert f"Authorization number {authorization.number}" in text
    start, end = authorization.valid_from, authorization.valid_to
    assert f"Valid {start:%B} {start.day}, {start.year} to {end:%B} {end.day}, {end.year}" in text
    assert "for 80.0 kg, 1.6 \N{MULTIPLICATION SIGN} 10¹⁵ genome copies, that is 160 mL" in text
    assert "This approval is not a guarantee of payment" in text
    assert "Why we denied" not in text and "external review" not in text


def test_it_states_the_vial_count_planned_infusion_and_prescriber_npi_on_an_approval(
    plan: dict[str, str], riverside: User, director: User
) -> None:
    planned = timezone.localdate() + timedelta(days=21)
    case = make_case(
        riverside,
        claim_by=director,
        body_weight_kg=Decimal("72.3"),
        planned_infusion_date=planned,
        prescriber_npi="1245319599",
    )
    decision = services.case_approve(actor=director, case=case)

    text = pdf_text(render_letter_pdf(decision))

    # 72.3 kg x 2 mL/kg = 144.6 mL: 15 single-dose 10 mL vials (the last one partly used).
    assert "that is 144.6 mL of Hemgenix, supplied as 15 single-dose 10 mL vials" in text
    assert f"Planned infusion {planned:%B} {planned.day}, {planned.year}" in text
    assert "Prescriber NPI 1245319599" in text


def test_it_says_the_quantity_follows_the_weight_for_an_approval_made_before_weights_were_needed(
    plan: dict[str, str], riverside: User, director: User
) -> None:
    case = make_case(riverside, claim_by=director)
    decision = services.case_approve(actor=director, case=case)
    # An authorization issued before approval required the weight (issue 16) has none.
    Case.objects.filter(pk=case.pk).update(body_weight_kg=None)
    with walls_down("reviews_authorization", "reviews_authorization_guard"):
        Authorization.objects.filter(case=case).update(
            body_weight_kg=None, dose_volume_ml=None, vial_count=None
        )
    decision.refresh_from_db()

    text = pdf_text(render_letter_pdf(decision))

    assert "the member's weight was not on file" in text


@pytest.fixture
def counting_server() -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on loopback that counts what is asked of it (and answers 404)."""
    hits: list[str] = []

    class Counter(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Counter)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    with pytest.raises(urllib.error.HTTPError):  # the counter counts: a fetch would show
        urllib.request.urlopen(f"{base}/control", timeout=5)
    assert hits == ["/control"]
    hits.clear()
    yield base, hits
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("last_name", "producer"), [("Example", "ReportLab"), ("\u05db\u05d4\u05df", "WeasyPrint")]
)
def test_it_fetches_nothing_from_outside_for_a_letter(
    riverside: User,
    pharmacist: User,
    counting_server: tuple[str, list[str]],
    last_name: str,
    producer: str,
) -> None:
    """A letter is made from its template alone, by either engine (a Hebrew name goes to
    WeasyPrint): markup in a reviewer's words (an image, a link, a stylesheet, ReportLab's own
    <img>) stays text on the page and nothing is fetched."""
    base, hits = counting_server
    reason = (
        f'<img src="{base}/tracker.png"/> <a href="{base}/a">link</a> '
        '<link rel="stylesheet" href="file:///etc/passwd"> &amp; <font color="red">x</font>'
    )
    patient = make_patient(riverside, last_name=last_name)
    case = make_case(
        riverside,
        patient=patient,
        facts={**approvable_facts(), "fix_activity_value": "5"},
        claim_by=pharmacist,
    )
    decision = services.case_deny(
        actor=pharmacist, case=case, failed_criteria=["fix_activity"], reason=reason
    )
    pdf = render_letter_pdf(decision)
    assert hits == []
    metadata: dict[str, Any] = dict(PdfReader(io.BytesIO(pdf)).metadata or {})
    assert producer in str(metadata.get("/Producer"))
    assert "".join(reason.split()) in "".join(pdf_text(pdf).split())  # wherever lines break


def test_the_general_engines_fetcher_refuses_every_url(caplog: pytest.LogCaptureFixture) -> None:
    """Markup that asked WeasyPrint for an outside resource would get nothing (issue 20: its
    default fetcher also loaded the system's certificates for every letter)."""
    from weasyprint import HTML

    from reviews.letters import _no_fetching

    with caplog.at_level("WARNING", logger="weasyprint"):
        pdf = HTML(
            string='<p>x</p><img src="http://127.0.0.1:9/tracker.png">'
            '<link rel="stylesheet" href="file:///etc/passwd">',
            url_fetcher=_no_fetching(),
        ).write_pdf()
    assert pdf is not None and pdf.startswith(b"%PDF")
    refused = [r for r in caplog.records if "loads nothing from outside" in r.getMessage()]
    assert len(refused) == 2, caplog.text
