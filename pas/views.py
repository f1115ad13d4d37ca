"""The FHIR endpoints: thin DRF views over pas.bundle (read), pas.mapping (map), pas.intake (act
through reviews.services) and pas.responses (answer). Same authentication as the API (token or
session); $submit and $inquire are for prescriber-office staff, the definitions for any user.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import extend_schema
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.patient import Patient
from rest_framework import status
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from audit.log import record as audit_record
from reviews.api.permissions import IsClinicStaff as ApiClinicStaff

from . import codes, intake, questionnaire, subscriptions
from .bundle import RequestBundle, read_bundle
from .mapping import submission_from
from .models import Subscription
from .outcomes import FHIR_PARSERS, FHIR_RENDERERS, FhirNegotiation, fhir_exception_handler
from .responses import Answering, original_trace, response_bundle


def answering(rb: RequestBundle, trace: tuple[str, str] | None) -> Answering:
    """What an answer echoes of the request bundle: its Patient, insurer, Claim.type, items."""
    patient = rb.resolve_as(rb.claim.patient, Patient)
    insurer = rb.resolve_as(rb.claim.insurer, Organization)
    return Answering(
        trace=trace,
        patient=patient.model_dump(mode="json", exclude_none=True) if patient else None,
        insurer=insurer.model_dump(mode="json", exclude_none=True) if insurer else None,
        claim_type=rb.claim.type.model_dump(mode="json", exclude_none=True),
        sequences=[item.sequence for item in rb.claim.item or [] if item.sequence] or [1],
    )


class IsClinicStaff(ApiClinicStaff):
    """The REST API's rule: prescriber-office staff of a clinic only."""

    message = "Only prescriber-office staff may submit or inquire about prior authorizations."


def _user(request: Request) -> User:
    """The signed-in portal user (the permission classes have already required one)."""
    if not isinstance(request.user, User):
        raise NotAuthenticated()
    return request.user


# The FHIR endpoints are described to FHIR clients by GET /fhir/metadata (a CapabilityStatement),
# so they stay out of the REST API's OpenAPI schema.
NOT_IN_OPENAPI = extend_schema(exclude=True)


class FhirView(APIView):
    parser_classes = FHIR_PARSERS
    renderer_classes = FHIR_RENDERERS
    content_negotiation_class = FhirNegotiation
    permission_classes = [IsAuthenticated]

    def get_exception_handler(self) -> Any:
        return fhir_exception_handler


class ClaimSubmitView(FhirView):
    """POST /fhir/Claim/$submit: a PAS request Bundle in, a PAS response Bundle out. A Claim
    update (Claim.related) answers the case's open request for information."""

    permission_classes = [IsAuthenticated, IsClinicStaff]

    @NOT_IN_OPENAPI
    def post(self, request: Request) -> Response:
        rb = read_bundle(request.data)
        submission = submission_from(rb)
        if rb.claim.related:  # a PAS Claim update: the answer to a request for information
            case = intake.update(
                actor=_user(request), rb=rb, submission=submission, request=request
            )
        else:
            case, _ = intake.submit(actor=_user(request), submission=submission, request=request)
        trace = (submission.claim_system, submission.claim_identifier)
        return Response(response_bundle(case, answering(rb, trace)))


class ClaimInquireView(FhirView):
    """POST /fhir/Claim/$inquire: an inquiry Bundle (a query by example, pas.inquiry) in, a
    Parameters with one PASInquiryResponseBundle per matching request out (0..n)."""

    permission_classes = [IsAuthenticated, IsClinicStaff]

    @NOT_IN_OPENAPI
    def post(self, request: Request) -> Response:
        rb = read_bundle(request.data)
        cases = intake.inquire(actor=_user(request), rb=rb, request=request)
        bundles = [
            response_bundle(case, answering(rb, original_trace(case)), inquiry=True)
            for case in cases
        ]
        return Response(
            {
                "resourceType": "Parameters",
                "parameter": [{"name": "return", "resource": bundle} for bundle in bundles],
            }
        )


class SubscriptionsView(FhirView):
    """POST /fhir/Subscription: a clinic system subscribes to its clinic's PAS decisions and
    requests for information (R4 backport, rest-hook); 201 with status requested, active once
    the handshake reaches the endpoint."""

    permission_classes = [IsAuthenticated, IsClinicStaff]

    @NOT_IN_OPENAPI
    def post(self, request: Request) -> Response:
        subscription = subscriptions.create(_user(request), request.data)
        audit_record(
            action="fhir.subscription.create",
            request=request,
            detail={"subscription": str(subscription.id), "endpoint": subscription.endpoint},
        )
        location = request.build_absolute_uri(f"/fhir/Subscription/{subscription.id}")
        return Response(
            subscriptions.as_resource(subscription),
            status=status.HTTP_201_CREATED,
            headers={"Location": location},
        )


class SubscriptionView(FhirView):
    """GET /fhir/Subscription/<id>: its status; DELETE: off (no more notifications)."""

    permission_classes = [IsAuthenticated, IsClinicStaff]

    @NOT_IN_OPENAPI
    def get(self, request: Request, subscription_id: str) -> Response:
        subscription = subscriptions.visible(_user(request), subscription_id)
        return Response(subscriptions.as_resource(subscription))

    @NOT_IN_OPENAPI
    def delete(self, request: Request, subscription_id: str) -> Response:
        subscription = subscriptions.visible(_user(request), subscription_id)
        subscription.status = Subscription.Status.OFF
        subscription.save(update_fields=["status"])
        audit_record(
            action="fhir.subscription.delete",
            request=request,
            detail={"subscription": str(subscription.id)},
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class QuestionnaireView(FhirView):
    """GET /fhir/Questionnaire/hemgenix: the documentation (DTR) form."""

    @NOT_IN_OPENAPI
    def get(self, request: Request) -> Response:
        return Response(questionnaire.questionnaire())


class CodeSystemView(FhirView):
    """GET /fhir/CodeSystem/<id>: this portal's own code systems."""

    systems = {"hemgenix-pa": codes.code_system, "hemgenix-criteria": codes.criteria_code_system}

    @NOT_IN_OPENAPI
    def get(self, request: Request, system_id: str) -> Response:
        build = self.systems.get(system_id)
        if build is None:
            raise Http404(f"No CodeSystem {system_id!r} here.")
        return Response(build())


class CapabilityView(FhirView):
    """GET /fhir/metadata: what this FHIR endpoint does, for EHRs that ask first. Public, as
    FHIR servers' metadata is: no credentials read, nothing about any patient or user."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @NOT_IN_OPENAPI
    def get(self, request: Request) -> Response:
        return Response(codes.capability_statement(request.build_absolute_uri("/fhir")))
