"""Documents shown inside the reviewer's case page (issue 16): the same people as a download, the
same kind of audit row, only the types whose stored bytes say PDF, PNG or JPEG, and headers that
let the portal alone frame that one response."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import User
from audit.models import AuditLog
from reviews import services
from reviews.models import Case, Document
from tests.conftest import client_for
from tests.factories import make_case
from tests.walls import walls_down

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def submitted_with(riverside: User, name: str, content: bytes) -> tuple[Case, Document]:
    case = make_case(riverside, submit=False)
    upload = SimpleUploadedFile(name, content)
    document = services.document_attach(actor=riverside, case=case, upload=upload, kind="other")
    return services.case_submit(actor=riverside, case=case), document


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


@pytest.mark.parametrize(
    ("name", "content", "content_type", "sandboxed"),
    [("LFT.pdf", PDF, "application/pdf", False), ("scan.png", PNG, "image/png", True)],
)
def test_it_shows_a_pdf_or_an_image_inline_to_whoever_may_download_it(
    riverside: User,
    pharmacist: User,
    director: User,
    auditor: User,
    name: str,
    content: bytes,
    content_type: str,
    sandboxed: bool,
) -> None:
    case, document = submitted_with(riverside, name, content)
    url = reverse("document_inline", args=[document.pk])
    for user in (pharmacist, director, auditor, riverside):
        response = client_for(user).get(url)
        assert response.status_code == 200
        assert body(response) == content
        assert response["Content-Type"] == content_type
        assert response["Content-Disposition"] == f"inline; filename*=UTF-8''{name}"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["X-Frame-Options"] == "SAMEORIGIN"
        policy = response["Content-Security-Policy"]
        assert policy.startswith("default-src 'none'; frame-ancestors 'self'")
        assert ("sandbox" in policy) is sandboxed
        assert "no-store" in response["Cache-Control"]
    rows = AuditLog.objects.filter(action="document.view", case=case)
    assert sorted(rows.values_list("actor_username", flat=True)) == [
        "audrey",
        "dana",
        "phil",
        "riverside",
    ]
    assert set(rows.values_list("object_id", flat=True)) == {str(document.pk)}
    assert rows.first().detail == {"name": name, "sha256": document.sha256}  # type: ignore[union-attr]


def test_it_keeps_every_other_page_unframeable(riverside: User, pharmacist: User) -> None:
    case, document = submitted_with(riverside, "LFT.pdf", PDF)
    client = client_for(pharmacist)
    for url in (
        reverse("reviewer:case", args=[case.pk]),
        reverse("document_download", args=[document.pk]),
        reverse("document_viewer", args=[document.pk]),
    ):
        response = client.get(url)
        assert response["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_it_hides_inline_documents_from_those_who_may_not_see_the_case(
    riverside: User, lakeside: User, pharmacist: User
) -> None:
    case = make_case(riverside, submit=False)
    upload = SimpleUploadedFile("LFT.pdf", PDF)
    document = services.document_attach(actor=riverside, case=case, upload=upload, kind="other")
    for name in ("document_inline", "document_viewer"):
        url = reverse(name, args=[document.pk])
        assert client_for(lakeside).get(url).status_code == 404
        # Reviewers never see a draft, nor its documents.
        assert client_for(pharmacist).get(url).status_code == 404
    assert not AuditLog.objects.filter(action="document.view").exists()


def test_it_offers_a_file_whose_bytes_are_not_what_was_recorded_only_as_a_download(
    riverside: User, pharmacist: User
) -> None:
    _, document = submitted_with(riverside, "LFT.pdf", PDF)
    # The stored file changed behind the portal's back: HTML where a PDF was (the row is behind
    # the document's wall too, reviews 0021, so the swap is staged with it down).
    with walls_down("reviews_document", "reviews_document_guard"):
        document.file.save("swapped", ContentFile(b"<html><script>alert(1)</script>"), save=True)
    client = client_for(pharmacist)
    response = client.get(reverse("document_inline", args=[document.pk]))
    assert response.status_code == 415
    assert b"<html" not in response.content
    viewer = client.get(reverse("document_viewer", args=[document.pk])).content.decode()
    assert 'data-testid="document-download-only"' in viewer
    assert reverse("document_inline", args=[document.pk]) not in viewer
    assert reverse("document_download", args=[document.pk]) in viewer
    assert not AuditLog.objects.filter(action="document.view").exists()


def test_it_encodes_any_file_name_safely(riverside: User, pharmacist: User) -> None:
    name = 'Bericht "Leber" \u00e9\u00e8; x.pdf'
    _, document = submitted_with(riverside, "report.pdf", PDF)
    # A name the upload form would not keep, stored behind the document's wall (tests/walls.py).
    with walls_down("reviews_document", "reviews_document_guard"):
        Document.objects.filter(pk=document.pk).update(original_name=name + "\r\nSet-Cookie: a=b")
    response = client_for(pharmacist).get(reverse("document_inline", args=[document.pk]))
    disposition = response["Content-Disposition"]
    assert disposition.startswith("inline; filename*=UTF-8''Bericht%20%22Leber%22%20%C3%A9%C3%A8")
    assert "%0D%0ASet-Cookie" in disposition
    assert '"' not in disposition and "\r" not in disposition and ";" not in disposition[7:]
    assert "Set-Cookie" not in response.headers or "a=b" not in response.headers["Set-Cookie"]


def test_it_shows_the_viewer_on_the_case_page_with_each_documents_view_button(
    riverside: User, pharmacist: User
) -> None:
    case = make_case(riverside, submit=False)
    upload = SimpleUploadedFile("LFT.pdf", PDF)
    document = services.document_attach(
        actor=riverside, case=case, upload=upload, kind="lab_report", supports=["fix_activity"]
    )
    case = services.case_submit(actor=riverside, case=case)
    page = client_for(pharmacist).get(reverse("reviewer:case", args=[case.pk])).content.decode()
    assert 'id="document-viewer"' in page
    viewer = reverse("document_viewer", args=[document.pk])
    # The Documents card and the checklist line the document supports.
    assert page.count(f'hx-get="{viewer}"') == 2
    panel = client_for(pharmacist).get(viewer).content.decode()
    assert f'src="{reverse("document_inline", args=[document.pk])}"' in panel
    assert 'data-testid="document-frame"' in panel
