"""The FHIR endpoints: thin DRF views over pas.bundle (read), pas.mapping (map), pas.intake (act
through reviews.services) and pas.responses (answer). Same authentication as the API (token or
session); $submit and $inquire are for prescriber-office staff, the definitions for any user.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from reviews.api.permissions import IsClinicStaff as ApiClinicStaff

from . import codes, intake, questionnaire
from .bundle import read_bundle
from .mapping import submission_from
from .outcomes import FHIR_PARSERS, FHIR_RENDERERS, FhirNegotiation, fhir_exception_handler
from .responses import response_bundle


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
        return Response(response_bundle(case, rb))


class ClaimInquireView(FhirView):
    """POST /fhir/Claim/$inquire: an inquiry Bundle naming the Claim or its preAuthRef."""

    permission_classes = [IsAuthenticated, IsClinicStaff]

    @NOT_IN_OPENAPI
    def post(self, request: Request) -> Response:
        rb = read_bundle(request.data)
        case = intake.inquire(actor=_user(request), rb=rb, request=request)
        return Response(response_bundle(case, rb, inquiry=True))


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
    """GET /fhir/metadata: what this FHIR endpoint does, for EHRs that ask first."""

    @NOT_IN_OPENAPI
    def get(self, request: Request) -> Response:
        return Response(codes.capability_statement(request.build_absolute_uri("/fhir")))
