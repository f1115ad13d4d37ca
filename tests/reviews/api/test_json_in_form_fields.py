"""JSON sent as a form field (urlencoded or multipart) is checked as a JSON body is
(pa_portal.middleware): nesting past settings.JSON_MAX_DEPTH is a 400 naming the field, never
a RecursionError in DRF's json.loads, and nothing is stored."""

from typing import Any
from urllib.parse import urlencode

import pytest
from rest_framework import serializers

from accounts.models import User
from reviews.api import serializers as api_serializers
from reviews.api.serializers import CheckedJSONField
from reviews.models import Case, CaseEvent, Patient
from tests.reviews.views.prescriber.test_answer_details import as_stored, pended_for_details

from .conftest import api_for

pytestmark = pytest.mark.django_db
DEEP = "[" * 3000 + "]" * 3000
FORMATS = ["multipart", "urlencoded"]
CASES = "/api/cases/"


def post_form(user: User, url: str, data: dict[str, str], form: str) -> Any:
    client = api_for(user)
    if form == "multipart":
        return client.post(url, data, format="multipart")
    return client.post(url, urlencode(data), content_type="application/x-www-form-urlencoded")


@pytest.mark.parametrize("form", FORMATS)
def test_it_refuses_deeply_nested_facts_in_a_form_when_creating(riverside: User, form: str) -> None:
    data = {"patient.member_id": "FEP-1", "facts": DEEP}
    response = post_form(riverside, CASES, data, form)
    assert response.status_code == 400, response.content
    assert "facts" in response.json()
    assert not Case.objects.exists() and not Patient.objects.exists()


@pytest.mark.parametrize("form", FORMATS)
def test_it_refuses_deeply_nested_facts_in_a_form_when_answering(
    riverside: User, pharmacist: User, form: str
) -> None:
    case = pended_for_details(riverside, pharmacist)
    data = {"facts": DEEP, "note": "Here"}
    response = post_form(riverside, f"{CASES}{case.pk}/answer/", data, form)
    assert response.status_code == 400, response.content
    assert "facts" in response.json()
    assert as_stored(case)[0] == "pended"
    assert not CaseEvent.objects.filter(case=case, action="answer_rfi").exists()


def test_it_checks_json_in_a_form_field_as_a_json_body(riverside: User) -> None:
    """Past the depth, the same number rule: a JSON body's 1e400 is refused, so is a form's."""
    data = {"facts": '{"fix_activity_value": 1e400}', "note": "Here"}
    response = post_form(riverside, CASES, data, "urlencoded")
    assert response.status_code == 400, response.content
    assert "facts.fix_activity_value" in " ".join(response.json()["facts"])


def test_it_has_every_json_field_of_the_api_check_its_json() -> None:
    """A plain serializers.JSONField would json.loads a form's text unchecked again."""
    classes = [
        value
        for value in vars(api_serializers).values()
        if isinstance(value, type) and issubclass(value, serializers.BaseSerializer)
    ]
    unchecked = [
        f"{kind.__name__}.{name}"
        for kind in classes
        for name, field in getattr(kind, "_declared_fields", {}).items()
        if isinstance(field, serializers.JSONField) and not isinstance(field, CheckedJSONField)
    ]
    assert classes and not unchecked
