"""Downloads of a case's files: the clinic's documents and the determination letter.

Anyone who may see the case may download its files (the owning clinic, reviewers, auditors);
anyone else gets a 404. Files live outside the web root and leave only through here, as
attachments the browser will not sniff or render, and every download is audited.
"""

from __future__ import annotations

from typing import Any

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest
from django.urls import reverse
from django.views.decorators.http import require_GET

from accounts.models import User
from audit.log import record as audit_record

from ..models import Case
from ..selectors import case_for, decision_of, document_for


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


@require_GET
def document_download(request: HttpRequest, pk: int) -> FileResponse:
    document = document_for(_user(request), pk)
    audit_record(
        action="document.download",
        request=request,
        case=document.case,
        obj=document,
        detail={"name": document.original_name, "sha256": document.sha256},
    )
    return _attachment(document.file, document.original_name, document.content_type)


@require_GET
def letter_download(request: HttpRequest, pk: int) -> FileResponse:
    case = case_for(_user(request), pk)
    decision = decision_of(case)
    if decision is None or not decision.letter:
        raise Http404("The determination letter is not ready yet.")
    audit_record(action="letter.download", request=request, case=case, obj=decision)
    return _attachment(decision.letter, f"{case.reference}-determination.pdf", "application/pdf")


def documents_by_criterion(case: Case) -> dict[str, list[dict[str, Any]]]:
    """The case's documents grouped by the criteria they support, with their download links,
    as templates/reviews/_checklist.html expects them."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for document in case.documents.all():
        link = {
            "url": reverse("document_download", args=[document.pk]),
            "original_name": document.original_name,
            "kind": document.get_kind_display(),
        }
        for criterion in document.supports:
            grouped.setdefault(criterion, []).append(link)
    return grouped
