"""Free text that shows nothing (reviews/text.py) is refused as empty by every service that
needs a person's words: a denial's reason, a note, an escalation, a pend, an appeal, a name."""

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import User
from audit.models import AuditLog
from reviews import services
from reviews.models import Case, CaseEvent, InternalNote, Patient, Status
from reviews.services.patients import PatientMismatch
from reviews.text import is_blank
from reviews.workflow import DenialBasis
from tests.factories import make_case, make_patient

BLANK_GLYPHS = "\u115f\u1160\u3164\uffa0\u2800"
invisible = st.text(
    alphabet=st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp"])
    | st.sampled_from(BLANK_GLYPHS),
    max_size=20,
)


@given(invisible)
def test_it_finds_text_of_only_invisible_characters_blank(text: str) -> None:
    assert is_blank(text)


@given(invisible, st.characters(categories=["L", "N", "P", "S"]), invisible)
def test_it_finds_text_with_one_visible_character_not_blank(
    before: str, visible: str, after: str
) -> None:
    if visible in BLANK_GLYPHS:
        return
    assert not is_blank(before + visible + after)


def test_it_finds_what_is_not_text_blank() -> None:
    assert is_blank(None)
    assert is_blank(3)


# The shapes str.strip() left in: a zero-width space, a BOM, a right-to-left override, a word
# joiner, a Hangul filler, the blank Braille cell, and a mix with white space.
SHOWS_NOTHING = ["\u200b", "\ufeff", "\u202e", " \u2060 ", "\u3164", "\u2800", "\u200b\u00a0\u200d"]


def _note(case: Case, pharmacist: User, text: str) -> object:
    return services.note_add(actor=pharmacist, case=case, body=text)


def _escalate(case: Case, pharmacist: User, text: str) -> object:
    return services.case_escalate(actor=pharmacist, case=case, reason=text)


def _pend(case: Case, pharmacist: User, text: str) -> object:
    return services.case_pend(actor=pharmacist, case=case, items=[text, text])


def _deny(case: Case, pharmacist: User, text: str) -> object:
    return services.case_deny(
        actor=pharmacist, case=case, failed_criteria=["excl_inhibitor_history"], reason=text
    )


def _override(case: Case, pharmacist: User, text: str) -> object:
    return services.checklist_override(
        actor=pharmacist, case=case, criterion_id="fix_activity", status="not_met", reason=text
    )


@pytest.mark.parametrize("act", [_note, _escalate, _pend, _deny, _override])
@pytest.mark.parametrize("text", SHOWS_NOTHING)
def test_it_refuses_a_reviewers_words_that_show_nothing(
    riverside: User, pharmacist: User, act: Callable[[Case, User, str], Any], text: str
) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    services.checklist_override(
        actor=pharmacist,
        case=case,
        criterion_id="excl_inhibitor_history",
        status="not_met",
        reason="The 2019 Bethesda assay on file was positive.",
    )
    counts = (CaseEvent.objects.count(), AuditLog.objects.count(), InternalNote.objects.count())

    with pytest.raises(services.ServiceError):
        act(case, pharmacist, text)

    case.refresh_from_db()
    assert case.status == Status.IN_REVIEW
    assert counts == (
        CaseEvent.objects.count(),
        AuditLog.objects.count(),
        InternalNote.objects.count(),
    )


@pytest.mark.parametrize("text", SHOWS_NOTHING)
def test_it_refuses_clinical_judgment_whose_explanation_shows_nothing(
    riverside: User, director: User, text: str
) -> None:
    case = make_case(riverside, claim_by=director)

    with pytest.raises(services.ServiceError, match="explanation"):
        services.case_deny(
            actor=director,
            case=case,
            failed_criteria=[],
            reason="Hemgenix is not appropriate for this member now.",
            basis=DenialBasis.JUDGMENT,
            explanation=text,
        )

    case.refresh_from_db()
    assert case.status == Status.IN_REVIEW


@pytest.mark.parametrize("text", SHOWS_NOTHING)
def test_it_refuses_an_expedited_request_whose_reason_shows_nothing(
    riverside: User, text: str
) -> None:
    cases = Case.objects.count()

    with pytest.raises(services.ServiceError, match="expedited request needs the reason"):
        services.case_create(
            actor=riverside,
            patient=make_patient(riverside),
            urgency="expedited",
            expedite_reason=text,
            facts={},
        )

    assert Case.objects.count() == cases


@pytest.mark.parametrize("field", ["first_name", "last_name"])
def test_it_refuses_a_patients_name_that_shows_nothing(riverside: User, field: str) -> None:
    patients = Patient.objects.count()

    with pytest.raises(PatientMismatch) as refused:
        make_patient(riverside, **{field: "\u200b\u3164"})

    assert field in refused.value.errors
    assert Patient.objects.count() == patients
