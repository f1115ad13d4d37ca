from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse

from accounts.models import User
from audit.models import AuditLog
from reviews import services
from reviews.models import Case, CaseEvent, Document
from reviews.tasks import generate_letter
from tests.conftest import client_for
from tests.factories import make_case

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def upload(name: str, content: bytes, content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def attach(
    client_user: User, case: Case, name: str, content: bytes, client: Client | None = None
) -> Any:
    data: dict[str, Any] = {
        "kind": "lab_report",
        "supports": ["liver_assessment"],
        "file": upload(name, content),
    }
    client = client or client_for(client_user)
    return client.post(reverse("prescriber:document_upload", args=[case.pk]), data)


def test_it_attaches_a_lab_report_to_a_draft(riverside: User) -> None:
    case = make_case(riverside, submit=False)
    response = attach(riverside, case, "LFT March.pdf", PDF)
    assert response.status_code == 302
    document = Document.objects.get(case=case)
    assert (document.kind, document.supports, document.content_type) == (
        "lab_report",
        ["liver_assessment"],
        "application/pdf",
    )
    assert document.original_name == "LFT March.pdf"


def refused_upload(client_user: User, case: Case, name: str, content: bytes) -> str:
    """Post/redirect/get: a refused upload leads back to the case's page, whose next GET shows
    the form with the kind chosen and the refusal on its file field (once)."""
    client = client_for(client_user)
    response = attach(client_user, case, name, content, client)
    assert response.status_code == 302
    assert response["Location"] == reverse("prescriber:case_detail", args=[case.pk]) + "#documents"
    page = client.get(response["Location"])
    form = page.context["document_form"]
    assert form["kind"].value() == "lab_report"
    assert form["supports"].value() == ["liver_assessment"]
    assert "The document was not attached" in page.content.decode()
    assert not client.get(response["Location"]).context["document_form"].is_bound
    return str(form.errors["file"][0])


def test_it_refuses_a_file_whose_content_is_not_what_its_name_says(riverside: User) -> None:
    case = make_case(riverside, submit=False)
    refusal = refused_upload(riverside, case, "labs.pdf", b"MZ\x90\x00 not a pdf at all")
    assert "Only PDF, PNG and JPEG" in refusal
    assert "does not match its content" in refused_upload(riverside, case, "scan.pdf", PNG)
    assert not Document.objects.exists()


def test_it_refuses_a_file_over_the_size_limit(riverside: User) -> None:
    case = make_case(riverside, submit=False)
    with override_settings(DOCUMENT_MAX_BYTES=1024):
        assert "larger than" in refused_upload(riverside, case, "big.pdf", PDF + b"0" * 2048)
    assert not Document.objects.exists()


def test_it_refuses_documents_on_a_submitted_request(riverside: User) -> None:
    case = make_case(riverside)
    assert "Documents can be added" in refused_upload(riverside, case, "late.pdf", PDF)
    assert not Document.objects.exists()


def test_it_lets_the_clinic_and_payer_staff_download_and_audits_each(
    riverside: User, pharmacist: User, auditor: User
) -> None:
    case = make_case(riverside, submit=False)
    attach(riverside, case, "LFT.pdf", PDF)
    document = Document.objects.get()
    services.case_submit(actor=riverside, case=case)
    url = reverse("document_download", args=[document.pk])
    for user in (riverside, pharmacist, auditor):
        response = client_for(user).get(url)
        assert response.status_code == 200
        assert body(response) == PDF
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment;")
        assert 'filename="LFT.pdf"' in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "no-store" in response["Cache-Control"]
    rows = AuditLog.objects.filter(action="document.download", case=case)
    assert sorted(rows.values_list("actor_username", flat=True)) == ["audrey", "phil", "riverside"]
    assert set(rows.values_list("object_id", flat=True)) == {str(document.pk)}


def test_it_hides_documents_from_those_who_may_not_see_the_case(
    riverside: User, lakeside: User, pharmacist: User
) -> None:
    case = make_case(riverside, submit=False)
    attach(riverside, case, "LFT.pdf", PDF)
    url = reverse("document_download", args=[Document.objects.get().pk])
    assert client_for(lakeside).get(url).status_code == 404
    # Reviewers never see a draft, nor its documents.
    assert client_for(pharmacist).get(url).status_code == 404
    assert not AuditLog.objects.filter(action="document.download").exists()


def test_it_offers_the_letter_once_the_task_has_made_it(
    riverside: User, lakeside: User, pharmacist: User
) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    decision = services.case_approve(actor=pharmacist, case=case)
    client = client_for(riverside)
    detail = client.get(reverse("prescriber:case_detail", args=[case.pk])).content.decode()
    assert "being prepared" in detail
    assert 'hx-trigger="every 5s"' in detail
    assert client.get(reverse("letter_download", args=[case.pk])).status_code == 404

    generate_letter(decision.pk)

    box = client.get(reverse("prescriber:letter_status", args=[case.pk])).content.decode()
    assert reverse("letter_download", args=[case.pk]) in box
    assert "hx-trigger" not in box
    response = client.get(reverse("letter_download", args=[case.pk]))
    assert response.status_code == 200
    assert body(response).startswith(b"%PDF")
    assert response["Content-Disposition"].startswith("attachment;")
    assert AuditLog.objects.filter(action="letter.download", case=case, actor=riverside).exists()
    assert client_for(lakeside).get(reverse("letter_download", args=[case.pk])).status_code == 404
    assert client_for(pharmacist).get(reverse("letter_download", args=[case.pk])).status_code == 200


# --- removing a document (issue 16) -----------------------------------------------------------


def remove_url(case: Case, document: Document) -> str:
    return reverse("prescriber:document_remove", args=[case.pk, document.pk])


def draft_with_report(riverside: User) -> tuple[Case, Document]:
    case = make_case(riverside, submit=False)
    attach(riverside, case, "wrong-patient.pdf", PDF)
    return case, Document.objects.get(case=case)


def test_it_removes_a_document_from_a_draft_and_its_page(riverside: User) -> None:
    case, document = draft_with_report(riverside)
    client = client_for(riverside)
    page = client.get(reverse("prescriber:case_detail", args=[case.pk])).content.decode()
    assert remove_url(case, document) in page and "Remove…" in page

    response = client.post(remove_url(case, document), {"reason": "Another patient's report"})

    assert response.status_code == 302
    assert response["Location"] == reverse("prescriber:case_detail", args=[case.pk]) + "#documents"
    page = client.get(response["Location"]).content.decode()
    assert "wrong-patient.pdf removed" in page
    assert reverse("document_download", args=[document.pk]) not in page
    assert not Document.objects.filter(case=case).exists()
    assert Document.with_removed.get(pk=document.pk).removal_reason == "Another patient's report"
    # Gone for the clinic's download too.
    download = reverse("document_download", args=[document.pk])
    assert client.get(download).status_code == 404


def test_it_refuses_removals_it_must_not_make(
    riverside: User, lakeside: User, pharmacist: User
) -> None:
    case, document = draft_with_report(riverside)
    _, other = draft_with_report(riverside)
    lakeside_case, _ = draft_with_report(lakeside)
    # Another clinic's request or document (under the clinic's own request), and a document of
    # another of the clinic's own requests under this one.
    assert client_for(lakeside).post(remove_url(case, document)).status_code == 404
    assert client_for(lakeside).post(remove_url(lakeside_case, document)).status_code == 404
    assert client_for(riverside).post(remove_url(case, other)).status_code == 404
    # Payer staff never reach the clinic's door.
    assert client_for(pharmacist).post(remove_url(case, document)).status_code == 403
    assert client_for(riverside).get(remove_url(case, document)).status_code == 405
    # A reason of NUL bytes or far too long changes nothing.
    nul = client_for(riverside).post(remove_url(case, document), {"reason": "a\x00b"})
    assert 400 <= nul.status_code < 500
    long = client_for(riverside).post(remove_url(case, document), {"reason": "x" * 5000})
    assert long.status_code == 400
    assert "longer than 500" in long.content.decode()
    assert Document.objects.filter(pk__in=[document.pk, other.pk]).count() == 2

    # Once the request is submitted the document stays: 409, nothing changed.
    services.case_submit(actor=riverside, case=case)
    late = client_for(riverside).post(remove_url(case, document))
    assert late.status_code == 409
    assert "Documents can be removed from a draft" in late.content.decode()
    assert Document.objects.filter(pk=document.pk).exists()
    assert not CaseEvent.objects.filter(action="document_removed").exists()


@pytest.mark.parametrize("htmx", [False, True])
def test_it_answers_an_overlong_removal_reason_as_bad_input(riverside: User, htmx: bool) -> None:
    """A reason past the limit is the clinic's input to correct (400), not a conflict with the
    request's state (409); the request may still have the document removed."""
    case, document = draft_with_report(riverside)
    headers = {"HX-Request": "true"} if htmx else {}
    response = client_for(riverside).post(
        remove_url(case, document), {"reason": " " + "x" * 501 + " "}, headers=headers
    )
    # htmx swaps only a 2xx: the Documents card comes back with the message in it.
    assert response.status_code == (200 if htmx else 400)
    assert "The reason is longer than 500 characters" in response.content.decode()
    assert Document.objects.filter(pk=document.pk).exists()
    assert not CaseEvent.objects.filter(action="document_removed").exists()
    # 500 characters, once the spaces around them are gone, are enough.
    done = client_for(riverside).post(remove_url(case, document), {"reason": " " + "x" * 500 + " "})
    assert done.status_code == 302
    assert Document.with_removed.get(pk=document.pk).removal_reason == "x" * 500


def test_it_answers_a_second_removal_with_a_404(riverside: User) -> None:
    case, document = draft_with_report(riverside)
    client = client_for(riverside)
    assert client.post(remove_url(case, document)).status_code == 302
    assert client.post(remove_url(case, document)).status_code == 404
    assert CaseEvent.objects.filter(action="document_removed").count() == 1


def test_it_attaches_and_removes_in_place_on_the_answer_page(
    riverside: User, pharmacist: User
) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    case = services.case_pend(actor=pharmacist, case=case, items=["HIV serology result"])
    client = client_for(riverside)
    page = client.get(reverse("prescriber:case_answer", args=[case.pk])).content.decode()
    assert f'hx-post="{reverse("prescriber:document_upload", args=[case.pk])}"' in page

    htmx = {"HX-Request": "true"}
    data = {"kind": "lab_report", "supports": ["excl_hiv"], "file": upload("hiv.pdf", PDF)}
    card = client.post(reverse("prescriber:document_upload", args=[case.pk]), data, headers=htmx)
    assert card.status_code == 200
    html = card.content.decode()
    assert html.lstrip().startswith("<section") and 'id="documents"' in html
    assert "hiv.pdf attached." in html and "<html" not in html
    document = Document.objects.get(case=case)

    refused = {"kind": "lab_report", "file": upload("hiv.pdf", b"not a pdf")}
    card = client.post(reverse("prescriber:document_upload", args=[case.pk]), refused, headers=htmx)
    assert card.status_code == 200
    assert "Only PDF, PNG and JPEG" in card.content.decode()
    assert Document.objects.filter(case=case).count() == 1

    card = client.post(remove_url(case, document), {"reason": "Wrong file"}, headers=htmx)
    assert card.status_code == 200
    assert "hiv.pdf removed" in card.content.decode()
    assert "No documents attached." in card.content.decode()
    case.refresh_from_db()
    assert case.status == "pended"
