"""The API's model serializers build their fields once per class (reviews.api.serializers,
BuiltOnce, issue 20): each instance still gets fields of its own, and answers exactly as with
DRF's own copies."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from rest_framework.test import APIRequestFactory

from accounts.models import User
from reviews.api import serializers as api
from tests.factories import make_case
from tests.reviews.api.conftest import new_request

BUILT_ONCE: list[Any] = [api.PatientSerializer, api.CaseSummarySerializer, api.CaseSerializer]
LIGHT: list[Any] = [api.PatientInSerializer, api.CaseCreateSerializer, api.AnswerSerializer]


@pytest.mark.parametrize("serializer", BUILT_ONCE + LIGHT)
def test_each_instance_binds_fields_of_its_own(serializer: Any, db: None) -> None:
    first, second = serializer(), serializer()
    assert first.fields and second.fields  # built (and the class's template with them)
    template = api._BUILT[serializer] if serializer in BUILT_ONCE else serializer._declared_fields
    for name, field in first.fields.items():
        other = second.fields[name]
        assert field is not other and field is not template[name]
        assert (field.parent, other.parent) == (first, second)
        assert template[name].parent is None and template[name].field_name is None
        if isinstance(field, api.HOLDERS):
            for child in _children(field):
                assert child.root is first


def _children(field: Any) -> list[Any]:
    """The fields a nested serializer, list or dict field holds."""
    child = getattr(field, "child", None) or getattr(field, "child_relation", None)
    return [child] if child is not None else list(field.fields.values())


def test_it_answers_as_with_drfs_own_copies(
    riverside: User, pharmacist: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    request = APIRequestFactory().get("/api/cases/")
    request.user = riverside

    def answer() -> Any:
        return api.CaseSerializer(case, context={"request": request}).data

    fast = answer()
    monkeypatch.setattr(api, "fresh_field", copy.deepcopy)
    api._BUILT.clear()
    assert answer() == fast
    assert fast["patient"]["member_id"] == case.patient.member_id


BODIES = [
    new_request("FEP-1"),
    {**new_request("FEP-2"), "urgency": "later", "body_weight_kg": "9999"},
    {**new_request("FEP-3"), "patient": {"member_id": "x" * 61, "sex_assigned_at_birth": "?"}},
    {**new_request("FEP-4"), "prescriber_npi": "1234567890", "planned_infusion_date": "9999-01-01"},
    {"facts": []},
]


@pytest.mark.parametrize("body", BODIES)
def test_it_validates_as_with_drfs_own_copies(
    body: dict[str, Any], db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def validated() -> tuple[bool, Any, Any]:
        serializer = api.CaseCreateSerializer(data=body)
        ok = serializer.is_valid()
        return ok, serializer.errors, serializer.validated_data if ok else None

    fast = validated()
    monkeypatch.setattr(api, "fresh_field", copy.deepcopy)
    assert validated() == fast
