"""The PAS response Bundle: a ClaimResponse first, then the Patient, the requesting clinic, the
insurer and, when information is missing, a CommunicationRequest listing it.

The case's status decides the X12 306 review action on each item's adjudication (PAS puts
extension-reviewAction on ClaimResponse.item.adjudication, category "submitted"):
approved -> A1 with the authorization's period and number, denied -> A3 with the failed criteria,
withdrawn -> C (cancelled), anything else -> A4 pended, since a person decides every request.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.organization import Organization

from reviews.models import Authorization, Case, Decision, IntakeKey, Status

from . import codes
from .bundle import RequestBundle


@dataclass
class Determination:
    """What the ClaimResponse says: the X12 action, its words and any notes or reasons."""

    action: str
    disposition: str
    notes: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (criterion id, wording)
    authorization: Authorization | None = None
    missing: list[str] = field(default_factory=list)


def determination(case: Case) -> Determination:
    if case.status == Status.APPROVED:
        return _approved(case)
    if case.status == Status.DENIED:
        return _denied(case)
    if case.status == Status.WITHDRAWN:
        return Determination(codes.CANCELLED, "Cancelled: the clinic withdrew this request.")
    return _pended(case)


def _approved(case: Case) -> Determination:
    auth = Authorization.objects.get(case=case)
    return Determination(
        codes.CERTIFIED,
        f"Certified: authorization {auth.number} for one infusion of {auth.hcpcs_code}, "
        f"valid {auth.valid_from:%Y-%m-%d} to {auth.valid_to:%Y-%m-%d}.",
        authorization=auth,
    )


def _denied(case: Case) -> Determination:
    decision = Decision.objects.get(case=case)
    lines = decision.snapshot.get("checklist", {}).get("lines") or case.checklist.get("lines", [])
    wording = {line["id"]: line["wording"] for line in lines}
    failed = [(c, wording.get(c, c)) for c in decision.failed_criteria]
    return Determination(
        codes.NOT_CERTIFIED,
        f"Not certified: {decision.reason}",
        notes=[f"Criterion not met ({c}): {text}" for c, text in failed],
        failed=failed,
    )


def _pended(case: Case) -> Determination:
    """A4 with the checklist summary and what is still missing: the reviewer's open request
    for information first, then the automated checklist's own asks."""
    open_rfi = case.rfis.filter(answered_at__isnull=True).first()
    asked = list(open_rfi.items) if open_rfi else []
    missing = list(dict.fromkeys(asked + case.checklist.get("requests_for_information", [])))
    if open_rfi is not None:
        words = f"Pended: the reviewer asked for more information. {open_rfi.message}".strip()
    else:
        words = "Pended for review: a pharmacist reviewer decides every Hemgenix request."
    return Determination(codes.PENDED, f"{words} {_summary(case)}", notes=missing, missing=missing)


def _summary(case: Case) -> str:
    lines = case.checklist.get("lines", [])
    count = {s: sum(1 for line in lines if line["status"] == s) for s in ("met", "not_met")}
    unknown = len(lines) - count["met"] - count["not_met"]
    return (
        f"Automated checklist ({case.policy_id or 'no policy'}): {count['met']} met, "
        f"{count['not_met']} not met, {unknown} missing information; recommendation: "
        f"{case.recommendation or 'none'}."
    )


def response_bundle(case: Case, rb: RequestBundle, *, inquiry: bool = False) -> dict[str, Any]:
    """The PASResponseBundle ($submit) or PASInquiryResponseBundle ($inquire) for a case,
    checked against the R4B models before it leaves."""
    urls = _Urls()
    outcome = determination(case)
    entries = [
        (urls.response, _claim_response(case, rb, outcome, urls, inquiry)),
        (urls.patient, _patient(case)),
        (urls.clinic, _clinic(case)),
    ]
    if (insurer := rb.resolve_as(rb.claim.insurer, Organization)) is not None:
        entries.append((urls.insurer, insurer.model_dump(mode="json", exclude_none=True)))
    if outcome.missing:
        entries.append((urls.communication, _communication(outcome, urls)))
    profile = (
        codes.PAS_INQUIRY_RESPONSE_BUNDLE_PROFILE if inquiry else codes.PAS_RESPONSE_BUNDLE_PROFILE
    )
    bundle = {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"profile": [profile]},
        "type": "collection",
        "timestamp": timezone.now().isoformat(),
        "entry": [{"fullUrl": url, "resource": resource} for url, resource in entries],
    }
    return Bundle.model_validate(bundle).model_dump(mode="json", exclude_none=True)


def _urn() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


class _Urls:
    """Fresh fullUrls for the entries of one response bundle."""

    def __init__(self) -> None:
        self.response, self.patient, self.clinic = _urn(), _urn(), _urn()
        self.insurer, self.communication = _urn(), _urn()


def _claim_response(
    case: Case, rb: RequestBundle, outcome: Determination, urls: _Urls, inquiry: bool
) -> dict[str, Any]:
    profile = codes.PAS_INQUIRY_RESPONSE_PROFILE if inquiry else codes.PAS_CLAIM_RESPONSE_PROFILE
    numbers = list(range(1, len(outcome.notes) + 1))
    notes = [
        {"number": n, "type": "display", "text": t}
        for n, t in zip(numbers, outcome.notes, strict=True)
    ]
    response: dict[str, Any] = {
        "resourceType": "ClaimResponse",
        "id": case.reference,
        "meta": {"profile": [profile]},
        "identifier": [{"system": codes.CASE_REFERENCE_SYSTEM, "value": case.reference}],
        "status": "active",
        "type": rb.claim.type.model_dump(mode="json", exclude_none=True),
        "use": "preauthorization",
        "patient": {"reference": urls.patient},
        "created": timezone.now().isoformat(),
        "insurer": _insurer_reference(rb, urls),
        "requestor": {"reference": urls.clinic},
        "outcome": "complete",
        "disposition": outcome.disposition,
        "preAuthRef": case.reference,
        "item": _items(rb, outcome, numbers),
    }
    if (claim := _claim_identifier(case)) is not None:
        response["request"] = {"identifier": claim}
    if outcome.authorization is not None:
        response["preAuthPeriod"] = _period(outcome.authorization)
    if notes:
        response["processNote"] = notes
    if outcome.missing:
        response["communicationRequest"] = [{"reference": urls.communication}]
    return response


def _claim_identifier(case: Case) -> dict[str, str] | None:
    """The identifier of the Claim that filed the case through this door, if it came that way."""
    key = case.intake_keys.filter(door=IntakeKey.Door.FHIR).values_list("key", flat=True).first()
    if key is None:
        return None
    system, _, value = key.partition("|")
    return {"system": system, "value": value} if system else {"value": value}


def _insurer_reference(rb: RequestBundle, urls: _Urls) -> dict[str, Any]:
    if rb.resolve_as(rb.claim.insurer, Organization) is not None:
        return {"reference": urls.insurer}
    display = rb.claim.insurer.display if rb.claim.insurer else None
    return {"display": display or "Health plan"}


def _items(rb: RequestBundle, outcome: Determination, note_numbers: list[int]) -> list[Any]:
    sequences = [item.sequence for item in rb.claim.item or [] if item.sequence] or [1]
    return [_item(sequence, outcome, note_numbers) for sequence in sequences]


def _item(sequence: int, outcome: Determination, note_numbers: list[int]) -> dict[str, Any]:
    action: dict[str, Any] = {
        "url": codes.EXT_REVIEW_ACTION,
        "extension": [
            {
                "url": codes.EXT_REVIEW_ACTION_CODE,
                "valueCodeableConcept": {
                    "coding": [
                        {
                            "system": codes.X12_ACTION_SYSTEM,
                            "code": outcome.action,
                            "display": codes.X12_ACTION_DISPLAY[outcome.action],
                        }
                    ]
                },
            }
        ],
    }
    item: dict[str, Any] = {"itemSequence": sequence}
    if outcome.authorization is not None:
        action["extension"].append({"url": "number", "valueString": outcome.authorization.number})
        item["extension"] = [
            {"url": codes.EXT_ITEM_PREAUTH_PERIOD, "valuePeriod": _period(outcome.authorization)}
        ]
    # The review action, then one adjudication per failed criterion naming it as the reason.
    item["adjudication"] = [{"category": _SUBMITTED, "extension": [action]}] + [
        {"category": _SUBMITTED, "reason": {"coding": [
            {"system": codes.CRITERIA_SYSTEM, "code": criterion, "display": wording[:250]}
        ]}}
        for criterion, wording in outcome.failed
    ]  # fmt: skip
    if note_numbers:
        item["noteNumber"] = note_numbers
    return item


_SUBMITTED = {"coding": [{"system": codes.ADJUDICATION_SYSTEM, "code": "submitted"}]}


def _period(auth: Authorization) -> dict[str, str]:
    return {"start": auth.valid_from.isoformat(), "end": auth.valid_to.isoformat()}


def _patient(case: Case) -> dict[str, Any]:
    patient = case.patient
    system, code = codes.MEMBER_ID_TYPE
    return {
        "resourceType": "Patient",
        "identifier": [{"type": {"coding": [{"system": system, "code": code}]},
                        "value": patient.member_id}],
        "name": [{"family": patient.last_name, "given": [patient.first_name]}],
        "birthDate": patient.date_of_birth.isoformat(),
    }  # fmt: skip


def _clinic(case: Case) -> dict[str, Any]:
    clinic = case.organization
    return {
        "resourceType": "Organization",
        "identifier": [{"system": codes.NPI_SYSTEM, "value": clinic.npi}],
        "name": clinic.name,
    }


def _communication(outcome: Determination, urls: _Urls) -> dict[str, Any]:
    return {
        "resourceType": "CommunicationRequest",
        "status": "active",
        "subject": {"reference": urls.patient},
        "payload": [{"contentString": item} for item in outcome.missing],
    }
