"""PostgreSQL's walls around a case's decision (reviews migration 0017), attacked with the
application role's own connection (pa_app, as the portal connects), and the services that
still pass them. Each attack changes nothing; the test session (the owner) reads back.

Transactional tests: the application's connection sees only committed rows, and the decided
checks run at commit.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from django.db import IntegrityError, ProgrammingError, transaction
from psycopg import errors

from accounts.models import REVIEWER_ROLES, Role, User
from reviews import services
from reviews.models import (
    POLICY_SETTING_BOUNDS,
    Authorization,
    Case,
    CaseEvent,
    Decision,
    Document,
    Patient,
    PolicySetting,
    Status,
)
from reviews.tasks import generate_letter
from reviews.workflow import status_moves
from tests.audit.test_roles import app_connection
from tests.factories import make_case, make_patient, stored_document
from tests.reviews.test_appeals import denied_by
from tests.walls import walls_down

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def app() -> Iterator[psycopg.Connection]:
    with app_connection() as conn:
        yield conn


def approved(riverside: User, pharmacist: User, **patient: str) -> Case:
    case = make_case(riverside, patient=make_patient(riverside, **patient), claim_by=pharmacist)
    services.case_approve(actor=pharmacist, case=case)
    return Case.objects.get(pk=case.pk)


def refused(
    app: psycopg.Connection,
    error: type[Exception],
    *statements: str,
    match: str | None = None,
    **params: Any,
) -> None:
    """The statements (named placeholders from params), in one transaction of the application's
    role, are refused, and so rolled back."""
    with pytest.raises(error, match=match), app.transaction():
        for statement in statements:
            app.execute(statement, params)


# A forged decision and authorization for %(case)s, as the services would write them.
DECISION = (
    "INSERT INTO reviews_decision (case_id, outcome, decided_by_id, reason, failed_criteria, "
    "snapshot, created_at, letter) "
    "VALUES (%(case)s, 'approved', %(by)s, '', '[]', '{}', now(), '')"
)
AUTHORIZATION = (
    "INSERT INTO reviews_authorization (case_id, member_id, member_key, number, hcpcs_code, "
    "units, valid_from, valid_to, policy_id, state, created_at, prescriber_npi) "
    "SELECT id, member_id, member_key, 'HGX-FORGED', 'J1411', 1, current_date, "
    "current_date + 90, '', 'active', now(), '' FROM reviews_case WHERE id = %(case)s"
)
APPROVE = "UPDATE reviews_case SET status = 'approved' WHERE id = %(case)s"


# --- status moves --------------------------------------------------------------------------


def test_postgresql_allows_exactly_the_status_moves_of_the_workflow(
    app: psycopg.Connection, riverside: User
) -> None:
    """The migration's frozen list and workflow.status_moves() cannot drift apart unnoticed."""
    case = make_case(riverside, submit=False)
    allowed = set()
    for source in Status.values:
        with walls_down("reviews_case", "reviews_case_guard", "reviews_case_decided"):
            Case.objects.filter(pk=case.pk).update(status=source)
        for to in Status.values:
            try:
                # Rolled back whatever happens: only the BEFORE UPDATE guard is under test here.
                with app.transaction(force_rollback=True):
                    app.execute("UPDATE reviews_case SET status = %s WHERE id = %s", [to, case.pk])
            except errors.CheckViolation as refusal:
                assert refusal.diag.constraint_name == "case_status_transition"
            else:
                allowed.add((source, to))

    unchanged = {(s, s) for s in Status.values}  # setting the status it has is no move
    assert allowed == status_moves() | unchanged


def test_it_refuses_a_submitted_case_approved_past_the_services(
    app: psycopg.Connection, riverside: User, pharmacist: User
) -> None:
    case = make_case(riverside)  # submitted
    refused(
        app,
        errors.CheckViolation,
        DECISION,
        AUTHORIZATION,
        APPROVE,
        match="no move from submitted to approved",
        case=case.pk,
        by=pharmacist.pk,
    )
    assert Case.objects.get(pk=case.pk).status == Status.SUBMITTED
    assert not Decision.objects.filter(case=case).exists()
    assert not Authorization.objects.exists()


def test_it_refuses_at_commit_a_decision_or_authorization_on_a_case_not_decided(
    app: psycopg.Connection, riverside: User, pharmacist: User
) -> None:
    case = make_case(riverside, claim_by=pharmacist)  # in review
    ids: dict[str, Any] = {"case": case.pk, "by": pharmacist.pk}

    refused(app, errors.CheckViolation, DECISION, match="not approved", **ids)
    refused(app, errors.CheckViolation, AUTHORIZATION, match="not approved", **ids)
    refused(app, errors.CheckViolation, APPROVE, match="without a decision", **ids)
    refused(app, errors.CheckViolation, APPROVE, AUTHORIZATION, **ids)

    assert Case.objects.get(pk=case.pk).status == Status.IN_REVIEW
    assert not Decision.objects.exists() and not Authorization.objects.exists()


def test_it_refuses_the_bogus_values_of_a_case(
    app: psycopg.Connection, riverside: User, pharmacist: User
) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    update = "UPDATE reviews_case SET {} = 'bogus' WHERE id = %(case)s"

    refused(app, errors.CheckViolation, update.format("status"), case=case.pk)
    refused(
        app,
        errors.CheckViolation,
        update.format("urgency"),
        match="case_urgency_valid",
        case=case.pk,
    )
    with (
        walls_down("reviews_case", "reviews_case_guard"),  # the CHECK, behind the guard
        pytest.raises(IntegrityError, match="case_status_valid"),
        transaction.atomic(),
    ):
        Case.objects.filter(pk=case.pk).update(status="bogus")

    assert Case.objects.get(pk=case.pk).status == Status.IN_REVIEW


# Each assignment is the test's own SQL, never input.
SET_CASE = "UPDATE reviews_case SET {} WHERE id = %(case)s"
SET_PATIENT = "UPDATE reviews_patient SET {} WHERE id = %(patient)s"


@pytest.mark.parametrize(
    ("assignment", "constraint"),
    [
        ("body_weight_kg = 0", "case_body_weight_range"),
        ("body_weight_kg = 400.1", "case_body_weight_range"),
        ("body_weight_kg = -80", "case_body_weight_range"),
        ("body_weight_kg = 'NaN'", "case_body_weight_range"),
        ("prescriber_npi = '12345'", "case_prescriber_npi_digits"),
        ("prescriber_npi = '123456789x'", "case_prescriber_npi_digits"),
        ("prescriber_npi = ' 123456789'", "case_prescriber_npi_digits"),
        ("urgency = 'expedited', expedite_reason = ''", "case_expedited_has_reason"),
        ("urgency = 'expedited', expedite_reason = E' \\t\\n'", "case_expedited_has_reason"),
    ],
)
def test_it_refuses_request_details_no_door_accepts(
    app: psycopg.Connection, riverside: User, assignment: str, constraint: str
) -> None:
    case = make_case(riverside, submit=False)
    refused(app, errors.CheckViolation, SET_CASE.format(assignment), match=constraint, case=case.pk)

    kept = Case.objects.get(pk=case.pk)
    assert (kept.body_weight_kg, kept.prescriber_npi, kept.urgency) == (
        case.body_weight_kg,
        case.prescriber_npi,
        case.urgency,
    )


@pytest.mark.parametrize(
    ("assignment", "constraint"),
    [
        ("sex_assigned_at_birth = 'bogus'", "patient_sex_valid"),
        ("sex_assigned_at_birth = ''", "patient_sex_valid"),
        ("first_name = ''", "patient_named"),
        ("last_name = E' \\t'", "patient_named"),
    ],
)
def test_it_refuses_a_patient_no_door_accepts(
    app: psycopg.Connection, riverside: User, assignment: str, constraint: str
) -> None:
    patient = make_patient(riverside)
    update = SET_PATIENT.format(assignment)

    refused(app, errors.CheckViolation, update, match=constraint, patient=patient.pk)

    kept = Patient.objects.get(pk=patient.pk)
    assert (kept.first_name, kept.last_name, kept.sex_assigned_at_birth) == (
        patient.first_name,
        patient.last_name,
        patient.sex_assigned_at_birth,
    )


def test_it_refuses_a_denial_override_or_different_person_without_a_reason(
    app: psycopg.Connection, riverside: User, pharmacist: User
) -> None:
    """The letter, the checklist and the identity ruling each say why; white space is no why."""
    case = make_case(riverside, claim_by=pharmacist)
    ids: dict[str, Any] = {"case": case.pk, "by": pharmacist.pk}
    denial = DECISION.replace("'approved'", "'denied'").replace("%(by)s, ''", "%(by)s, E' \\n'")
    override = (
        "INSERT INTO reviews_checklistoverride (case_id, criterion_id, engine_status, status, "
        "reason, actor_id, created_at) VALUES (%(case)s, 'fix_activity', 'met', 'not_met', ' ', "
        "%(by)s, now())"
    )
    ruling = (
        "INSERT INTO reviews_identityruling (case_id, other_member_key, ruling, reason, "
        "ruled_by_id, created_at) VALUES (%(case)s, 'M1', 'different', E'\\t', %(by)s, now())"
    )

    refused(app, errors.CheckViolation, denial, match="decision_denial_has_reason", **ids)
    refused(app, errors.CheckViolation, override, match="override_has_reason", **ids)
    refused(app, errors.CheckViolation, ruling, match="different_has_reason", **ids)

    assert not Decision.objects.exists()
    assert not case.overrides.exists() and not case.identity_rulings.exists()


def test_it_accepts_the_bounds_of_request_details(app: psycopg.Connection, riverside: User) -> None:
    case = make_case(riverside, submit=False)
    for assignment in (
        "body_weight_kg = 1",
        "body_weight_kg = 400",
        "body_weight_kg = NULL",
        "prescriber_npi = ''",
        "urgency = 'expedited', expedite_reason = 'Bleeding on prophylaxis'",
    ):
        with app.transaction():
            app.execute(SET_CASE.format(assignment), {"case": case.pk})


@pytest.mark.parametrize(("name", "bounds"), POLICY_SETTING_BOUNDS.items())
def test_it_keeps_the_payers_rules_within_the_admin_forms_bounds(
    app: psycopg.Connection, name: str, bounds: tuple[int, int]
) -> None:
    """A review clock of 0 hours (every request overdue at once) or an appeal deadline of 90
    years, set past the admin form, is refused; the bounds themselves are accepted."""
    # name comes from the model's own bounds, never from input.
    insert = f"INSERT INTO reviews_policysetting (id, {name}, updated_at) VALUES (1, %(v)s, now())"  # noqa: S608
    low, high = bounds
    for value in (0, low - 1, high + 1, 32767):
        if value < low or value > high:
            refused(app, errors.CheckViolation, insert, match=f"{name}_range", v=value)
    for kept in (low, high, None):
        with app.transaction():
            app.execute(insert, {"v": kept})
            app.execute("DELETE FROM reviews_policysetting")
    assert not PolicySetting.objects.exists()


# --- a decided case ------------------------------------------------------------------------


def test_it_refuses_to_move_a_decided_case_to_another_clinic_or_make_it_an_appeal(
    app: psycopg.Connection, riverside: User, lakeside: User, pharmacist: User, director: User
) -> None:
    case = approved(riverside, pharmacist)
    denied = denied_by(riverside, director)
    update = "UPDATE reviews_case SET {} WHERE id = %(case)s"
    ids: dict[str, Any] = {"case": case.pk, "other": lakeside.organization_id, "denied": denied.pk}

    for change in (
        "organization_id = %(other)s",
        "reference = 'PA-FORGED'",
        "created_at = now()",
        "patient_id = patient_id + 1",
        "created_by_id = NULL",
    ):
        refused(app, errors.CheckViolation, update.format(change), match="never change", **ids)
    refused(app, errors.CheckViolation, update.format("appeal_of_id = %(denied)s"), **ids)
    refused(app, errors.CheckViolation, update.format("status = 'denied'"), **ids)

    after = Case.objects.get(pk=case.pk)
    assert (after.organization_id, after.appeal_of_id, after.status) == (
        riverside.organization_id,
        None,
        Status.APPROVED,
    )
    assert after.reference == case.reference and after.created_at == case.created_at


def test_it_refuses_a_case_filed_for_one_clinics_patient_under_another_clinic(
    app: psycopg.Connection, riverside: User, lakeside: User
) -> None:
    """Reviews 0019: the (patient, clinic) foreign key, checked at commit, for a new row too
    (the guard above covers changes); nor may a patient with cases change clinic under them."""
    theirs = make_case(riverside)
    copy = (
        "INSERT INTO reviews_case SELECT (jsonb_populate_record(c, jsonb_build_object("
        "'id', nextval('reviews_case_id_seq'), 'reference', 'PA-FORGED', "
        "'organization_id', %(other)s))).* FROM reviews_case c WHERE id = %(case)s"
    )
    ids = {"case": theirs.pk, "other": lakeside.organization_id}
    refused(app, errors.ForeignKeyViolation, copy, match="case_clinic_of_patient", **ids)
    move = "UPDATE reviews_patient SET organization_id = %(other)s WHERE id = %(patient)s"
    refused(app, errors.ForeignKeyViolation, move, other=ids["other"], patient=theirs.patient_id)

    assert list(Case.objects.values_list("reference", flat=True)) == [theirs.reference]
    assert Patient.objects.get(pk=theirs.patient_id).organization_id == riverside.organization_id


def test_it_refuses_to_rewrite_or_delete_a_decision_for_anyone(
    app: psycopg.Connection, riverside: User, pharmacist: User
) -> None:
    case = approved(riverside, pharmacist)
    decision = Decision.objects.get(case=case)
    update = "UPDATE reviews_decision SET {} WHERE id = %(id)s"

    for change in ("outcome = 'denied'", "reason = 'rewritten'", "created_at = now()"):
        refused(
            app, errors.CheckViolation, update.format(change), match="never changed", id=decision.pk
        )
    refused(app, errors.InsufficientPrivilege, "DELETE FROM reviews_decision")
    # The owner too: the trigger, not only the privileges.
    with pytest.raises(ProgrammingError, match="never deleted"), transaction.atomic():
        Decision.objects.filter(pk=decision.pk).delete()
    with pytest.raises(IntegrityError, match="never changed"), transaction.atomic():
        Decision.objects.filter(pk=decision.pk).update(reason="rewritten")

    after = Decision.objects.get(pk=decision.pk)
    assert (after.outcome, after.reason, after.created_at) == ("approved", "", decision.created_at)


def test_it_writes_a_decisions_letter_once(
    app: psycopg.Connection, riverside: User, pharmacist: User
) -> None:
    case = approved(riverside, pharmacist)
    decision = Decision.objects.get(case=case)

    name = generate_letter(decision.pk)
    assert generate_letter(decision.pk) == name  # again: nothing changes
    written = Decision.objects.get(pk=decision.pk)
    assert written.letter.name == name and written.letter_generated_at is not None

    update = "UPDATE reviews_decision SET {} WHERE id = %(id)s"
    for change in ("letter = 'letters/forged.pdf'", "letter_generated_at = now()", "letter = ''"):
        refused(app, errors.CheckViolation, update.format(change), match="once", id=decision.pk)
    after = Decision.objects.get(pk=decision.pk)
    assert (after.letter.name, after.letter_generated_at) == (
        name,
        written.letter_generated_at,
    )


# --- authorizations ------------------------------------------------------------------------


def test_it_keeps_the_lifetime_authorization_when_the_application_tries_to_delete_it(
    app: psycopg.Connection, riverside: User, lakeside: User, pharmacist: User
) -> None:
    first = approved(riverside, pharmacist, member_id="FEP-77")
    number = Authorization.objects.get(case=first).number
    second = make_case(
        lakeside, patient=make_patient(lakeside, member_id="fep 77"), claim_by=pharmacist
    )

    refused(app, errors.InsufficientPrivilege, "DELETE FROM reviews_authorization")
    with pytest.raises(ProgrammingError, match="never deleted"), transaction.atomic():
        Authorization.objects.all().delete()  # the owner: the trigger

    with pytest.raises(services.LifetimeLimitReached):
        services.case_approve(actor=pharmacist, case=second)
    assert list(Authorization.objects.values_list("number", "state")) == [(number, "active")]
    assert Case.objects.get(pk=second.pk).status == Status.IN_REVIEW


def test_it_refuses_to_change_what_an_authorization_authorizes(
    app: psycopg.Connection, riverside: User, pharmacist: User
) -> None:
    case = approved(riverside, pharmacist)
    authorization = Authorization.objects.get(case=case)
    update = "UPDATE reviews_authorization SET {} WHERE id = %(id)s"
    ids: dict[str, Any] = {"id": authorization.pk}

    for change in ("valid_to = '2099-12-31'", "number = 'HGX-OTHER'", "prescriber_npi = ''"):
        refused(app, errors.CheckViolation, update.format(change), match="only its state", **ids)
    refused(app, errors.CheckViolation, update.format("state = 'bogus'"), match="no change", **ids)
    # Voided is final: no reactivating it to slip past the lifetime limit.
    with walls_down("reviews_authorization", "reviews_authorization_guard"):
        Authorization.objects.filter(pk=authorization.pk).update(state="voided")
    refused(
        app,
        errors.CheckViolation,
        update.format("state = 'active'"),
        match="no change from voided to active",
        **ids,
    )

    after = Authorization.objects.get(pk=authorization.pk)
    assert (after.valid_to, after.state) == (authorization.valid_to, "voided")


def test_the_administrators_corrections_pass_the_walls(
    riverside: User, pharmacist: User, portal_admin: User
) -> None:
    case = approved(riverside, pharmacist, member_id="FEP-1")
    number = Authorization.objects.get(case=case).number

    services.patient_correct_member_id(
        actor=portal_admin, patient=case.patient, member_id="FEP-2", reason="typed wrong"
    )
    services.authorization_void(actor=portal_admin, number=number, reason="entered in error")

    after = Authorization.objects.get(number=number)
    assert (after.member_id, after.member_key, after.state) == ("FEP-2", "FEP2", "voided")


def test_it_approves_and_denies_through_the_services(
    riverside: User, pharmacist: User, director: User
) -> None:
    case = approved(riverside, pharmacist)
    denied = denied_by(riverside, director)

    assert Authorization.objects.get(case=case).state == "active"
    assert Decision.objects.get(case=case).outcome == Status.APPROVED
    assert Decision.objects.get(case=denied).outcome == Status.DENIED
    assert denied.status == Status.DENIED


def test_it_refuses_a_decision_in_anyone_but_a_reviewers_name(
    app: psycopg.Connection, users: dict[str, User], riverside: User, pharmacist: User
) -> None:
    """Reviews 0024: a decision is a pharmacist's or a medical director's, and an escalated
    case's a medical director's, whatever the application's role writes."""
    case = make_case(riverside, claim_by=pharmacist)
    others = [u for u in users.values() if u.role not in REVIEWER_ROLES]
    assert {u.role for u in others} == set(Role) - REVIEWER_ROLES  # every other role is tried
    for user in others:
        refused(app, errors.CheckViolation, DECISION, match="pharmacist or a medical director",
                case=case.pk, by=user.pk)  # fmt: skip

    services.case_escalate(actor=pharmacist, case=case, reason="needs MD")
    refused(app, errors.CheckViolation, DECISION, match="decided by a medical director",
            case=case.pk, by=pharmacist.pk)  # fmt: skip
    assert not Decision.objects.filter(case=case).exists()


# --- case history --------------------------------------------------------------------------


def test_it_keeps_a_document_as_sent_and_a_removal_as_made(
    app: psycopg.Connection, riverside: User
) -> None:
    """Reviews 0021: the clinic's removal (hidden from the checklist and the decision) cannot be
    undone behind the services, nor the stored file swapped or deleted."""
    case = make_case(riverside, submit=False)
    document = stored_document(case, riverside)
    services.document_remove(actor=riverside, document=document, reason="Another patient's")
    ids: dict[str, Any] = {"document": document.pk}
    update = "UPDATE reviews_document SET {} WHERE id = %(document)s"
    for change in (
        "removed_at = NULL",
        "removal_reason = 'rewritten'",
        "sha256 = repeat('f', 64)",
        "file = 'cases/other.pdf'",
        "case_id = case_id + 1",
        "supports = '[\"fix_activity\"]'",
    ):
        refused(app, errors.CheckViolation, update.format(change), **ids)
    refused(
        app,
        errors.InsufficientPrivilege,
        "DELETE FROM reviews_document WHERE id = %(document)s",
        **ids,
    )

    kept = Document.with_removed.get(pk=document.pk)
    assert kept.removed_at is not None and kept.removal_reason == "Another patient's"
    assert (kept.sha256, kept.file.name) == (document.sha256, document.file.name)


# The columns of a document row as the services write one, for %(case)s by %(uploader)s.
DOCUMENT = (
    "INSERT INTO reviews_document (case_id, kind, supports, file, original_name, content_type, "
    "size, sha256, uploaded_by_id, uploaded_at, removal_reason) VALUES (%(case)s, 'lab_report', "
    "'[]', 'cases/x.pdf', 'x.pdf', 'application/pdf', 20, repeat('0', 64), %(uploader)s, now(), '')"
)


def test_it_keeps_another_clinics_staff_off_a_cases_documents(
    app: psycopg.Connection, riverside: User, lakeside: User, pharmacist: User
) -> None:
    """Reviews 0022: a document on riverside's case is uploaded by riverside (or payer staff),
    never in lakeside's name; only riverside removes one, and only one riverside uploaded."""
    case = make_case(riverside, submit=False)
    ids: dict[str, Any] = {"case": case.pk, "uploader": lakeside.pk}
    refused(app, errors.CheckViolation, DOCUMENT, match="another clinic", **ids)

    ours, payers = stored_document(case, riverside), stored_document(case, pharmacist, "note.pdf")
    remove = (
        "UPDATE reviews_document SET removed_at = now(), removed_by_id = %(by)s, "
        "removal_reason = 'x' WHERE id = %(document)s"
    )
    for document, by in ((ours, lakeside), (ours, pharmacist), (payers, riverside)):
        refused(
            app, errors.CheckViolation, remove, match="only the case's clinic",
            by=by.pk, document=document.pk,
        )  # fmt: skip
    assert Document.objects.filter(case=case).count() == 2  # none removed, none added

    app.execute(remove, {"by": riverside.pk, "document": ours.pk})  # the clinic's own: allowed
    assert list(Document.objects.filter(case=case)) == [payers]


def test_it_keeps_the_case_history_append_only_for_anyone(
    app: psycopg.Connection, riverside: User
) -> None:
    case = make_case(riverside)
    events = list(CaseEvent.objects.filter(case=case).values_list("id", "action", "reason"))

    refused(app, errors.InsufficientPrivilege, "UPDATE reviews_caseevent SET reason = 'rewritten'")
    refused(app, errors.InsufficientPrivilege, "DELETE FROM reviews_caseevent")
    with pytest.raises(ProgrammingError, match="append-only"), transaction.atomic():
        CaseEvent.objects.filter(case=case).update(reason="rewritten")
    with pytest.raises(ProgrammingError, match="append-only"), transaction.atomic():
        CaseEvent.objects.filter(case=case).delete()

    assert list(CaseEvent.objects.filter(case=case).values_list("id", "action", "reason")) == events
