"""Filing a request, whatever the door: the portal's pages, the REST API and the FHIR $submit
all call intake_file(). It matches or adds the patient by the canonical member key (the same
identity checks and race safety for every door), files the request and submits it if asked,
all in one transaction, and remembers the client's key with a fingerprint of what was sent.

The doors only translate their input into PatientIn / RequestIn and map ServiceError to their
own answer (form errors, DRF 4xx, OperationOutcome).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError
from django.http import HttpRequest

from accounts.models import User
from audit.log import record as audit_record
from pa_portal.prepared import Prepared

from ..models import Case, IntakeKey, Patient, Urgency
from .base import service_transaction
from .drafting import DETAIL_FIELDS, create_draft, create_submitted
from .errors import NotAllowed, ServiceError
from .patients import PatientIn, patient_resolve, require_clinic_staff


class ReplayMismatch(ServiceError):
    """A client key sent again with other content: refused, nothing created."""

    def __init__(self, key: IntakeKey) -> None:
        self.earlier = key.case
        super().__init__(
            f"This key was already used for request {key.case.reference} with other content. "
            "Send a new key for a new request; nothing was created."
        )


@dataclass(frozen=True)
class RequestIn:
    """The request as a door received it (facts in the criteria engine's format)."""

    facts: dict[str, Any] = field(default_factory=dict)
    urgency: str = Urgency.STANDARD
    expedite_reason: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    submit: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {
            "facts": self.facts,
            "urgency": self.urgency,
            "expedite_reason": self.expedite_reason,
            "details": {k: v for k, v in self.details.items() if k in DETAIL_FIELDS},
            "submit": self.submit,
        }


@dataclass(frozen=True)
class ClientKey:
    """A client's key for one filing: the REST Idempotency-Key, the FHIR Claim.identifier."""

    door: str  # an IntakeKey.Door
    key: str


@dataclass(frozen=True)
class Filed:
    case: Case
    created: bool  # False: a replay, answered with the case the first attempt made


def intake_file(
    *,
    actor: User,
    patient: Patient | PatientIn,
    request: RequestIn,
    client_key: ClientKey | None = None,
    http_request: HttpRequest | None = None,
) -> Filed:
    """File (and submit, if asked) one request; a replay of a known key answers with its case."""
    organization_id = require_clinic_staff(actor)
    if isinstance(patient, Patient) and patient.organization_id != organization_id:
        raise NotAllowed("Only staff of the requesting clinic may do this.")
    fingerprint = _fingerprint(patient, request)
    if client_key is not None and (known := known_key(organization_id, client_key)) is not None:
        return _replay(known, fingerprint, actor, http_request)
    try:
        with service_transaction():
            case = _file(actor, patient, request)
            if client_key is not None:
                IntakeKey.objects.create(
                    organization_id=organization_id,
                    door=client_key.door,
                    key=client_key.key,
                    fingerprint=fingerprint,
                    case=case,
                )
            _audit("intake.filed", case, actor, http_request, client_key, fingerprint)
    except IntegrityError:
        # The same key committed first by a twin request: everything here was rolled back.
        if client_key is None or (known := known_key(organization_id, client_key)) is None:
            raise
        return _replay(known, fingerprint, actor, http_request)
    return Filed(case, created=True)


def _file(actor: User, patient: Patient | PatientIn, request: RequestIn) -> Case:
    if isinstance(patient, PatientIn):
        patient, _ = patient_resolve(actor=actor, data=patient)
    file = create_submitted if request.submit else create_draft
    return file(
        actor=actor,
        patient=patient,
        urgency=request.urgency,
        expedite_reason=request.expedite_reason,
        facts=request.facts,
        **request.details,
    )


def known_key(organization_id: int, client_key: ClientKey) -> IntakeKey | None:
    """The clinic's key as stored earlier (its case is read when a replay needs it); None if it
    is new, as nearly every key is: so no join to the case's ~30 columns to find nothing."""
    return _KNOWN_KEY.one(
        None, organization_id=organization_id, door=client_key.door, key=client_key.key
    )


# Every filing through the API or FHIR asks this first: compiled once (pa_portal/prepared.py).
_KNOWN_KEY = Prepared(
    lambda shape, **key: IntakeKey.objects.filter(**key),
    organization_id=int,
    door=str,
    key=str,
)


def _replay(
    known: IntakeKey, fingerprint: str, actor: User, http_request: HttpRequest | None
) -> Filed:
    # Keys stored before fingerprints existed (migration 0007) have none to compare.
    if known.fingerprint and known.fingerprint != fingerprint:
        raise ReplayMismatch(known)
    client_key = ClientKey(known.door, known.key)
    _audit("intake.replayed", known.case, actor, http_request, client_key, fingerprint)
    return Filed(known.case, created=False)


def _fingerprint(patient: Patient | PatientIn, request: RequestIn) -> str:
    who = {"patient_id": patient.pk} if isinstance(patient, Patient) else patient.as_dict()
    return fingerprint_of({"patient": who, "request": request.as_dict()})


def fingerprint_of(content: Any) -> str:
    """sha256 of the content as canonical JSON: the same content, the same fingerprint."""
    text = json.dumps(content, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _audit(
    action: str,
    case: Case,
    actor: User,
    http_request: HttpRequest | None,
    client_key: ClientKey | None,
    fingerprint: str,
) -> None:
    audit_record(
        action=action,
        actor=actor,
        request=http_request,
        case=case,
        detail={
            "door": client_key.door if client_key else "portal",
            "key": client_key.key if client_key else "",
            "fingerprint": fingerprint,
        },
    )
