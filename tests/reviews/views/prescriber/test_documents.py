from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from accounts.models import User
from audit.models import AuditLog
from reviews import services
from reviews.models import Case, Document
from reviews.tasks import generate_letter
from tests.conftest import client_for
from tests.factories import make_case

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def upload(name: str, content: bytes, content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def attach(client_user: User, case: Case, name: str, content: bytes) -> Any:
    data: dict[str, Any] = {
        "kind": "lab_report",
        "supports": ["liver_assessment"],
        "file": upload(name, content),
    }
    return client_for(client_user).post(reverse("prescriber:document_upload", args=[case.pk]), data)


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


def test_it_refuses_a_file_whose_content_is_not_what_its_name_says(riverside: User) -> None:
    case = make_case(riverside, submit=False)
    response = attach(riverside, case, "labs.pdf", b"MZ\x90\x00 not a pdf at all")
    assert "Only PDF, PNG and JPEG" in response.context["document_form"].errors["file"][0]
    renamed = attach(riverside, case, "scan.pdf", PNG)
    assert "does not match its content" in renamed.context["document_form"].errors["file"][0]
    assert not Document.objects.exists()


def test_it_refuses_a_file_over_the_size_limit(riverside: User) -> None:
    case = make_case(riverside, submit=False)
    with override_settings(DOCUMENT_MAX_BYTES=1024):
        response = attach(riverside, case, "big.pdf", PDF + b"0" * 2048)
    assert "larger than" in response.context["document_form"].errors["file"][0]
    assert not Document.objects.exists()


def test_it_refuses_documents_on_a_submitted_request(riverside: User) -> None:
    case = make_case(riverside)
    response = attach(riverside, case, "late.pdf", PDF)
    assert "Documents can be added" in response.context["document_form"].errors["file"][0]
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
