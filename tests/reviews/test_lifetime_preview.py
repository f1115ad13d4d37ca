"""Before a request is filed, no clinic learns from the plan's records whether a member holds an
approval from another clinic: every clinic-facing preview (the draft page, the live preview, the
API's draft) counts the clinic's own approvals only; the submission counts every clinic's."""

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from accounts.models import User
from reviews import services
from reviews.models import Case, Patient
from reviews.services.evaluation import SCOPED_NOTE
from tests.conftest import client_for
from tests.factories import make_case, make_patient
from tests.reviews.api.conftest import api_for
from tests.reviews.views.prescriber.conftest import request_post

pytestmark = pytest.mark.django_db

Preview = Callable[[User, Case], dict[str, Any]]


def approve_for(clinic: User, member_id: str, pharmacist: User) -> Patient:
    case = make_case(clinic, patient=make_patient(clinic, member_id=member_id), claim_by=pharmacist)
    services.case_approve(actor=pharmacist, case=case, reason="Meets policy")
    return case.patient


def lifetime(checklist: dict[str, Any]) -> dict[str, Any]:
    [line] = [ln for ln in checklist["lines"] if ln["id"] == "lifetime_limit"]
    return line


def draft_page(user: User, case: Case) -> dict[str, Any]:
    page = client_for(user).get(reverse("prescriber:case_detail", args=[case.pk]))
    return page.context["checklist"]


def live_preview(user: User, case: Case) -> dict[str, Any]:
    page = client_for(user).post(
        reverse("prescriber:case_preview", args=[case.pk]), request_post(case.patient_id)
    )
    return page.context["checklist"]


def api_draft(user: User, case: Case) -> dict[str, Any]:
    return api_for(user).get(reverse("api:case_detail", args=[case.pk])).json()["checklist"]


DOORS = {"draft page": draft_page, "live preview": live_preview, "API draft": api_draft}


@pytest.mark.parametrize("door", DOORS)
def test_it_never_shows_another_clinics_approval_before_submission(
    door: str, riverside: User, lakeside: User, pharmacist: User
) -> None:
    approve_for(lakeside, "SHARED-1", pharmacist)
    draft = make_case(
        riverside, patient=make_patient(riverside, member_id="SHARED-1"), submit=False
    )

    line = lifetime(DOORS[door](riverside, draft))

    assert line["status"] == "met", line
    assert line["reason"].startswith("0 Hemgenix approval(s)") and SCOPED_NOTE in line["reason"]
    services.case_submit(actor=riverside, case=draft)
    draft.refresh_from_db()
    filed = lifetime(draft.checklist)
    assert filed["status"] == "not_met" and SCOPED_NOTE not in filed["reason"]


@pytest.mark.parametrize("door", DOORS)
def test_it_shows_a_clinic_its_own_approval_before_submission(
    door: str, riverside: User, pharmacist: User
) -> None:
    patient = approve_for(riverside, "OWN-1", pharmacist)
    draft = make_case(riverside, patient=patient, submit=False)

    line = lifetime(DOORS[door](riverside, draft))

    assert line["status"] == "not_met", line
    assert line["reason"].startswith("1 Hemgenix approval(s)")


def test_it_previews_an_answer_to_a_filed_request_with_every_clinics_count(
    riverside: User, lakeside: User, pharmacist: User
) -> None:
    """A filed request's checklist already counts every clinic's approvals; the preview of the
    clinic's answer to a request for information says the same, not less."""
    approve_for(lakeside, "SHARED-2", pharmacist)
    case = make_case(
        riverside, patient=make_patient(riverside, member_id="SHARED-2"), claim_by=pharmacist
    )
    services.case_pend(actor=pharmacist, case=case, items=["Factor IX inhibitor titer"])

    line = lifetime(live_preview(riverside, case))

    assert line["status"] == "not_met" and SCOPED_NOTE not in line["reason"]
    assert line == lifetime(Case.objects.get(pk=case.pk).checklist)
