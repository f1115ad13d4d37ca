"""Internal notes (issue 16): payer staff's own record on a case, append-only, in every status
the payer sees, never a case event."""

import pytest
from django.db import DatabaseError, transaction

from accounts.models import User
from audit.models import AuditLog
from reviews import services
from reviews.models import INTERNAL_NOTE_MAX_LENGTH, Case, CaseEvent, InternalNote, Status
from reviews.workflow import NOTE_STATUSES, TransitionError
from tests.factories import make_case


def test_it_adds_a_note_with_its_audit_row_and_no_case_event(
    riverside: User, pharmacist: User
) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    events = CaseEvent.objects.filter(case=case).count()

    note = services.note_add(
        actor=pharmacist, case=case, body="  Called the HTC: weight is current.  "
    )

    assert (note.case, note.author, note.body) == (
        case,
        pharmacist,
        "Called the HTC: weight is current.",
    )
    assert CaseEvent.objects.filter(case=case).count() == events
    row = AuditLog.objects.get(action="case.internal_note")
    assert row.detail["note_id"] == note.pk
    assert row.detail["body"] == note.body


@pytest.mark.parametrize("user", ["pharmacist", "director"])
def test_it_lets_reviewers_note_a_decided_case(
    riverside: User, pharmacist: User, user: str, request: pytest.FixtureRequest
) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    services.case_approve(actor=pharmacist, case=case)
    author: User = request.getfixturevalue(user)

    services.note_add(actor=author, case=case, body="Infusion scheduled at the HTC.")

    assert InternalNote.objects.filter(case=case, author=author).count() == 1


def test_it_allows_notes_in_every_status_the_payer_sees() -> None:
    assert set(NOTE_STATUSES) == set(Status) - {Status.DRAFT}


@pytest.mark.parametrize("user", ["riverside", "lakeside", "auditor", "portal_admin"])
def test_it_refuses_a_note_from_anyone_but_a_reviewer(
    riverside: User, user: str, request: pytest.FixtureRequest
) -> None:
    case = make_case(riverside)
    actor: User = request.getfixturevalue(user)

    with pytest.raises(TransitionError, match="Only pharmacist reviewers and medical directors"):
        services.note_add(actor=actor, case=case, body="Looks fine")

    assert not InternalNote.objects.exists()


def test_it_refuses_a_note_on_a_draft(riverside: User, pharmacist: User) -> None:
    case = make_case(riverside, submit=False)

    with pytest.raises(TransitionError, match="draft"):
        services.note_add(actor=pharmacist, case=case, body="Early look")

    assert not InternalNote.objects.exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "Write the note first"),
        (" \n\t ", "Write the note first"),
        ("weight\x00 80 kg", "NUL"),
        ("x" * (INTERNAL_NOTE_MAX_LENGTH + 1), "at most 4,000 characters; this one has 4,001"),
        ("x" * 10_000_000, "at most 4,000 characters"),
    ],
)
def test_it_refuses_a_note_it_cannot_keep(
    riverside: User, pharmacist: User, body: str, message: str
) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    audit_rows = AuditLog.objects.count()

    with pytest.raises(services.ServiceError, match=message):
        services.note_add(actor=pharmacist, case=case, body=body)

    assert not InternalNote.objects.exists()
    assert AuditLog.objects.count() == audit_rows


def test_it_keeps_a_note_of_exactly_the_longest_length(riverside: User, pharmacist: User) -> None:
    case = make_case(riverside, claim_by=pharmacist)

    note = services.note_add(actor=pharmacist, case=case, body="y" * INTERNAL_NOTE_MAX_LENGTH)

    assert len(note.body) == INTERNAL_NOTE_MAX_LENGTH


def test_postgresql_refuses_to_change_or_delete_a_note(riverside: User, pharmacist: User) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    note = services.note_add(actor=pharmacist, case=case, body="First impression")

    for attempt in (
        lambda: InternalNote.objects.filter(pk=note.pk).update(body="Rewritten"),
        lambda: InternalNote.objects.filter(pk=note.pk).delete(),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            attempt()

    note.refresh_from_db()
    assert note.body == "First impression"


def test_postgresql_refuses_a_blank_note_written_around_the_service(
    riverside: User, pharmacist: User
) -> None:
    case: Case = make_case(riverside, claim_by=pharmacist)

    with pytest.raises(DatabaseError), transaction.atomic():
        InternalNote.objects.create(case=case, author=pharmacist, body="   ")
