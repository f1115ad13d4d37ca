"""FHIR errors as OperationOutcome, and the DRF plumbing that speaks application/fhir+json.

Every refusal on the FHIR door is one OperationOutcome with a 4xx status: FhirError carries the
issues; the exception handler also turns DRF's own errors (401, 403, 405, 415, a body that is not
JSON) and Django's Http404/PermissionDenied into the same shape.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import JSONParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

FHIR_JSON = "application/fhir+json"


@dataclass(frozen=True)
class Issue:
    """One OperationOutcome.issue: an issue-type code, a message and, if known, where."""

    code: str
    diagnostics: str
    expression: str | None = None
    severity: str = "error"

    def to_fhir(self) -> dict[str, Any]:
        issue: dict[str, Any] = {
            "severity": self.severity,
            "code": self.code,
            "diagnostics": self.diagnostics,
        }
        if self.expression:
            issue["expression"] = [self.expression]
        return issue


class FhirError(Exception):
    """Refused with an OperationOutcome; nothing was changed."""

    def __init__(self, status_code: int, issues: Iterable[Issue]) -> None:
        self.status_code = status_code
        self.issues = list(issues)
        super().__init__("; ".join(issue.diagnostics for issue in self.issues))

    @classmethod
    def one(
        cls, status_code: int, code: str, diagnostics: str, expression: str | None = None
    ) -> FhirError:
        return cls(status_code, [Issue(code, diagnostics, expression)])


def invalid(diagnostics: str, expression: str | None = None) -> FhirError:
    """A bundle that is FHIR but breaks a PAS or portal rule (422 Unprocessable Entity)."""
    return FhirError.one(status.HTTP_422_UNPROCESSABLE_ENTITY, "invalid", diagnostics, expression)


def operation_outcome(issues: Iterable[Issue]) -> dict[str, Any]:
    return {"resourceType": "OperationOutcome", "issue": [i.to_fhir() for i in issues]}


def outcome_response(
    status_code: int, issues: Iterable[Issue], headers: dict[str, str] | None = None
) -> Response:
    return Response(operation_outcome(issues), status=status_code, headers=headers)


# DRF error -> FHIR issue-type code (http://hl7.org/fhir/issue-type).
_ISSUE_CODES = {
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    415: "not-supported",
    429: "throttled",
}


def fhir_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF exception handler: every error leaves as one OperationOutcome (None -> a 500)."""
    if isinstance(exc, FhirError):
        return outcome_response(exc.status_code, exc.issues)
    if isinstance(exc, RequestDataTooBig):  # Django's DATA_UPLOAD_MAX_MEMORY_SIZE
        return outcome_response(413, [Issue("too-costly", "The body is too large.")])
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "Not found.")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    if not isinstance(exc, exceptions.APIException):
        return None
    headers = {}
    if auth_header := getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = auth_header
    if wait := getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(wait))
    code = _ISSUE_CODES.get(exc.status_code, "invalid" if exc.status_code < 500 else "exception")
    return outcome_response(exc.status_code, [Issue(code, _text(exc.detail))], headers)


def _text(detail: Any) -> str:
    if isinstance(detail, list):
        return " ".join(_text(item) for item in detail)
    if isinstance(detail, dict):
        return " ".join(f"{key}: {_text(value)}" for key, value in detail.items())
    return str(detail)


class FhirJsonParser(JSONParser):
    media_type = FHIR_JSON


class FhirJsonRenderer(JSONRenderer):
    media_type = FHIR_JSON
    format = "fhir"


class FhirNegotiation(DefaultContentNegotiation):
    """FHIR JSON unless the client asks for plain JSON; never a 406 for a browser's Accept."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        choices: Sequence[BaseRenderer] = list(renderers)
        try:
            return super().select_renderer(request, choices, format_suffix)
        except exceptions.NotAcceptable:
            return choices[0], choices[0].media_type


FHIR_PARSERS = [FhirJsonParser, JSONParser]
FHIR_RENDERERS = [FhirJsonRenderer, JSONRenderer]
