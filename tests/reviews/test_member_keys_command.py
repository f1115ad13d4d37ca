"""manage.py member_keys: rows that became one member under the canonical key are reported,
never voided or merged, and the unique index is built once an administrator resolved them."""

from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from accounts.models import User
from audit.models import AuditLog
from reviews import services
from reviews.member_index import AUTHORIZATION_INDEX, PATIENT_CONSTRAINT, missing
from reviews.models import Authorization
from tests.factories import approvable_facts, make_case, make_patient
from tests.walls import walls_down

pytestmark = pytest.mark.django_db


def _index_missing() -> bool:
    with connection.cursor() as cursor:
        return AUTHORIZATION_INDEX in missing(cursor)


def test_it_reports_a_collision_voids_nothing_and_builds_the_index_once_resolved(
    riverside: User, lakeside: User, pharmacist: User, director: User
) -> None:
    # As a database from before the key would be: the index absent, two active authorizations
    # for one member typed two ways.
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX {AUTHORIZATION_INDEX}")
    first = make_case(riverside, patient=make_patient(riverside, member_id="fep-9"))
    services.case_claim(actor=pharmacist, case=first)
    services.case_approve(actor=pharmacist, case=first)
    second = make_case(lakeside, patient=make_patient(lakeside, member_id="FEP 9"))
    # Loaded from the old system: its case is not approved here (migration 0017 would refuse).
    with walls_down("reviews_authorization", "reviews_authorization_approved"):
        Authorization.objects.create(
            case=second,
            member_id=second.member_id,
            member_key=second.member_key,
            number="HGX-LEGACY-9",
            valid_from=date(2025, 1, 1),
            valid_to=date(2025, 6, 30),
            policy_id=first.policy_id,
        )

    out = StringIO()
    with pytest.raises(CommandError, match="1 member key"):
        call_command("member_keys", stdout=out)
    assert "COLLISION" in out.getvalue() and "HGX-LEGACY-9" in out.getvalue()
    assert first.authorization.number in out.getvalue()
    assert Authorization.objects.filter(state="active").count() == 2  # nothing voided
    assert _index_missing()
    row = AuditLog.objects.get(action="member_keys.collisions")
    assert "HGX-LEGACY-9" in row.detail["collisions"][0]

    # The administrator voids the one entered in error; the next run builds the index.
    Authorization.objects.filter(number="HGX-LEGACY-9").update(state="voided")
    out = StringIO()
    call_command("member_keys", stdout=out)
    assert f"built {AUTHORIZATION_INDEX}" in out.getvalue()
    assert not _index_missing()


def test_an_administrator_voids_an_authorization_entered_in_error(
    riverside: User, pharmacist: User, portal_admin: User
) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    services.case_approve(actor=pharmacist, case=case)
    number = case.authorization.number
    with pytest.raises(CommandError, match="Only an administrator"):
        call_command("authorization_void", number, "--by", pharmacist.username, "--reason", "x")
    call_command("authorization_void", number, "--by", portal_admin.username, "--reason", "twice")
    case.authorization.refresh_from_db()
    assert case.authorization.state == "voided"
    event = case.events.get(action="authorization_voided")
    assert (event.actor, event.reason) == (portal_admin, "twice")
    assert AuditLog.objects.filter(action="case.authorization_voided", case=case).exists()


def test_an_administrator_corrects_a_member_id_and_the_keys_follow(
    riverside: User, pharmacist: User, portal_admin: User
) -> None:
    case = make_case(
        riverside, patient=make_patient(riverside, member_id="FEP-1O1"), claim_by=pharmacist
    )
    services.case_approve(actor=pharmacist, case=case)
    call_command(
        "patient_member_id", str(case.patient_id), "fep-101", "--by", portal_admin.username,
        "--reason", "letter O typed for zero",
    )  # fmt: skip
    case.refresh_from_db()
    case.authorization.refresh_from_db()
    assert (case.member_id, case.member_key) == ("fep-101", "FEP101")
    assert case.authorization.member_key == "FEP101"
    assert case.events.filter(action="member_id_corrected").count() == 1


def test_it_refuses_a_correction_to_a_member_id_too_long_to_keep(
    riverside: User, portal_admin: User
) -> None:
    """30 letters and digits, but spaced out past the 60 characters a member ID is kept in: a
    refusal the command prints, not PostgreSQL's "value too long" traceback."""
    patient = make_patient(riverside, member_id="FEP-1")
    typed = "FEP" + " " * 60 + "2"  # the key FEP2
    with pytest.raises(CommandError, match="at most 60 characters"):
        call_command(
            "patient_member_id", str(patient.pk), typed, "--by", portal_admin.username,
            "--reason", "typo",
        )  # fmt: skip
    patient.refresh_from_db()
    assert patient.member_id == "FEP-1"


def test_it_files_requests_for_new_members_while_the_patient_key_is_not_yet_unique(
    riverside: User,
) -> None:
    """Until member_keys can build the clinic's unique member key (two records of one member
    still to resolve), a new patient is still added by every door: the intake's INSERT may not
    name a constraint that is not there (PostgreSQL refused every such request)."""
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE reviews_patient DROP CONSTRAINT {PATIENT_CONSTRAINT}")
        assert PATIENT_CONSTRAINT in missing(cursor)
    services.patient_create(
        actor=riverside,
        member_id="NEW-1",
        first_name="Ada",
        last_name="Lovelace",
        date_of_birth=date(1980, 1, 1),
        sex_assigned_at_birth="female",
    )
    filed = services.intake_file(
        actor=riverside,
        patient=services.PatientIn(
            member_id="NEW-2",
            first_name="Bea",
            last_name="Lovelace",
            date_of_birth=date(1981, 1, 1),
            sex_assigned_at_birth="female",
        ),
        request=services.RequestIn(facts=approvable_facts(), submit=False),
    )
    assert filed.created and filed.case.member_key == "NEW2"
    # A known member is still found by key, not added twice.
    again = services.intake_file(
        actor=riverside,
        patient=services.PatientIn(member_id="new 2"),
        request=services.RequestIn(facts=approvable_facts(), submit=False),
    )
    assert again.case.patient_id == filed.case.patient_id
