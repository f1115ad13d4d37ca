"""Internal notes: what payer staff write about a case for each other, never for the clinic.

A note writes no CaseEvent (the clinic reads the case history, and notifications hear of events):
its audit row, with the text, is the record beside the append-only note itself.
"""

from __future__ import annotations

from accounts.models import User
from audit.log import record as audit_record

from ..models import INTERNAL_NOTE_MAX_LENGTH, Case, InternalNote
from ..text import is_blank
from ..workflow import check_internal_note
from .base import _locked, atomic
from .errors import ServiceError


def _clean_body(body: object) -> str:
    if not isinstance(body, str) or is_blank(body):
        raise ServiceError("Write the note first; nothing was saved.")
    if "\x00" in body:
        raise ServiceError(
            "The note contains a character that cannot be stored (a NUL byte); nothing was saved."
        )
    text = body.strip()
    if len(text) > INTERNAL_NOTE_MAX_LENGTH:
        raise ServiceError(
            f"A note can be at most {INTERNAL_NOTE_MAX_LENGTH:,} characters; this one has "
            f"{len(text):,}. Nothing was saved."
        )
    return text


@atomic
def note_add(*, actor: User, case: Case, body: str) -> InternalNote:
    """Add an internal note to a case the payer can see, in any status after the submit."""
    case = _locked(case)
    check_internal_note(case.status, actor.role)
    text = _clean_body(body)
    note = InternalNote.objects.create(case=case, author=actor, body=text)
    audit_record(
        action="case.internal_note",
        actor=actor,
        case=case,
        detail={"note_id": note.pk, "status": case.status, "body": text},
    )
    return note
