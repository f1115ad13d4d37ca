"""A PAS request bundle -> what the portal's own form collects: the member, the clinic's NPI, the
request details and the facts in the criteria engine's JSON input format (Case.facts).

Sources, in PAS terms: the Claim (identifier, diagnosis, priority, item J1411 and its date), the
Patient it references (name, birth date, US Core birth sex, its own member ID of type MB), the
Coverage (subscriberId: the member ID when the patient is the subscriber), the requesting
Organization (NPI), the prescribing Practitioner (name, NPI, NUCC specialty), the
MedicationRequest, and the facts from Observations and the QuestionnaireResponse.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from fhir.resources.R4B.claim import Claim
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coverage import Coverage
from fhir.resources.R4B.humanname import HumanName
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.medicationrequest import MedicationRequest
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.practitionerrole import PractitionerRole
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from accounts.validators import npi_is_valid
from reviews.members import MemberIdInvalid, member_key
from reviews.models import Urgency

from .bundle import RequestBundle
from .codes import (
    BIRTHSEX,
    HEMGENIX_HCPCS,
    ICD10CM_SYSTEM,
    MEMBER_ID_TYPE,
    NPI_SYSTEM,
    NUCC_SPECIALTIES,
    NUCC_SYSTEM,
    US_CORE_BIRTHSEX,
)
from .collect import Collected
from .observations import check_subject, full_date, read_observations
from .outcomes import invalid
from .questionnaire import read_response

MAX_CLAIM_IDENTIFIER = 90
MAX_CLAIM_SYSTEM = 200
MAX_MEMBER_ID = 60
MAX_NAME = 100  # Patient.first_name and last_name's max_length, as the REST API checks it
MAX_PRESCRIBER_NAME = 200  # Case.prescriber_name's max_length, the same
CLAIM = "Bundle.entry[0].resource"


@dataclass
class Submission:
    claim_identifier: str
    claim_system: str
    member_id: str
    first_name: str
    last_name: str
    date_of_birth: date
    sex_assigned_at_birth: str
    organization_npi: str
    urgency: str
    expedite_reason: str
    facts: dict[str, Any]
    details: dict[str, Any]
    collected: Collected = field(repr=False)

    @property
    def claim_key(self) -> str:
        """The Claim's identifier as the clinic's key for it: system and value."""
        return claim_key(self.claim_system, self.claim_identifier)


def claim_key(system: str, value: str) -> str:
    return f"{system}|{value}"


def claim_of_key(key: str) -> tuple[str, str]:
    """(system, value) of a key made by claim_key; the system may be empty."""
    system, _, value = key.partition("|")
    return system, value


def submission_from(rb: RequestBundle) -> Submission:
    claim_system, claim_identifier = claim_identifier_of(rb)
    patient = _patient(rb)
    _require_hemgenix(rb)
    collected = Collected()
    _claim_facts(rb, collected)
    _prescriber(rb, collected)
    _birth_sex(rb, patient, collected)
    read_observations(rb, patient, collected)
    for qr in rb.all(QuestionnaireResponse):
        check_subject(rb, qr.subject, patient, rb.where(qr, "subject"))
        read_response(qr, rb.where(qr), collected)
    first_name, last_name = _names(rb, patient)
    collected.sources["date_of_birth"] = rb.where(patient, "birthDate")
    details = collected.details
    return Submission(
        claim_identifier=claim_identifier,
        claim_system=claim_system,
        member_id=member_id_of(rb, patient),
        first_name=first_name,
        last_name=last_name,
        date_of_birth=_birth_date(rb, patient),
        sex_assigned_at_birth=details.get("sex_assigned_at_birth", "unknown"),
        organization_npi=requester_npi(rb),
        urgency=Urgency.EXPEDITED if _is_stat(rb) else Urgency.STANDARD,
        expedite_reason=details.get("expedite_reason", ""),
        facts=collected.facts,
        details=_case_details(details),
        collected=collected,
    )


def claim_identifier_of(rb: RequestBundle) -> tuple[str, str]:
    """The Claim's first identifier as (system, value); the system may be empty."""
    identifiers = rb.claim.identifier or []
    value = identifiers[0].value if identifiers else None
    if not value or not value.strip():
        raise invalid("The Claim needs an identifier (PAS: 1..2).", f"{CLAIM}.identifier")
    if len(value) > MAX_CLAIM_IDENTIFIER:
        raise invalid(
            f"Claim.identifier is longer than {MAX_CLAIM_IDENTIFIER} characters.",
            f"{CLAIM}.identifier[0].value",
        )
    system = (identifiers[0].system or "").strip()
    if "|" in system:  # the key is system|value: a bar in the system would make it ambiguous
        raise invalid(
            "Claim.identifier.system is a URI and may not contain '|' (write it as %7C).",
            f"{CLAIM}.identifier[0].system",
        )
    if len(system) > MAX_CLAIM_SYSTEM:
        raise invalid(
            f"Claim.identifier.system is longer than {MAX_CLAIM_SYSTEM} characters.",
            f"{CLAIM}.identifier[0].system",
        )
    return system, value.strip()


def prior_claim_identifiers(rb: RequestBundle) -> list[tuple[str, str]]:
    """The identifiers of the earlier Claims a PAS Claim update names in Claim.related: read
    from the prior Claim included in the bundle (as PAS requires), or from the reference's own
    identifier when an EHR sends only that."""
    found: list[tuple[str, str]] = []
    for related in rb.claim.related or []:
        prior = rb.resolve_as(related.claim, Claim)
        if prior is not None:
            identifiers = prior.identifier or []
        elif related.claim is not None and related.claim.identifier is not None:
            identifiers = [related.claim.identifier]
        else:
            continue
        found += [
            ((i.system or "").strip(), i.value.strip())
            for i in identifiers
            if i.value and i.value.strip()
        ]
    return found


def _patient(rb: RequestBundle) -> Patient:
    patient = rb.resolve_as(rb.claim.patient, Patient)
    if patient is None:
        raise invalid(
            "Claim.patient must reference the Patient entry of this Bundle.", f"{CLAIM}.patient"
        )
    return patient


def _names(rb: RequestBundle, patient: Patient) -> tuple[str, str]:
    name: HumanName | None = next((n for n in patient.name or [] if n.family), None)
    given = " ".join(g for g in name.given or [] if g) if name else ""
    if name is None or not given.strip():
        raise invalid("The Patient needs a family and a given name.", rb.where(patient, "name"))
    given, family = given.strip(), (name.family or "").strip()
    if len(given) > MAX_NAME or len(family) > MAX_NAME:
        # Refused, as the REST API refuses it: a name cut short could match another patient's.
        raise invalid(
            f"The Patient's given and family names are at most {MAX_NAME} characters each.",
            rb.where(patient, "name"),
        )
    return given, family


def _birth_date(rb: RequestBundle, patient: Patient) -> date:
    where = rb.where(patient, "birthDate")
    born = full_date(patient.birthDate, where)
    if born is None:
        raise invalid("The Patient needs a birthDate (YYYY-MM-DD).", where)
    return born


def _birth_sex(rb: RequestBundle, patient: Patient, into: Collected) -> None:
    """US Core birth sex, never Patient.gender: the policy asks for sex assigned at birth."""
    for index, extension in enumerate(patient.extension or []):
        if extension.url == US_CORE_BIRTHSEX and extension.valueCode:
            where = rb.where(patient, f"extension[{index}]")
            into.put("sex_assigned_at_birth", BIRTHSEX.get(extension.valueCode, "unknown"), where)


def member_id_of(rb: RequestBundle, patient: Patient) -> str:
    """The patient's own member ID.

    The Patient's member-number identifier (type MB) is the patient's own. Coverage.subscriberId
    is the subscriber's: the patient's only when the patient is the subscriber (relationship
    "self", or none given). Filing a dependent under the subscriber's ID would make two brothers
    with hemophilia B one member, and the one-infusion limit would refuse the second. With neither,
    the Patient's only identifier."""
    coverages = [c for i in rb.claim.insurance or [] if (c := rb.resolve_as(i.coverage, Coverage))]
    coverage = next((c for c in coverages if c.subscriberId), None)
    subscriber_id = coverage.subscriberId if coverage else None
    dependent = coverage is not None and _is_dependent(coverage)
    identifiers = patient.identifier or []
    own = next((i.value for i in identifiers if _is_member_number(i) and i.value), None)
    where = rb.where(patient, "identifier")
    if own is None and dependent:
        raise invalid(
            f"The patient is not the subscriber (Coverage.relationship), so {subscriber_id} "
            "(Coverage.subscriberId) is not the patient's member ID: give the patient's own as a "
            "Patient identifier of type MB.",
            where,
        )
    member_id = own or subscriber_id
    if member_id is None and len(identifiers) == 1:
        member_id = identifiers[0].value
    key = _checked_key(member_id, where)
    if own and subscriber_id and not dependent and _checked_key(subscriber_id, where) != key:
        raise invalid(
            f"Coverage.subscriberId {subscriber_id} and the Patient's member ID {own} differ, "
            "and the patient is the subscriber: which member is this request for?",
            where,
        )
    assert member_id is not None  # _checked_key refused an empty one
    return member_id


def _checked_key(member_id: str | None, where: str) -> str:
    if not member_id or len(member_id) > MAX_MEMBER_ID:
        raise invalid(
            "Give the member ID (at most 30 letters and digits) as Coverage.subscriberId or a "
            "Patient identifier of type MB.",
            where,
        )
    try:
        return member_key(member_id)
    except MemberIdInvalid as exc:
        raise invalid(str(exc), where) from None


def _is_dependent(coverage: Coverage) -> bool:
    """Coverage.relationship names someone other than the subscriber (HL7's "self", X12's 18)."""
    coding = coverage.relationship.coding or [] if coverage.relationship else []
    codes = {c.code for c in coding if c.code}
    return bool(codes) and not codes & {"self", "18"}


def _is_member_number(identifier: Identifier) -> bool:
    codings = identifier.type.coding or [] if identifier.type else []
    return any((c.system, c.code) == MEMBER_ID_TYPE for c in codings)


def npi_of(identifiers: list[Identifier] | None) -> str | None:
    return next((i.value for i in identifiers or [] if i.system == NPI_SYSTEM and i.value), None)


def requester_npi(rb: RequestBundle) -> str:
    """The requesting clinic's NPI: Claim.provider's Organization (directly or through a
    PractitionerRole), else the one Organization with an NPI that is not the insurer."""
    provider = rb.resolve(rb.claim.provider)
    if isinstance(provider, PractitionerRole):
        provider = rb.resolve(provider.organization)
    insurer = rb.resolve(rb.claim.insurer)
    candidates = [provider] if isinstance(provider, Organization) else [
        org for org in rb.all(Organization) if org is not insurer and npi_of(org.identifier)
    ]  # fmt: skip
    npi = npi_of(candidates[0].identifier) if len(candidates) == 1 else None
    if npi is None:
        raise invalid(
            f"Name the requesting clinic: an Organization with an identifier of system "
            f"{NPI_SYSTEM}, referenced by Claim.provider.",
            f"{CLAIM}.provider",
        )
    return npi


def _require_hemgenix(rb: RequestBundle) -> None:
    concepts: list[CodeableConcept | None] = [i.productOrService for i in rb.claim.item or []]
    concepts += [m.medicationCodeableConcept for m in rb.all(MedicationRequest)]
    if not any(_has_code(c, HEMGENIX_HCPCS) for c in concepts):
        raise invalid(
            "This endpoint takes Hemgenix requests only: a Claim item or MedicationRequest "
            "coded HCPCS J1411.",
            f"{CLAIM}.item",
        )


def _has_code(concept: CodeableConcept | None, code: str) -> bool:
    return concept is not None and any(c.code == code for c in concept.coding or [])


def _claim_facts(rb: RequestBundle, into: Collected) -> None:
    diagnoses = sorted(rb.claim.diagnosis or [], key=lambda d: d.sequence or 0)
    for index, diagnosis in enumerate(diagnoses):
        codings = (
            diagnosis.diagnosisCodeableConcept.coding or []
            if (diagnosis.diagnosisCodeableConcept)
            else []
        )
        coding = next((c for c in codings if c.system == ICD10CM_SYSTEM), None)
        if coding is not None and coding.code:
            into.put("diagnosis_code", coding.code, f"{CLAIM}.diagnosis[{index}]")
            break
    for index, item in enumerate(rb.claim.item or []):
        where = f"{CLAIM}.item[{index}].serviced"
        start = item.servicedPeriod.start if item.servicedPeriod else None
        day = full_date(item.servicedDate or start, where)
        if day is not None and _has_code(item.productOrService, HEMGENIX_HCPCS):
            into.put("planned_infusion_date", day.isoformat(), where)


def _is_stat(rb: RequestBundle) -> bool:
    return _has_code(rb.claim.priority, "stat")


def _prescriber(rb: RequestBundle, into: Collected) -> None:
    practitioner, role = _prescribing(rb)
    if practitioner is None:
        return
    where = rb.where(practitioner)
    npi = npi_of(practitioner.identifier)
    if npi is not None and not npi_is_valid(npi):
        raise invalid(f"{npi} is not a valid NPI.", f"{where}.identifier")
    into.put("prescriber_npi", npi, where)
    name = _display_name(practitioner.name)
    if name is not None and len(name) > MAX_PRESCRIBER_NAME:
        raise invalid(
            f"The prescriber's name is at most {MAX_PRESCRIBER_NAME} characters.", f"{where}.name"
        )
    into.put("prescriber_name", name, where)
    concepts: list[CodeableConcept | None] = [q.code for q in practitioner.qualification or []]
    concepts += (role.specialty or []) if role else []
    concepts += [t.qualification for t in rb.claim.careTeam or [] if rb.resolve(t.provider) in
                 (practitioner, role)]  # fmt: skip
    for concept in concepts:
        specialty = _specialty(concept)
        if specialty:
            into.put("prescriber_specialty", specialty, where)
            break


def _prescribing(rb: RequestBundle) -> tuple[Practitioner | None, PractitionerRole | None]:
    """The MedicationRequest's requester, else the Claim's care team or provider, else the one
    Practitioner in the bundle."""
    references = [m.requester for m in rb.all(MedicationRequest)]
    references += [t.provider for t in rb.claim.careTeam or []] + [rb.claim.provider]
    for reference in references:
        found = rb.resolve(reference)
        if isinstance(found, PractitionerRole):
            return rb.resolve_as(found.practitioner, Practitioner), found
        if isinstance(found, Practitioner):
            return found, None
    practitioners = list(rb.all(Practitioner))
    return (practitioners[0] if len(practitioners) == 1 else None), None


def _display_name(names: list[HumanName] | None) -> str | None:
    for name in names or []:
        parts = [*(name.prefix or []), *(name.given or []), name.family]
        text = name.text or " ".join(part for part in parts if part)
        if text.strip():
            return text.strip()
    return None


def _specialty(concept: CodeableConcept | None) -> str | None:
    for coding in concept.coding or [] if concept else []:
        if coding.system == NUCC_SYSTEM and coding.code:
            known = NUCC_SPECIALTIES.get(coding.code)
            return known or (coding.display or coding.code).lower().replace(" ", "_")[:100]
    return None


def _case_details(details: dict[str, Any]) -> dict[str, Any]:
    """The Case fields beside the facts, typed for the intake, which checks them as it checks
    every door's (a weight or date out of range is refused there, pointed at its element)."""
    result: dict[str, Any] = {
        k: details[k] for k in ("prescriber_name", "prescriber_npi") if k in details
    }
    if (weight := details.get("body_weight_kg")) is not None:
        result["body_weight_kg"] = Decimal(weight)
    if planned := details.get("planned_infusion_date"):
        result["planned_infusion_date"] = date.fromisoformat(planned)
    return result
