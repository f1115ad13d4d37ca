"""Every form says at its top what to fix, each field's error linked to the field (issue 16)."""

import pytest
from django.urls import reverse

from accounts.models import User
from tests.conftest import client_for
from tests.factories import make_case, make_patient
from tests.reviews.views.prescriber.conftest import request_post
from tests.reviews.views.reviewer.helpers import failing_facts

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_sums_up_a_failed_save_draft_at_the_top_of_the_form(riverside: User) -> None:
    patient = make_patient(riverside)
    data = request_post(patient.pk, prescriber_npi="1234567890")

    page = client_for(riverside).post(reverse("prescriber:case_create"), data).content.decode()

    summary = page.index('data-testid="error-summary"')
    assert summary < page.index('name="prescriber_npi"')
    assert '<a href="#id_prescriber_npi">Prescriber NPI</a>' in page[summary:]


def test_it_sums_up_a_refused_reviewer_form_at_its_top(riverside: User, pharmacist: User) -> None:
    case = make_case(riverside, facts=failing_facts(), claim_by=pharmacist)
    client = client_for(pharmacist)

    refused = client.post(reverse("reviewer:escalate", args=[case.pk]), {"escalate-reason": ""})
    page = client.get(refused["Location"]).content.decode()

    summary = page.index('data-testid="error-summary"')
    assert summary < page.index('name="escalate-reason"')
    assert '<a href="#id_escalate-reason">' in page[summary:]
