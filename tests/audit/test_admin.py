"""The Django admin: the audit log read-only there too; users, clinics and policy settings
audited with before and after."""

import pytest
from django.db import IntegrityError
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytest_django.fixtures import Settings

from accounts.models import Organization, Role, User
from audit.models import AuditLog
from reviews.models import PolicySetting
from reviews.policy import current_policy_settings
from tests.conftest import client_for
from tests.factories import make_case


def test_it_refuses_to_add_change_or_delete_audit_rows_in_the_admin(
    riverside: User, portal_admin: User
) -> None:
    make_case(riverside)
    row = AuditLog.objects.filter(action="case.submit").get()
    client = client_for(portal_admin)
    change = reverse("admin:audit_auditlog_change", args=[row.pk])
    assert client.get(change).status_code == 200  # readable...
    assert client.post(change, {"action": "tampered"}).status_code == 403  # ...not writable
    assert client.get(reverse("admin:audit_auditlog_add")).status_code == 403
    delete = reverse("admin:audit_auditlog_delete", args=[row.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    row.refresh_from_db()
    assert row.action == "case.submit"


def test_it_keeps_auditors_out_of_the_admin(auditor: User) -> None:
    response = client_for(auditor).get(reverse("admin:audit_auditlog_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.parametrize(
    "period",
    [
        {"at__year": "9999"},  # the year after it is 10000
        {"at__year": "9999", "at__month": "12"},
        {"at__year": "9999", "at__month": "12", "at__day": "31"},
        {"at__year": "9" * 25},
    ],
)
def test_it_answers_a_date_drill_down_past_year_9999_with_the_admins_error_page(
    portal_admin: User, period: dict[str, str]
) -> None:
    response = client_for(portal_admin).get(reverse("admin:audit_auditlog_changelist"), period)
    assert response.status_code == 302 and response["Location"].endswith("?e=1")


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    year=st.integers(min_value=-1, max_value=10**20),
    month=st.none() | st.integers(min_value=-1, max_value=13),
    day=st.none() | st.integers(min_value=-1, max_value=32),
)
def test_it_never_fails_on_any_date_drill_down_of_the_audit_log(
    portal_admin: User, year: int, month: int | None, day: int | None
) -> None:
    period = {"at__year": str(year), "at__month": month, "at__day": day}
    query = {k: str(v) for k, v in period.items() if v is not None}
    response = client_for(portal_admin).get(reverse("admin:audit_auditlog_changelist"), query)
    assert response.status_code in (200, 302)


def policy_form(**values: str) -> dict[str, str]:
    blank = {
        "review_clock_hours_standard": "",
        "review_clock_hours_expedited": "",
        "clock_pauses_while_pended": "unknown",
        "denial_requires_medical_director": "unknown",
        "authorization_valid_days": "",
        "appeal_deadline_days": "",
    }
    return {**blank, **values}


def test_it_applies_and_audits_a_policy_settings_change(
    portal_admin: User, settings: Settings
) -> None:
    settings.REVIEW_CLOCK_HOURS = {"standard": 72, "expedited": 24}
    settings.DENIAL_REQUIRES_MEDICAL_DIRECTOR = False
    client = client_for(portal_admin)
    # The list of one row goes straight to its form.
    assert client.get(reverse("admin:reviews_policysetting_changelist"))["Location"] == reverse(
        "admin:reviews_policysetting_add"
    )
    form = policy_form(review_clock_hours_standard="48", denial_requires_medical_director="true")
    response = client.post(reverse("admin:reviews_policysetting_add"), form)
    assert response.status_code == 302
    policy = current_policy_settings()
    assert (policy.clock_hours("standard"), policy.clock_hours("expedited")) == (48, 24)
    assert policy.denial_requires_medical_director is True
    row = AuditLog.objects.get(action="settings.change")
    assert row.actor == portal_admin
    assert row.detail["changed"] == [
        "review_clock_hours_standard",
        "denial_requires_medical_director",
    ]
    assert (
        row.detail["before"]["review_clock_hours_standard"],
        row.detail["after"]["review_clock_hours_standard"],
    ) == (72, 48)
    assert PolicySetting.objects.get().updated_by == portal_admin


def test_it_returns_a_cleared_setting_to_the_environment_default(
    portal_admin: User, settings: Settings
) -> None:
    settings.APPEAL_DEADLINE_DAYS = 180
    PolicySetting.objects.create(appeal_deadline_days=60)
    assert current_policy_settings().appeal_deadline_days == 60
    change = reverse("admin:reviews_policysetting_change", args=[1])
    assert client_for(portal_admin).post(change, policy_form()).status_code == 302
    assert current_policy_settings().appeal_deadline_days == 180
    row = AuditLog.objects.get(action="settings.change")
    assert (
        row.detail["before"]["appeal_deadline_days"],
        row.detail["after"]["appeal_deadline_days"],
    ) == (60, 180)


def test_it_refuses_a_nonsense_clock_with_a_field_error(portal_admin: User) -> None:
    response = client_for(portal_admin).post(
        reverse("admin:reviews_policysetting_add"), policy_form(review_clock_hours_standard="0")
    )
    assert response.status_code == 200
    assert "review_clock_hours_standard" in response.context["adminform"].form.errors
    assert not PolicySetting.objects.exists()
    assert not AuditLog.objects.filter(action="settings.change").exists()


def test_it_allows_one_policy_settings_row_only(db: None) -> None:
    PolicySetting.objects.create()
    with pytest.raises(IntegrityError):
        PolicySetting.objects.create(id=2)


def test_it_audits_a_role_change_with_before_and_after(
    pharmacist: User, portal_admin: User
) -> None:
    form = {
        "username": "phil",
        "first_name": "Phil",
        "last_name": "Park",
        "email": "phil@example.org",
        "is_active": "on",
        "date_joined_0": "2026-01-05",
        "date_joined_1": "09:00:00",
        "role": Role.MEDICAL_DIRECTOR,
        "organization": "",
        "credentials": "PharmD, BCPS",
    }
    change = reverse("admin:accounts_user_change", args=[pharmacist.pk])
    response = client_for(portal_admin).post(change, form)
    assert response.status_code == 302
    row = AuditLog.objects.get(action="user.change")
    assert (row.actor, row.object_type, row.object_id) == (portal_admin, "user", str(pharmacist.pk))
    assert (row.detail["before"]["role"], row.detail["after"]["role"]) == (
        "pharmacist", "medical_director",
    )  # fmt: skip
    assert "role" in row.detail["fields"] and "password" not in row.detail["before"]
    # PostgreSQL's own row of the same change (accounts 0006), whoever makes it.
    db_row = AuditLog.objects.get(action="user.access", detail__operation="update")
    assert db_row.object_id == str(pharmacist.pk) and db_row.actor_role == "database"
    # accounts 0007: and whom the admin pages named for their transaction, as their word.
    assert db_row.detail["claimed_by"] == portal_admin.username
    assert (db_row.detail["before"]["role"], db_row.detail["after"]["role"]) == (
        "pharmacist", "medical_director",
    )  # fmt: skip


def test_it_audits_a_password_reset_without_the_password(
    pharmacist: User, portal_admin: User
) -> None:
    url = reverse("admin:auth_user_password_change", args=[pharmacist.pk])
    secret = "a-brand-new-passphrase-77"
    response = client_for(portal_admin).post(
        url, {"password1": secret, "password2": secret, "usable_password": "true"}
    )
    assert response.status_code == 302
    row = AuditLog.objects.get(action="user.password_change")
    assert (row.actor, row.object_id) == (portal_admin, str(pharmacist.pk))
    pharmacist.refresh_from_db()
    assert pharmacist.check_password(secret)
    assert secret not in str(row.detail) and pharmacist.password not in str(row.detail)
    assert not AuditLog.objects.filter(action="user.change").exists()


def test_it_audits_a_new_clinic(portal_admin: User) -> None:
    response = client_for(portal_admin).post(
        reverse("admin:accounts_organization_add"),
        {
            "name": "Hilltop Hemophilia Clinic",
            "npi": "1245319599",
            "phone": "",
            "fax": "",
            "address": "",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    clinic = Organization.objects.get(name="Hilltop Hemophilia Clinic")
    row = AuditLog.objects.get(action="organization.add")
    assert (row.actor, row.object_id) == (portal_admin, str(clinic.pk))
    assert row.detail["after"]["npi"] == "1245319599"
