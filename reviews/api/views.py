"""The REST API for prescriber offices: the same rules as the portal's pages.

Only prescriber-office staff may call it, and only about their own clinic's patients and cases
(another clinic's case is a 404). Writes go through reviews.services; bad input is a 400 with
field-level messages and changes nothing; a move the workflow refuses is a 409.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import FileResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import (
    api_view,
    content_negotiation_class,
    parser_classes,
    permission_classes,
)
from rest_framework.exceptions import (
    APIException,
    NotAcceptable,
    PermissionDenied,
    ValidationError,
)
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from audit.log import record as audit_record

from .. import services
from ..models import Case, Status
from ..selectors import case_for, cases_visible_to, document_for
from ..views.documents import send_document, send_letter
from ..workflow import TransitionError
from . import idempotency
from .permissions import IsClinicStaff
from .serializers import (
    AnswerSerializer,
    CaseCreateSerializer,
    CaseSerializer,
    CaseSummaryPageSerializer,
    CaseSummarySerializer,
    DocumentInSerializer,
    WithdrawSerializer,
    facts_errors,
)

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    idempotency.HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Any unique string (e.g. a UUID). Retrying with the same key and the same body "
    "returns the case the first attempt created (200, Idempotent-Replayed: true) instead of a "
    "second case; the same key with another body is refused (422) and creates nothing.",
)
ERRORS = {
    400: OpenApiResponse(description="Bad input; field-level messages, nothing was changed."),
    403: OpenApiResponse(description="Not prescriber-office staff."),
    404: OpenApiResponse(description="No such case in your clinic."),
    409: OpenApiResponse(description="The case's status does not allow this; nothing changed."),
    422: OpenApiResponse(description="An Idempotency-Key already used with another body."),
}
# What an operation that reads a body also answers: a body sent without a media type, or in one
# it does not read (a POST of bytes with no Content-Type, found by schemathesis).
BODY_ERRORS = {
    **ERRORS,
    415: OpenApiResponse(description="A body in no media type, or one not read here; no change."),
}


REPLAYED = {"Idempotent-Replayed": "true"}


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


def _user(request: Request) -> User:
    user = request.user
    assert isinstance(user, User)  # IsClinicStaff let only clinic staff through
    return user


class Unprocessable(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "unprocessable"


def _refusal(exc: Exception) -> APIException:
    """A service's refusal as an API error; its message is fit to show."""
    if isinstance(exc, services.FactsInvalid):
        return ValidationError({"facts": facts_errors(exc.errors)})
    if isinstance(exc, services.DetailsInvalid):
        return ValidationError({field: [message] for field, message in exc.errors.items()})
    if isinstance(exc, services.MemberIdInvalid):
        return ValidationError({"patient": {"member_id": [str(exc)]}})
    if isinstance(exc, services.PatientMismatch):
        return ValidationError({"patient": {k: [v] for k, v in exc.errors.items()}})
    if isinstance(exc, services.ReplayMismatch):
        return Unprocessable({"detail": str(exc), "earlier_request": exc.earlier.reference})
    if isinstance(exc, services.NotAllowed):
        return PermissionDenied(str(exc))
    if isinstance(exc, TransitionError):
        return Conflict(str(exc))
    return ValidationError({"detail": [str(exc)]})


def _case(request: Request, pk: int, *, with_outcome: bool = False) -> Case:
    return case_for(_user(request), pk, with_outcome=with_outcome)


def _show(
    request: Request,
    case: Case,
    code: int = status.HTTP_200_OK,
    headers: dict[str, str] | None = None,
) -> Response:
    """The case as it now is (read again: a service may have changed it)."""
    shown = _case(request, case.pk, with_outcome=True)  # its decision and authorization joined
    return Response(CaseSerializer(shown).data, status=code, headers=headers)


# --- the clinic's cases -----------------------------------------------------------------------


@extend_schema(
    methods=["GET"],
    operation_id="api_cases_list",
    summary="List the clinic's cases",
    parameters=[
        OpenApiParameter(
            "status", OpenApiTypes.STR, enum=Status.values, description="Only this status."
        ),
        OpenApiParameter("page", OpenApiTypes.INT, description="Page number, from 1."),
    ],
    responses={
        200: CaseSummaryPageSerializer,
        400: OpenApiResponse(
            description="The page is not a whole number, or no status is so named."
        ),
        404: OpenApiResponse(description="No such page."),
    },
)
@extend_schema(
    methods=["POST"],
    summary="Create a request, and submit it unless submit is false",
    parameters=[IDEMPOTENCY_PARAMETER],
    request=CaseCreateSerializer,
    responses={201: CaseSerializer, 200: CaseSerializer, **BODY_ERRORS},
)
@api_view(["GET", "POST"])
@permission_classes([IsClinicStaff])
def cases(request: Request) -> Response:
    if request.method == "POST":
        return _create(request)
    qs = cases_visible_to(_user(request)).order_by("-created_at", "-pk")
    if "status" in request.query_params:
        wanted = request.query_params["status"]
        # Not an empty list for a misspelt one, nor every case for an empty one.
        if wanted not in Status.values:
            raise ValidationError({"status": [f"A status is one of {', '.join(Status.values)}."]})
        qs = qs.filter(status=wanted)
    if "page" in request.query_params and not request.query_params["page"].isdigit():
        raise ValidationError({"page": ["A page number is a whole number from 1."]})
    paginator = PageNumberPagination()
    page = paginator.paginate_queryset(qs, request)
    return paginator.get_paginated_response(CaseSummarySerializer(page, many=True).data)


def _create(request: Request) -> Response:
    actor = _user(request)
    client_key = idempotency.key_from(request)
    serializer = CaseCreateSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = dict(serializer.validated_data)
    try:
        filed = services.intake_file(
            actor=actor,
            patient=services.PatientIn(**data.pop("patient")),
            request=services.RequestIn(
                facts=data.pop("facts"),
                urgency=data.pop("urgency"),
                expedite_reason=data.pop("expedite_reason"),
                submit=data.pop("submit"),
                details=data,
            ),
            client_key=client_key,
            http_request=request,
        )
    except services.ServiceError as exc:
        raise _refusal(exc) from None
    if not filed.created:
        return _show(request, filed.case, headers=REPLAYED)
    location = reverse("api:case_detail", args=[filed.case.pk])
    # The case as the intake left it, not read again: nothing else can have changed it yet.
    data = CaseSerializer(filed.case, context={"just_filed": True}).data
    return Response(data, status=status.HTTP_201_CREATED, headers={"Location": location})


@extend_schema(
    summary="A case: status, facts, checklist, requests for information, decision",
    responses={200: CaseSerializer, **ERRORS},
)
@api_view(["GET"])
@permission_classes([IsClinicStaff])
def case_detail(request: Request, pk: int) -> Response:
    case = _case(request, pk, with_outcome=True)  # its decision and authorization joined
    audit_record(action="case.view", request=request, case=case, detail={"via": "api"})
    return Response(CaseSerializer(case).data)


def _act(request: Request, pk: int, action: Any) -> Response:
    """Run one service move on the case and answer with the case as it now is."""
    case = _case(request, pk)
    try:
        case = action(_user(request), case)
    except services.ServiceError as exc:
        raise _refusal(exc) from None
    return _show(request, case)


@extend_schema(summary="Submit a draft", request=None, responses={200: CaseSerializer, **ERRORS})
@api_view(["POST"])
@permission_classes([IsClinicStaff])
def case_submit(request: Request, pk: int) -> Response:
    return _act(request, pk, lambda actor, case: services.case_submit(actor=actor, case=case))


@extend_schema(
    summary="Answer a request for information with new facts, approval details and/or a note",
    request=AnswerSerializer,
    responses={200: CaseSerializer, **BODY_ERRORS},
)
@api_view(["POST"])
@permission_classes([IsClinicStaff])
def case_answer(request: Request, pk: int) -> Response:
    _case(request, pk)  # a 404 for another clinic's case comes before any 400
    serializer = AnswerSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    details = serializer.details()
    return _act(
        request,
        pk,
        lambda actor, case: services.case_answer_rfi(
            actor=actor, case=case, facts=data["facts"], note=data["note"], details=details
        ),
    )


@extend_schema(
    summary="Withdraw a request",
    request=WithdrawSerializer,
    responses={200: CaseSerializer, **BODY_ERRORS},
)
@api_view(["POST"])
@permission_classes([IsClinicStaff])
def case_withdraw(request: Request, pk: int) -> Response:
    _case(request, pk)
    serializer = WithdrawSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    reason = serializer.validated_data["reason"]
    return _act(
        request,
        pk,
        lambda actor, case: services.case_withdraw(actor=actor, case=case, reason=reason),
    )


@extend_schema(
    summary="Attach a lab or imaging report (to a draft, or while answering a pend)",
    request={"multipart/form-data": DocumentInSerializer},
    responses={201: CaseSerializer, **BODY_ERRORS},
)
@api_view(["POST"])
@permission_classes([IsClinicStaff])
@parser_classes([MultiPartParser, FormParser])
def case_documents(request: Request, pk: int) -> Response:
    case = _case(request, pk)
    serializer = DocumentInSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    try:
        services.document_attach(
            actor=_user(request),
            case=case,
            upload=data["file"],
            kind=data["kind"],
            supports=data["supports"],
        )
    except TransitionError as exc:
        raise Conflict(str(exc)) from None
    except services.ServiceError as exc:
        raise ValidationError({"file": [str(exc)]}) from None
    return _show(request, case, status.HTTP_201_CREATED)


# --- files: what the case's JSON links to, for a token as for a session -------------------------


class AnyAccept(DefaultContentNegotiation):
    """A download answers with its file whatever Accept asked for (application/pdf, image/*):
    DRF would refuse an Accept none of its JSON renderers offers with 406 before the view ran.
    A refusal (404) is then JSON, as everywhere in the API."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderers = list(renderers)
        try:
            chosen: tuple[BaseRenderer, str] = super().select_renderer(
                request, renderers, format_suffix
            )
        except NotAcceptable:
            return renderers[0], renderers[0].media_type
        return chosen


FILE = {
    (200, "application/octet-stream"): OpenApiResponse(
        OpenApiTypes.BINARY, description="The file, as an attachment (PDF, PNG or JPEG)."
    ),
    403: ERRORS[403],
}


@extend_schema(
    summary="Download a document attached to one of the clinic's cases",
    responses={**FILE, 404: OpenApiResponse(description="No such document in your clinic.")},
)
@api_view(["GET"])
@permission_classes([IsClinicStaff])
@content_negotiation_class(AnyAccept)
def document_file(request: Request, pk: int) -> FileResponse:
    """The case's documents[].url: the pages' download (same access, audit row and headers);
    those pages sit behind the portal's sign-in, which an API token never passes."""
    return send_document(request, document_for(_user(request), pk))


@extend_schema(
    summary="Download a case's determination letter",
    responses={**FILE, 404: OpenApiResponse(description="No such case, or no letter yet.")},
)
@api_view(["GET"])
@permission_classes([IsClinicStaff])
@content_negotiation_class(AnyAccept)
def case_letter(request: Request, pk: int) -> FileResponse:
    """The decision's letter_url, as document_file is the documents' url."""
    return send_letter(request, _case(request, pk))
