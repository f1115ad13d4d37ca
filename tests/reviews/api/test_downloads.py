"""What the API links to, an integration with a token can fetch: the documents it attached and
the determination letter, with the pages' access rules and audit rows (another clinic: 404)."""

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from accounts.models import User
from audit.models import AuditLog
from reviews import services
from reviews.tasks import generate_letter
from tests.factories import make_case

from .conftest import api_for

PDF = b"%PDF-1.5\n% echo\n%%EOF\n"


def content(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def test_it_downloads_a_document_by_the_url_the_case_gives(riverside: User, lakeside: User) -> None:
    case = make_case(riverside, submit=False)
    client = api_for(riverside)
    upload = SimpleUploadedFile("echo.pdf", PDF)
    attached = client.post(
        f"/api/cases/{case.pk}/documents/", {"kind": "lab_report", "file": upload}
    )
    [document] = attached.json()["documents"]

    response = client.get(document["url"])

    assert response.status_code == 200
    assert content(response) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    audited = AuditLog.objects.filter(action="document.download", actor=riverside, case=case)
    assert audited.count() == 1
    # Another clinic's token, and no token at all, get nothing and leave no download row.
    assert api_for(lakeside).get(document["url"]).status_code == 404
    assert APIClient().get(document["url"]).status_code in (401, 403)
    assert audited.count() == 1
    # A document the clinic took back is gone here too.
    services.document_remove(actor=riverside, document=case.documents.get())
    assert client.get(document["url"]).status_code == 404


def test_it_downloads_the_letter_by_the_url_the_decision_gives(
    riverside: User, lakeside: User, pharmacist: User
) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    decision = services.case_approve(actor=pharmacist, case=case)
    client = api_for(riverside)
    assert client.get(f"/api/cases/{case.pk}/").json()["decision"]["letter_url"] is None
    generate_letter(decision.pk)
    letter_url = client.get(f"/api/cases/{case.pk}/").json()["decision"]["letter_url"]

    response = client.get(letter_url)

    assert response.status_code == 200
    assert content(response).startswith(b"%PDF")
    assert response["Content-Disposition"].startswith("attachment;")
    assert AuditLog.objects.filter(action="letter.download", actor=riverside, case=case).exists()
    assert api_for(lakeside).get(letter_url).status_code == 404


def test_it_sends_the_file_whatever_the_client_accepts(riverside: User) -> None:
    """An HTTP client asking for the PDF itself (Accept: application/pdf) gets it, not a 406
    from the API's JSON renderers; a refusal is still JSON."""
    case = make_case(riverside, submit=False)
    client = api_for(riverside)
    upload = SimpleUploadedFile("echo.pdf", PDF)
    attached = client.post(
        f"/api/cases/{case.pk}/documents/", {"kind": "lab_report", "file": upload}
    )
    [document] = attached.json()["documents"]
    for accept in ("application/pdf", "image/png", "*/*", "application/json"):
        response = client.get(document["url"], HTTP_ACCEPT=accept)
        assert (response.status_code, response["Content-Type"]) == (200, "application/pdf")
    missing = client.get("/api/documents/999999/", HTTP_ACCEPT="application/pdf")
    assert (missing.status_code, missing["Content-Type"]) == (404, "application/json")
