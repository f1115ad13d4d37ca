"""The PAS response Bundle: a ClaimResponse first, then the Patient, the requesting clinic, the
insurer and, while information is missing, one CommunicationRequest per attachment asked for.

Every entry's id is the uuid of its ``urn:uuid`` fullUrl; the Bundle has an identifier of its
own. The ClaimResponse echoes the request's trace number (the Claim.identifier it answers) as its
first identifier and names that Claim in ``request``; a case filed in the portal or through the
REST API has no FHIR Claim, so ``request`` names the case itself by its reference (identifier of
system CASE_REFERENCE_SYSTEM) and says so in ``display``.

The case's status decides the X12 306 review action on each item's adjudication (PAS puts
extension-reviewAction on ClaimResponse.item.adjudication, category "submitted"):
approved -> A1 with the authorization's period and number, denied -> A3 with an HCR03 reason
code (X12 886) per failed criterion in reviewAction.reasonCode, withdrawn -> C (cancelled),
anything else -> A4 pended, since a person decides every request.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from reviews.models import Authorization, Case, Decision, IntakeKey, Status

from . import codes
from .mapping import claim_of_key


@dataclass
class Determination:
    """What the ClaimResponse says: the X12 action, its words and any notes or reasons."""

    action: str
    disposition: str
    notes: list[str] = field(default_factory=list)
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # (id, kind, wording)
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
    if auth.state == Authorization.State.VOIDED:
        # Voided as entered in error (services.corrections): nothing left to bill under.
        return Determination(
            codes.CANCELLED,
            f"Cancelled: authorization {auth.number} was voided by the plan and is no longer "
            "valid. Call the plan before scheduling the infusion.",
        )
    return Determination(
        codes.CERTIFIED,
        f"Certified: authorization {auth.number} for one infusion of {auth.hcpcs_code}, "
        f"valid {auth.valid_from:%Y-%m-%d} to {auth.valid_to:%Y-%m-%d}.",
        authorization=auth,
    )


def _denied(case: Case) -> Determination:
    decision = Decision.objects.get(case=case)
    lines = decision.snapshot.get("checklist", {}).get("lines") or case.checklist.get("lines", [])
    by_id = {line["id"]: line for line in lines}
    failed = [
        (c, by_id.get(c, {}).get("kind", "requirement"), by_id.get(c, {}).get("wording", c))
        for c in decision.failed_criteria
    ]
    return Determination(
        codes.NOT_CERTIFIED,
        f"Not certified: {decision.reason}",
        notes=[f"Criterion not met ({c}): {text}" for c, _, text in failed],
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


@dataclass
class Answering:
    """What the answer echoes from the request it answers.

    ``trace``: the Claim.identifier (system, value) of the request being answered; None when
    the case has no FHIR Claim. ``patient``: the Patient as the request sent it (None: rebuilt
    from the case). ``insurer``: the insurer Organization the request named, if any.
    ``claim_type`` and ``sequences``: the request's Claim.type and item sequences.
    """

    trace: tuple[str, str] | None = None
    patient: dict[str, Any] | None = None
    insurer: dict[str, Any] | None = None
    claim_type: dict[str, Any] | None = None
    sequences: list[int] = field(default_factory=lambda: [1])


def original_trace(case: Case) -> tuple[str, str] | None:
    """The Claim.identifier that filed the case through the FHIR door, if it came that way."""
    key = case.intake_keys.filter(door=IntakeKey.Door.FHIR).values_list("key", flat=True).first()
    if key is None:
        return None
    return claim_of_key(key)


def response_bundle(case: Case, answering: Answering, *, inquiry: bool = False) -> dict[str, Any]:
    """The PASResponseBundle ($submit) or PASInquiryResponseBundle ($inquire) for a case."""
    outcome = determination(case)
    entries = _Entries()
    patient = entries.add(_patient(case, answering.patient))
    clinic = entries.add(_clinic(case))
    insurer = entries.add(_insurer(answering.insurer))
    requests = [
        entries.add(_communication(case, code, items, n, patient, insurer, clinic))
        for n, (code, items) in enumerate(_attachments(outcome.missing).items(), start=1)
    ]
    response = _claim_response(
        case, answering, outcome, inquiry, patient=patient, clinic=clinic, insurer=insurer
    )
    if requests:
        response["communicationRequest"] = [{"reference": url} for url in requests]
    entries.first(response)
    profile = (
        codes.PAS_INQUIRY_RESPONSE_BUNDLE_PROFILE if inquiry else codes.PAS_RESPONSE_BUNDLE_PROFILE
    )
    bundle_id = str(uuid.uuid4())
    return {
        "resourceType": "Bundle",
        "id": bundle_id,
        "meta": {"profile": [profile]},
        "identifier": {"system": codes.RESPONSE_BUNDLE_SYSTEM, "value": bundle_id},
        "type": "collection",
        "timestamp": timezone.now().isoformat(),
        "entry": entries.entries,
    }


class _Entries:
    """The Bundle's entries, each resource's id the uuid of its urn:uuid fullUrl."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []

    def add(self, resource: dict[str, Any]) -> str:
        self.entries.append(self._entry(resource))
        return str(self.entries[-1]["fullUrl"])

    def first(self, resource: dict[str, Any]) -> None:
        self.entries.insert(0, self._entry(resource))

    @staticmethod
    def _entry(resource: dict[str, Any]) -> dict[str, Any]:
        resource_id = str(uuid.uuid4())
        return {"fullUrl": f"urn:uuid:{resource_id}", "resource": {**resource, "id": resource_id}}


def _claim_response(
    case: Case,
    answering: Answering,
    outcome: Determination,
    inquiry: bool,
    *,
    patient: str,
    clinic: str,
    insurer: str,
) -> dict[str, Any]:
    profile = codes.PAS_INQUIRY_RESPONSE_PROFILE if inquiry else codes.PAS_CLAIM_RESPONSE_PROFILE
    numbers = list(range(1, len(outcome.notes) + 1))
    notes = [
        {"number": n, "type": "display", "text": t}
        for n, t in zip(numbers, outcome.notes, strict=True)
    ]
    case_identifier = {"system": codes.CASE_REFERENCE_SYSTEM, "value": case.reference}
    identifiers = [case_identifier]
    if answering.trace is not None and answering.trace[0]:
        identifiers.insert(0, {"system": answering.trace[0], "value": answering.trace[1]})
    response: dict[str, Any] = {
        "resourceType": "ClaimResponse",
        "meta": {"profile": [profile]},
        "identifier": identifiers,
        "status": "active",
        "type": answering.claim_type or _PROFESSIONAL,
        "use": "preauthorization",
        "patient": {"reference": patient},
        "created": timezone.now().isoformat(),
        "insurer": {"reference": insurer},
        "requestor": {"reference": clinic},
        "request": _request(case, answering.trace),
        "outcome": "complete",
        "disposition": outcome.disposition,
        "preAuthRef": case.reference,
        "item": [_item(case.reference, s, outcome, numbers) for s in answering.sequences or [1]],
    }
    if outcome.authorization is not None:
        response["preAuthPeriod"] = _period(outcome.authorization)
    if notes:
        response["processNote"] = notes
    return response


_PROFESSIONAL = {"coding": [{"system": codes.CLAIM_TYPE_SYSTEM, "code": "professional"}]}


def _request(case: Case, trace: tuple[str, str] | None) -> dict[str, Any]:
    """The Claim answered, by its identifier; a case without a FHIR Claim names itself."""
    if trace is None:
        return {
            "identifier": {"system": codes.CASE_REFERENCE_SYSTEM, "value": case.reference},
            "display": f"Request {case.reference}, filed in the portal or the REST API "
            "(no FHIR Claim)",
        }
    system, value = trace
    identifier = {"system": system, "value": value} if system else {"value": value}
    return {"type": "Claim", "identifier": identifier}


def _item(
    reference: str, sequence: int, outcome: Determination, note_numbers: list[int]
) -> dict[str, Any]:
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
    # The case reference is the payer's administration reference for the item ($inquire
    # finds the case by it).
    item: dict[str, Any] = {
        "extension": [{"url": codes.EXT_ADMINISTRATION_REFERENCE, "valueString": reference}],
        "itemSequence": sequence,
    }
    if outcome.authorization is not None:
        action["extension"].append({"url": "number", "valueString": outcome.authorization.number})
        item["extension"].append(
            {"url": codes.EXT_ITEM_PREAUTH_PERIOD, "valuePeriod": _period(outcome.authorization)}
        )
    action["extension"] += [
        {"url": "reasonCode", "valueCodeableConcept": _reason(criterion, kind, wording)}
        for criterion, kind, wording in outcome.failed
    ]
    item["adjudication"] = [{"category": _SUBMITTED, "extension": [action]}]
    if note_numbers:
        item["noteNumber"] = note_numbers
    return item


def _reason(criterion: str, kind: str, wording: str) -> dict[str, Any]:
    """HCR03 (X12 886) for the kind of criterion failed, the criterion itself, and its words."""
    code, display = codes.HCR03_REASONS.get(kind, codes.HCR03_REASONS["requirement"])
    return {
        "coding": [
            {"system": codes.X12_REASON_SYSTEM, "code": code, "display": display},
            {"system": codes.CRITERIA_SYSTEM, "code": criterion, "display": wording[:250]},
        ],
        "text": wording,
    }


_SUBMITTED = {"coding": [{"system": codes.ADJUDICATION_SYSTEM, "code": "submitted"}]}


def _period(auth: Authorization) -> dict[str, str]:
    return {"start": auth.valid_from.isoformat(), "end": auth.valid_to.isoformat()}


def _patient(case: Case, submitted: dict[str, Any] | None) -> dict[str, Any]:
    """The Patient as the request sent it, completed from the case where US Core needs more
    (an identifier with a system, gender); a case filed elsewhere gets one built from its
    record: the member ID, names, birth date, birth sex, and gender unknown (the portal keeps
    sex assigned at birth, not administrative gender)."""
    patient = case.patient
    member = {
        "type": {"coding": [{"system": codes.MEMBER_ID_TYPE[0], "code": codes.MEMBER_ID_TYPE[1]}]},
        "system": codes.MEMBER_ID_SYSTEM,
        "value": patient.member_id,
    }
    if submitted is not None:
        echoed = {k: v for k, v in submitted.items() if k not in ("id", "meta", "text")}
        identifiers = [
            i for i in echoed.get("identifier", []) if i.get("system") and i.get("value")
        ]
        echoed["identifier"] = identifiers or [member]
        echoed.setdefault("gender", "unknown")
        return {"resourceType": "Patient", "meta": {"profile": [codes.PAS_BENEFICIARY]}, **echoed}
    birth_sex = {v: k for k, v in codes.BIRTHSEX.items()}.get(patient.sex_assigned_at_birth, "UNK")
    return {
        "resourceType": "Patient",
        "meta": {"profile": [codes.PAS_BENEFICIARY]},
        "extension": [{"url": codes.US_CORE_BIRTHSEX, "valueCode": birth_sex}],
        "identifier": [member],
        "name": [{"family": patient.last_name, "given": [patient.first_name]}],
        "gender": "unknown",
        "birthDate": patient.date_of_birth.isoformat(),
    }


def _clinic(case: Case) -> dict[str, Any]:
    clinic = case.organization
    return {
        "resourceType": "Organization",
        "meta": {"profile": [codes.PAS_REQUESTOR]},
        "active": True,
        "identifier": [{"system": codes.NPI_SYSTEM, "value": clinic.npi}],
        "name": clinic.name,
    }


def _insurer(submitted: dict[str, Any] | None) -> dict[str, Any]:
    """The insurer the request named (its identifiers that carry a system), else this plan."""
    ours = {
        "resourceType": "Organization",
        "meta": {"profile": [codes.PAS_INSURER]},
        "active": True,
        "type": [{"coding": [{"system": codes.X12_ENTITY_SYSTEM, "code": "PR"}]}],
        "identifier": [{"system": codes.PAYER_SYSTEM, "value": codes.PAYER_ID}],
        "name": codes.PAYER_NAME,
    }
    if submitted is None:
        return ours
    identifiers = [i for i in submitted.get("identifier", []) if i.get("system") and i.get("value")]
    return {
        **ours,
        "identifier": identifiers or ours["identifier"],
        "name": submitted.get("name") or ours["name"],
    }


def _attachments(missing: list[str]) -> dict[str, list[str]]:
    """The missing items grouped by the LOINC attachment code that asks for them."""
    grouped: dict[str, list[str]] = {}
    for item in missing:
        for code in codes.attachment_codes(item):
            grouped.setdefault(code, []).append(item)
    return grouped


def _communication(
    case: Case, loinc: str, items: list[str], n: int, patient: str, insurer: str, clinic: str
) -> dict[str, Any]:
    """One PAS CommunicationRequest: one LOINC attachment code as its one payload, what it
    covers in words, the DTR form that can carry the facts, answered by a Claim update."""
    category, words = codes.attachment_category(loinc)
    return {
        "resourceType": "CommunicationRequest",
        "meta": {"profile": [codes.PAS_COMMUNICATION_REQUEST]},
        "identifier": [{"system": codes.INFORMATION_REQUEST_SYSTEM, "value": f"{case.reference}-{n}"}],
        "status": "active",
        "category": [{"coding": [
            {"system": codes.X12_REPORT_TYPE_SYSTEM, "code": category, "display": words}
        ]}],
        "medium": [{"coding": [
            {"system": codes.X12_TRANSMISSION_SYSTEM, "code": "EL", "display": "Electronically Only"}
        ]}],
        "subject": {"reference": patient},
        "about": [{"reference": codes.QUESTIONNAIRE_URL, "display": "Hemgenix documentation (DTR) form"}],
        "payload": [{"contentString": loinc}],
        "requester": {"reference": insurer},
        "recipient": [{"reference": clinic}],
        "note": [{"text": item} for item in items]
        + [{"text": "Answer with a PAS Claim update ($submit) carrying the facts, e.g. as the "
                    f"DTR form's QuestionnaireResponse ({codes.QUESTIONNAIRE_URL})."}],
    }  # fmt: skip
