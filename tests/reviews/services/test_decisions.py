"""An approval needs the body weight, planned infusion date and prescriber NPI (issue 16): the
decision service refuses without them, whichever door asks, and the authorization states the
dose and vial count."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import User
from audit.models import AuditLog
from reviews import services
from reviews.models import Authorization, Case, CaseEvent, Decision, OutboxMessage, Status
from tests.factories import WITHOUT_APPROVAL_DETAILS, make_case


def _nothing_changed(case: Case, events: int, audit_rows: int) -> None:
    case.refresh_from_db()
    assert case.status == Status.IN_REVIEW
    assert not Decision.objects.filter(case=case).exists()
    assert not Authorization.objects.filter(case=case).exists()
    assert CaseEvent.objects.filter(case=case).count() == events
    assert AuditLog.objects.count() == audit_rows
    assert not OutboxMessage.objects.filter(task="reviews.generate_letter").exists()


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        ({"body_weight_kg": None}, "the member's body weight"),
        ({"planned_infusion_date": None}, "the planned infusion date"),
        ({"prescriber_npi": ""}, "the prescriber's NPI"),
    ],
)
def test_it_refuses_an_approval_without_each_detail_and_names_it(
    riverside: User, pharmacist: User, missing: dict[str, Any], named: str
) -> None:
    case = make_case(riverside, claim_by=pharmacist, **missing)
    events, audit_rows = case.events.count(), AuditLog.objects.count()

    with pytest.raises(services.ApprovalDetailsMissing) as refused:
        services.case_approve(actor=pharmacist, case=case)

    assert refused.value.gaps == [named]
    assert named in str(refused.value)
    assert str(refused.value).endswith("Nothing was changed.")
    _nothing_changed(case, events, audit_rows)


def test_it_names_every_missing_detail_at_once(riverside: User, pharmacist: User) -> None:
    case = make_case(
        riverside,
        claim_by=pharmacist,
        **WITHOUT_APPROVAL_DETAILS,
    )

    with pytest.raises(services.ServiceError) as refused:
        services.case_approve(actor=pharmacist, case=case)

    assert (
        "needs the member's body weight, the planned infusion date and the prescriber's NPI"
        in str(refused.value)
    )


def test_it_refuses_an_infusion_date_gone_by_while_the_case_was_reviewed(
    riverside: User, pharmacist: User
) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    yesterday = timezone.localdate() - timedelta(days=1)
    Case.objects.filter(pk=case.pk).update(planned_infusion_date=yesterday)
    events, audit_rows = case.events.count(), AuditLog.objects.count()

    with pytest.raises(services.ApprovalDetailsMissing, match="not in the past"):
        services.case_approve(actor=pharmacist, case=case)

    _nothing_changed(case, events, audit_rows)


def test_it_refuses_a_prescriber_npi_with_a_wrong_check_digit(
    riverside: User, pharmacist: User
) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    Case.objects.filter(pk=case.pk).update(prescriber_npi="1234567890")

    with pytest.raises(services.ApprovalDetailsMissing, match="a valid prescriber NPI"):
        services.case_approve(actor=pharmacist, case=case)


def test_it_issues_the_authorization_with_dose_vials_date_and_npi(
    riverside: User, pharmacist: User
) -> None:
    planned = timezone.localdate() + timedelta(days=10)
    case = make_case(
        riverside,
        claim_by=pharmacist,
        body_weight_kg=Decimal("93.4"),
        planned_infusion_date=planned,
        prescriber_npi="1245319599",
    )

    services.case_approve(actor=pharmacist, case=case)

    authorization = Authorization.objects.get(case=case)
    assert authorization.body_weight_kg == Decimal("93.4")
    assert authorization.dose_volume_ml == Decimal("186.8")
    assert authorization.vial_count == 19
    assert authorization.planned_infusion_date == planned
    assert authorization.prescriber_npi == "1245319599"
