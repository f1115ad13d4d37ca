"""Documents a clinic attaches to a case: the content decides the type, not the name."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone

from accounts.models import CLINIC_ROLES, User

from ..models import (
    Case,
    Document,
)
from ..workflow import Action
from .base import (
    _locked,
    _move,
    _require_clinic,
    atomic,
    record_event,
)
from .errors import NotAllowed, ServiceError

ALLOWED_TYPES = {
    b"%PDF-": "application/pdf",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
}
EXTENSIONS = {"application/pdf": (".pdf",), "image/png": (".png",), "image/jpeg": (".jpg", ".jpeg")}


def sniff_content_type(head: bytes) -> str | None:
    return next((kind for magic, kind in ALLOWED_TYPES.items() if head.startswith(magic)), None)


@atomic
def document_attach(
    *,
    actor: User,
    case: Case,
    upload: UploadedFile,
    kind: str,
    supports: Iterable[str] = (),
) -> Document:
    """Store a lab or imaging report; the content decides the type, not the file's name."""
    case = _locked(case)
    _require_clinic(actor, case.organization_id)
    from_status, to_status = _move(case, actor, Action.ATTACH)
    content_type = _check_upload(upload)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    document = Document(
        case=case,
        kind=kind,
        supports=sorted(set(supports)),
        original_name=(upload.name or "document")[-255:],
        content_type=content_type,
        size=upload.size or 0,
        sha256=digest.hexdigest(),
        uploaded_by=actor,
    )
    document.file.save("upload", upload, save=False)
    document.save()
    record_event(
        case,
        actor,
        Action.ATTACH,
        from_status=from_status,
        to_status=to_status,
        detail={"document_id": document.pk, "kind": kind, "name": document.original_name},
    )
    return document


REMOVAL_REASON_MAX = 500


@atomic
def document_remove(*, actor: User, document: Document, reason: str = "") -> Document:
    """The clinic takes back a document it attached, while it could still attach one (a draft,
    or a request pended for information): gone from every list, link and later snapshot.

    The row and the file are kept, marked removed by whom, when and why: what a reviewer saw
    before a pend can still be shown (the event names the file and its SHA-256)."""
    case = _locked(document.case_id)
    _require_clinic(actor, case.organization_id)
    from_status, to_status = _move(case, actor, Action.REMOVE_DOCUMENT)
    try:
        document = (
            Document.with_removed.select_for_update()
            .select_related("uploaded_by")
            .get(pk=document.pk, case=case)
        )
    except Document.DoesNotExist:
        raise ServiceError("No such document on this request; nothing was changed.") from None
    if document.removed_at is not None:
        raise ServiceError("This document was already removed; nothing was changed.")
    uploader = document.uploaded_by
    if uploader.role not in CLINIC_ROLES or uploader.organization_id != case.organization_id:
        raise NotAllowed("Only documents your clinic attached can be removed; nothing was changed.")
    reason = reason.strip()
    if len(reason) > REMOVAL_REASON_MAX:
        raise ServiceError(
            f"The reason is longer than {REMOVAL_REASON_MAX} characters; nothing was changed."
        )
    document.removed_at = timezone.now()
    document.removed_by = actor
    document.removal_reason = reason
    document.save(update_fields=["removed_at", "removed_by", "removal_reason"])
    record_event(
        case,
        actor,
        Action.REMOVE_DOCUMENT,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        detail={
            "document_id": document.pk,
            "kind": document.kind,
            "name": document.original_name,
            "sha256": document.sha256,
        },
    )
    return document


def _check_upload(upload: UploadedFile) -> str:
    limit = int(settings.DOCUMENT_MAX_BYTES)
    if not upload.size:
        raise ServiceError("The file is empty.")
    if upload.size > limit:
        raise ServiceError(f"The file is larger than the {limit // (1024 * 1024)} MB limit.")
    head = upload.read(16)
    upload.seek(0)
    content_type = sniff_content_type(head)
    if content_type is None:
        raise ServiceError("Only PDF, PNG and JPEG files are accepted; this file is none of them.")
    name = (upload.name or "").lower()
    if not name.endswith(EXTENSIONS[content_type]):
        raise ServiceError(
            f"The file's name does not match its content ({content_type}); rename it and try again."
        )
    return content_type
