"""The API's request and response shapes. Facts travel in the criteria engine's own JSON format
(criteria/schema/facts.schema.json) and are checked by its reader, error by error."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.validators import validate_npi
from criteria.registry import POLICIES
from pa_portal.middleware import Refused, check_json_text

from .. import services
from ..dosing import (
    WEIGHT_MAX_KG,
    WEIGHT_MIN_KG,
    validate_body_weight,
    validate_planned_infusion_date,
)
from ..forms_prescriber import APPROVAL_DETAILS, PATIENT_FIELDS
from ..models import (
    CLINIC_TEXT_MAX_LENGTH,
    Case,
    DocumentKind,
    Patient,
    Sex,
    Urgency,
)
from ..selectors import decision_of
from ..text import is_blank

CRITERIA = sorted({c.id for policy in POLICIES.values() for c in policy.criteria})
# What a new patient needs besides the member ID.
NEW_PATIENT_FIELDS = ("first_name", "last_name", "date_of_birth", "sex_assigned_at_birth")


def facts_errors(errors: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """criteria.io's (path, message) pairs as DRF field errors: {"labs[0].value": [...]}."""
    grouped: dict[str, list[str]] = {}
    for path, message in errors:
        grouped.setdefault(path, []).append(message.removeprefix(f"{path}: "))
    return grouped


def check_facts(value: Any) -> dict[str, Any]:
    """A clinic's facts document: a JSON object the engine's reader accepts, without the facts
    the portal supplies itself."""
    if not isinstance(value, dict):
        raise serializers.ValidationError("The facts must be a JSON object.")
    try:
        services.refuse_portal_facts(value)
        services.validate_facts(value)
    except services.FactsInvalid as exc:
        raise serializers.ValidationError(facts_errors(exc.errors)) from None
    return value


class CheckedJSONField(serializers.JSONField):
    """A JSONField whose JSON, sent as a form field's text (urlencoded or multipart), is checked
    as a JSON body is at the edge (pa_portal.middleware) before DRF decodes it: its json.loads
    recurses once per bracket (3,000 nested lists: a RecursionError, a 500) and the middleware
    cannot tell a form's JSON from its other text. Every JSONField of the API is one of these."""

    def to_internal_value(self, data: Any) -> Any:
        as_text = self.binary or getattr(data, "is_json_string", False)
        if as_text and isinstance(data, str | bytes):
            text = data if isinstance(data, str) else data.decode(errors="replace")
            try:
                check_json_text(text, self.field_name or "")
            except Refused as refused:
                inside = "" if refused.field == self.field_name else f"{refused.field}: "
                raise serializers.ValidationError(inside + refused.message) from None
        return super().to_internal_value(data)


@extend_schema_field(
    {
        "type": "object",
        "description": "Clinical facts in the criteria engine's JSON format (see "
        "criteria/schema/facts.schema.json); leave a fact out when it is not known. "
        "evaluation_date, date_of_birth, sex_assigned_at_birth and active_approvals_on_file "
        "are supplied by the portal and refused here.",
        "additionalProperties": True,
    }
)
class FactsField(CheckedJSONField):
    pass


class LightCopies:
    """Each instance's fields copied from the class's declared fields with fresh_field() rather
    than DRF's deep copy of every one (issue 20)."""

    _declared_fields: dict[str, serializers.Field[Any, Any, Any, Any]]

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        return {name: fresh_field(field) for name, field in self._declared_fields.items()}


class PatientInSerializer(LightCopies, serializers.Serializer[Any]):
    """The patient by member ID: the clinic's existing record is reused, else one is created
    (then the name, date of birth and sex assigned at birth are required)."""

    # As typed (spaces, dashes, zero-width characters count here); its canonical key has at most
    # 30 letters and digits, checked by the intake with a message naming what is wrong.
    member_id = serializers.CharField(max_length=60)
    first_name = serializers.CharField(max_length=100, required=False)
    last_name = serializers.CharField(max_length=100, required=False)
    date_of_birth = serializers.DateField(required=False)
    sex_assigned_at_birth = serializers.ChoiceField(choices=Sex.choices, required=False)
    gender_identity = serializers.CharField(max_length=60, required=False, allow_blank=True)

    def validate_date_of_birth(self, value: Any) -> Any:
        if problem := services.date_of_birth_problem(value, today=timezone.localdate()):
            raise serializers.ValidationError(problem)
        return value


class ApprovalDetailsSerializer(LightCopies, serializers.Serializer[Any]):
    """What an approval needs besides the facts (reviews.dosing.approval_gaps), checked as the
    portal's forms check them (reviews.forms_prescriber.ApprovalDetailsForm)."""

    prescriber_npi = serializers.CharField(
        max_length=10, required=False, allow_blank=True, default=""
    )
    # The range and the dates a clinic may give: reviews.dosing's validators, the portal's.
    body_weight_kg = serializers.DecimalField(
        max_digits=5,
        decimal_places=1,
        required=False,
        allow_null=True,
        default=None,
        validators=[validate_body_weight],
        help_text=f"In kg, from {WEIGHT_MIN_KG} to {WEIGHT_MAX_KG}.",
    )
    planned_infusion_date = serializers.DateField(
        required=False, allow_null=True, default=None, validators=[validate_planned_infusion_date]
    )

    def validate_prescriber_npi(self, value: str) -> str:
        if value:
            try:
                validate_npi(value)
            except DjangoValidationError as exc:
                raise serializers.ValidationError(exc.messages) from None
        return value


class CaseCreateSerializer(ApprovalDetailsSerializer):
    patient = PatientInSerializer()
    facts = FactsField(required=False, default=dict)
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.STANDARD)
    expedite_reason = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=CLINIC_TEXT_MAX_LENGTH
    )
    prescriber_name = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    submit = serializers.BooleanField(
        default=True, help_text="Submit at once (true) or keep a draft (false)."
    )

    def validate_facts(self, value: Any) -> dict[str, Any]:
        return check_facts(value)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["urgency"] == Urgency.EXPEDITED and is_blank(attrs["expedite_reason"]):
            raise serializers.ValidationError(
                {"expedite_reason": ["An expedited request needs its reason."]}
            )
        return attrs


class AnswerSerializer(ApprovalDetailsSerializer):
    """An answer: new or corrected facts, the details an approval needs when the reviewer asked
    for them (each given replaces the one on file; left out or empty, it stays), and/or a note."""

    facts = FactsField(
        required=False,
        default=dict,
        help_text="New or corrected facts, merged over those on file; null clears one.",
    )
    note = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=CLINIC_TEXT_MAX_LENGTH
    )

    def validate_facts(self, value: Any) -> dict[str, Any]:
        return check_facts(value)

    def details(self) -> dict[str, Any]:
        """The approval details given, for services.case_answer_rfi."""
        data = self.validated_data
        return {name: data[name] for name in APPROVAL_DETAILS if data.get(name) not in (None, "")}


class WithdrawSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=CLINIC_TEXT_MAX_LENGTH
    )


class DocumentInSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=DocumentKind.choices)
    supports = serializers.ListField(
        child=serializers.ChoiceField(choices=CRITERIA), required=False, default=list
    )
    file = serializers.FileField(help_text="PDF, PNG or JPEG; the content decides, not the name.")


# DRF's ModelSerializer works out every field from the model again for each instance (the model
# field's type, validators, choices): ~0.4 ms for a case, a tenth of an API request's CPU. Built
# once per class here, each instance gets its own copy of each field.
_BUILT: dict[type, dict[str, serializers.Field[Any, Any, Any, Any]]] = {}


class BuiltOnce:
    """ModelSerializer mixin: the fields worked out once per class, copied with fresh_field()."""

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        built = _BUILT.get(type(self))
        if built is None:
            built = _BUILT[type(self)] = super().get_fields()  # type: ignore[misc]
        return {name: fresh_field(field) for name, field in built.items()}


# Fields that hold other fields (bound to them as their parent).
HOLDERS = (
    serializers.BaseSerializer,
    serializers.ListField,
    serializers.DictField,
    serializers.ManyRelatedField,
)


def fresh_field(field: serializers.Field[Any, Any, Any, Any]) -> Any:
    """A copy of an unbound field for one serializer instance to bind.

    DRF copies a field by building it again from its arguments (Field.__deepcopy__), ~10 us a
    field and ~45 fields an API answer (issue 20). A field that holds no other field only gets
    its own attributes when bound (Field.bind assigns field_name, parent, label, source), so a
    shallow copy, with an attribute dictionary of its own, is a field of its own. A field that
    holds others (a nested serializer, a list's child) still gets DRF's deep copy: its children
    point back at their parent."""
    if isinstance(field, HOLDERS):
        return copy.deepcopy(field)
    assert getattr(field, "parent", None) is None, "only an unbound field is copied"
    return copy.copy(field)


class PatientSerializer(BuiltOnce, serializers.ModelSerializer[Patient]):
    class Meta:
        model = Patient
        fields = list(PATIENT_FIELDS)


class CaseSummarySerializer(BuiltOnce, serializers.ModelSerializer[Case]):
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    patient_name = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "id",
            "reference",
            "url",
            "status",
            "status_display",
            "urgency",
            "member_id",
            "patient_name",
            "recommendation",
            "created_at",
            "submitted_at",
            "due_at",
            "decided_at",
        ]

    def get_patient_name(self, case: Case) -> str:
        return f"{case.patient.first_name} {case.patient.last_name}"

    def get_url(self, case: Case) -> str:
        return reverse("api:case_detail", args=[case.pk])


class RFISerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    items = serializers.ListField(child=serializers.CharField())
    message = serializers.CharField()
    created_at = serializers.DateTimeField()
    answered_at = serializers.DateTimeField(allow_null=True)
    answer_note = serializers.CharField()


class CaseSerializer(CaseSummarySerializer):
    """A case with its facts, checklist, open request for information and decision.

    With context {"just_filed": True} (a case this request has just made, so with no request
    for information, decision or document yet) those three are not read from the database.
    """

    patient = PatientSerializer(read_only=True)
    checklist = serializers.SerializerMethodField()
    checklist_is_preview = serializers.SerializerMethodField()
    requests_for_information = serializers.SerializerMethodField()
    decision = serializers.SerializerMethodField()
    documents = serializers.SerializerMethodField()

    class Meta(CaseSummarySerializer.Meta):
        fields = [
            *CaseSummarySerializer.Meta.fields,
            "patient",
            "expedite_reason",
            "prescriber_name",
            "prescriber_npi",
            "body_weight_kg",
            "planned_infusion_date",
            "facts",
            "policy_id",
            "checklist",
            "checklist_is_preview",
            "requests_for_information",
            "decision",
            "documents",
        ]

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_checklist(self, case: Case) -> dict[str, Any]:
        """The stored checklist; for a draft, the one it would get if submitted today, as the
        clinic may see it (services.preview_draft)."""
        if not self.get_checklist_is_preview(case):
            return case.checklist
        try:
            return services.preview_draft(case)
        except services.FactsInvalid:
            return {}

    def get_checklist_is_preview(self, case: Case) -> bool:
        return case.status == "draft"

    @extend_schema_field(RFISerializer(many=True))
    def get_requests_for_information(self, case: Case) -> list[dict[str, Any]]:
        if self.context.get("just_filed"):
            return []
        return [
            {
                "id": rfi.pk,
                "items": rfi.items,
                "message": rfi.message,
                "created_at": rfi.created_at,
                "answered_at": rfi.answered_at,
                "answer_note": rfi.answer_note,
            }
            for rfi in case.rfis.all()
        ]

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_decision(self, case: Case) -> dict[str, Any] | None:
        if self.context.get("just_filed"):
            return None
        decision = decision_of(case)
        if decision is None:
            return None
        return {
            "outcome": decision.outcome,
            "reason": decision.reason,
            "failed_criteria": decision.failed_criteria,
            "decided_at": decision.created_at,
            # The letter is made by a background task; null until it exists.
            "letter_url": reverse("api:case_letter", args=[case.pk]) if decision.letter else None,
            "authorization": _authorization(case),
        }

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_documents(self, case: Case) -> list[dict[str, Any]]:
        if self.context.get("just_filed"):
            return []
        return [
            {
                "id": d.pk,
                "kind": d.kind,
                "original_name": d.original_name,
                "supports": d.supports,
                "content_type": d.content_type,
                "size": d.size,
                "url": reverse("api:document_file", args=[d.pk]),
            }
            for d in case.documents.all()
        ]


def _authorization(case: Case) -> dict[str, Any] | None:
    """The authorization an approval issued, as the clinic's page shows it: the number a claim
    is billed under, its validity and state, and what it authorizes (fixed at approval)."""
    authorization = getattr(case, "authorization", None)
    if authorization is None:
        return None
    return {
        "number": authorization.number,
        "state": authorization.state,
        "hcpcs_code": authorization.hcpcs_code,
        "units": authorization.units,
        "valid_from": authorization.valid_from.isoformat(),
        "valid_to": authorization.valid_to.isoformat(),
        "planned_infusion_date": _text(authorization.planned_infusion_date),
        "prescriber_npi": authorization.prescriber_npi,
        # Decimals as text, as the case's own body_weight_kg (empty on older authorizations).
        "body_weight_kg": _text(authorization.body_weight_kg),
        "dose_volume_ml": _text(authorization.dose_volume_ml),
        "vial_count": authorization.vial_count,
    }


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


class CaseSummaryPageSerializer(serializers.Serializer[Any]):
    """One page of the case list, as PageNumberPagination returns it (for the OpenAPI schema)."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = CaseSummarySerializer(many=True)
