"""Downloads of a case's files: the clinic's documents and the determination letter; and the
documents shown inside the reviewer's case page (issue 16).

Anyone who may see the case may download its files (the owning clinic, reviewers, auditors);
anyone else gets a 404. Files live outside the web root and leave only through here, as
attachments the browser will not sniff or render, and every download is audited.

Shown in the page: only a file whose stored bytes are a PDF, PNG or JPEG (the same magic bytes the
upload checked, read again, and the type recorded at upload) is served inline, to the same people
and with the same audit row as a download (action document.view). That response alone may be
framed, and only by the portal itself (frame-ancestors 'self', X-Frame-Options SAMEORIGIN); its own
policy loads nothing (default-src 'none'). Images also get `sandbox`; PDFs do not, because
Chromium's built-in PDF viewer refuses to run in a sandboxed document in many versions: a PDF's
script runs inside that viewer's own isolated extension, never in the portal's origin.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from accounts.models import User
from audit.log import record as audit_record

from ..models import Case, Document
from ..selectors import case_for, decision_of, document_for
from ..services import sniff_content_type


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # LoginRequiredMiddleware has sent anonymous users away
    return user


def _attachment(file: FieldFile, filename: str, content_type: str) -> FileResponse:
    response = FileResponse(
        file.open("rb"), as_attachment=True, filename=filename, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    # PHI: never kept by a shared cache or the browser's.
    response["Cache-Control"] = "private, no-store"
    return response


def _audit_access(request: HttpRequest, document: Document, action: str) -> None:
    """Every time a document's content leaves the portal (PHI access), one audit row."""
    audit_record(
        action=action,
        request=request,
        case=document.case,
        obj=document,
        detail={"name": document.original_name, "sha256": document.sha256},
    )


@require_GET
def document_download(request: HttpRequest, pk: int) -> FileResponse:
    return send_document(request, document_for(_user(request), pk))


def send_document(request: HttpRequest, document: Document) -> FileResponse:
    """A document the user may see, as an attachment, audited: the page's download and the
    API's (reviews.api.views.document_file)."""
    _audit_access(request, document, "document.download")
    return _attachment(document.file, document.original_name, document.content_type)


# The types a browser may show inside the page; anything else is offered as a download only.
INLINE_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg"})
INLINE_POLICY = {
    "application/pdf": "default-src 'none'; frame-ancestors 'self'",
    "image/png": "default-src 'none'; frame-ancestors 'self'; sandbox",
    "image/jpeg": "default-src 'none'; frame-ancestors 'self'; sandbox",
}


def inline_type(document: Document) -> str | None:
    """The type to show the document as, or None (download only): the stored file's first
    bytes must be a PDF, PNG or JPEG and agree with the type recorded at upload."""
    if document.content_type not in INLINE_TYPES:
        return None
    try:
        with document.file.open("rb") as stored:
            head = stored.read(16)
    except OSError:
        return None
    sniffed = sniff_content_type(head)
    return sniffed if sniffed == document.content_type else None


def inline_disposition(name: str) -> str:
    """inline, with the name percent-encoded (RFC 6266/8187): no quote, CR or LF gets through."""
    return f"inline; filename*=UTF-8''{quote(name, safe='')}"


@require_GET
def document_inline(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The document itself, for the case page's viewer; the same access and audit as a download."""
    document = document_for(_user(request), pk)
    content_type = inline_type(document)
    if content_type is None:
        return HttpResponse(
            "This file can be downloaded, not shown in the page.",
            status=415,
            content_type="text/plain; charset=utf-8",
        )
    _audit_access(request, document, "document.view")
    response = FileResponse(document.file.open("rb"), content_type=content_type)
    response["Content-Disposition"] = inline_disposition(document.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    # Set here, so neither the site's CSP nor its clickjacking middleware replaces them.
    response["Content-Security-Policy"] = INLINE_POLICY[content_type]
    response["X-Frame-Options"] = "SAMEORIGIN"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


@require_GET
def document_viewer(request: HttpRequest, pk: int) -> HttpResponse:
    """The viewer panel of the case page (htmx): the document in a frame (PDF) or as an image,
    or a download link for a file the browser should not show."""
    document = document_for(_user(request), pk)
    return render(
        request,
        "reviews/_document_viewer.html",
        {"document": document, "shown_as": inline_type(document)},
    )


@require_GET
def letter_download(request: HttpRequest, pk: int) -> FileResponse:
    return send_letter(request, case_for(_user(request), pk))


def send_letter(request: HttpRequest, case: Case) -> FileResponse:
    """The determination letter of a case the user may see, audited; 404 until it is made.
    The page's download and the API's (reviews.api.views.case_letter)."""
    decision = decision_of(case)
    if decision is None or not decision.letter:
        raise Http404("The determination letter is not ready yet.")
    audit_record(action="letter.download", request=request, case=case, obj=decision)
    return _attachment(decision.letter, f"{case.reference}-determination.pdf", "application/pdf")


def documents_by_criterion(
    case: Case, *, viewer: bool = False, documents: Iterable[Document] | None = None
) -> dict[str, list[dict[str, Any]]]:
    """The case's documents (not those removed) grouped by the criteria they support, with their
    download links and, for a page with the document viewer, the viewer's, as
    templates/reviews/_document_link.html expects them. documents: the same documents, when the
    page has read them already (selectors.case_record)."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for document in case.documents.all() if documents is None else documents:
        link = {
            "url": reverse("document_download", args=[document.pk]),
            "original_name": document.original_name,
            "kind": document.get_kind_display(),
            "viewer_url": reverse("document_viewer", args=[document.pk]) if viewer else "",
        }
        for criterion in document.supports:
            grouped.setdefault(criterion, []).append(link)
    return grouped
