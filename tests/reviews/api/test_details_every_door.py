"""One rule for the request's details, whatever the door: a body weight or planned infusion
date refused through the portal's request form is refused, in the same words, through the REST
API and the FHIR $submit, and none of them stores anything."""

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from accounts.models import User
from reviews.models import Case, IntakeKey
from tests.conftest import client_for
from tests.factories import make_patient
from tests.fhir.support import entry_index, example, outcome_issues, post
from tests.reviews.views.prescriber.conftest import request_post

from .conftest import api_for, new_request

pytestmark = pytest.mark.django_db
BAD_VALUES = [
    ("body_weight_kg", "500"),
    ("body_weight_kg", "999"),
    ("planned_infusion_date", "2000-01-01"),
    ("planned_infusion_date", "2999-01-01"),
]


def through_portal(user: User, field: str, value: str) -> list[str]:
    patient = make_patient(user)
    response = client_for(user).post(
        reverse("prescriber:case_create"),
        request_post(patient.pk, action="submit", **{field: value}),
    )
    assert response.status_code == 200  # the form again, with its errors
    return list(response.context["form"].errors.get(field, []))


def through_api(user: User, field: str, value: str) -> list[str]:
    response = api_for(user).post("/api/cases/", new_request(**{field: value}), format="json")
    assert response.status_code == 400, response.content
    return list(response.json().get(field, []))


def through_fhir(user: User, field: str, value: str) -> list[str]:
    body = example("approve")
    if field == "body_weight_kg":
        observation = body["entry"][entry_index(body, "Observation", "29463-7")]["resource"]
        observation["valueQuantity"]["value"] = value
    else:
        body["entry"][0]["resource"]["item"][0]["servicedDate"] = value
    response = post(client_for(user), "submit", json.dumps(body))
    assert 400 <= response.status_code < 500, response.content
    return [issue["diagnostics"] for issue in outcome_issues(response)]


DOORS: dict[str, Callable[[User, str, str], list[str]]] = {
    "portal": through_portal,
    "api": through_api,
    "fhir": through_fhir,
}


@pytest.mark.parametrize(("field", "value"), BAD_VALUES)
def test_it_refuses_the_same_detail_in_the_same_words_through_every_door(
    riverside: User, field: str, value: str
) -> None:
    said: dict[str, Any] = {
        door: through(riverside, field, value) for door, through in DOORS.items()
    }
    assert said["portal"], f"the portal took {field}={value}"
    assert said["api"] == said["portal"] == said["fhir"], said
    assert not Case.objects.exists() and not IntakeKey.objects.exists()
