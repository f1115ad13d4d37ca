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
from reviews.member_index import AUTHORIZATION_INDEX, missing
from reviews.models import Authorization
from tests.factories import make_case, make_patient

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
