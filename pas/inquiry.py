"""$inquire as the IG defines it: a query by example. The inquiry's Claim is the example; every
element it fills narrows the answer, and the answer is a Parameters with one
PASInquiryResponseBundle per matching request (0..n).

What the example can say, and how a case matches it:
- the Patient (required): the member ID (the Patient's MB identifier, else Coverage.subscriberId
  when the patient is the subscriber: mapping.member_id_of) must be the case's member, so one patient can never be answered with another's request;
- the provider (Claim.provider's NPI): must be the caller's clinic (else 403), and only cases of
  the caller's clinic are searched anyway;
- the service (Claim.item.productOrService): a request here is always Hemgenix, HCPCS J1411, so
  an inquiry naming only other services matches nothing;
- the dates (Claim.item.serviced[x]): the case's planned infusion date falls in them, or its
  authorization's period overlaps them (a case with neither date is not excluded);
- the payer's numbers: Claim.insurance.preAuthRef and the PAS authorizationNumber and
  administrationReferenceNumber extensions (on the Claim or its items), each the case reference
  or the authorization number;
- Claim.identifier: the trace number of the original request ($submit's Claim.identifier). An
  identifier that names no request of the clinic is taken as the inquiry's own trace number and
  narrows nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from fhir.resources.R4B.claim import Claim
from fhir.resources.R4B.extension import Extension
from fhir.resources.R4B.patient import Patient
from rest_framework import status

from accounts.models import User
from reviews import selectors
from reviews.members import member_key
from reviews.models import Authorization, Case, IntakeKey

from . import codes
from .bundle import RequestBundle
from .mapping import CLAIM, claim_key, member_id_of, requester_npi
from .observations import full_date
from .outcomes import FhirError, invalid

NUMBER_EXTENSIONS = {codes.EXT_AUTHORIZATION_NUMBER, codes.EXT_ADMINISTRATION_REFERENCE}


@dataclass
class Example:
    member_key: str
    provider_npi: str | None
    services: set[str] = field(default_factory=set)
    periods: list[tuple[date | None, date | None]] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)
    identifiers: list[tuple[str, str]] = field(default_factory=list)

    def detail(self) -> dict[str, object]:
        """What the audit row keeps of the query (no names, no birth dates)."""
        return {
            "provider_npi": self.provider_npi,
            "services": sorted(self.services),
            "periods": [[str(a) if a else None, str(b) if b else None] for a, b in self.periods],
            "numbers": self.numbers,
            "claim_identifier": [claim_key(*pair) for pair in self.identifiers],
        }


def example_from(rb: RequestBundle) -> tuple[Example, Patient]:
    claim = rb.claim
    patient = rb.resolve_as(claim.patient, Patient)
    if patient is None:
        raise invalid(
            "An inquiry names its patient: Claim.patient must reference the Patient entry of "
            "this Bundle.",
            f"{CLAIM}.patient",
        )
    example = Example(
        member_key=member_key(member_id_of(rb, patient)),
        provider_npi=requester_npi(rb) if claim.provider else None,
        services={
            coding.code
            for item in claim.item or []
            if item.productOrService
            for coding in item.productOrService.coding or []
            if coding.code
        },
        periods=_periods(claim),
        numbers=_numbers(claim),
        identifiers=[((i.system or "").strip(), i.value.strip()) for i in claim.identifier or []
                     if i.value and i.value.strip()],
    )  # fmt: skip
    return example, patient


def _periods(claim: Claim) -> list[tuple[date | None, date | None]]:
    periods = []
    for index, item in enumerate(claim.item or []):
        where = f"{CLAIM}.item[{index}].serviced"
        if item.servicedDate is not None:
            day = full_date(item.servicedDate, where)
            periods.append((day, day))
        elif item.servicedPeriod is not None:
            periods.append(
                (
                    full_date(item.servicedPeriod.start, f"{where}Period.start"),
                    full_date(item.servicedPeriod.end, f"{where}Period.end"),
                )
            )
    return periods


def _numbers(claim: Claim) -> list[str]:
    refs = [ref for insurance in claim.insurance or [] for ref in insurance.preAuthRef or []]
    extensions: list[Extension] = list(claim.extension or [])
    for item in claim.item or []:
        extensions += item.extension or []
    refs += [e.valueString for e in extensions if e.url in NUMBER_EXTENSIONS and e.valueString]
    return list(dict.fromkeys(ref.strip() for ref in refs if ref and ref.strip()))


def matching_cases(actor: User, example: Example) -> list[Case]:
    """The caller's clinic's cases that match the example, newest first."""
    if example.services and codes.HEMGENIX_HCPCS not in example.services:
        return []  # no request here is for anything but Hemgenix
    clinic = actor.organization
    if example.provider_npi is not None and (clinic is None or clinic.npi != example.provider_npi):
        raise FhirError.one(
            status.HTTP_403_FORBIDDEN,
            "forbidden",
            f"The inquiry's provider (NPI {example.provider_npi}) is not your clinic; you may "
            "only inquire about your own clinic's requests.",
            f"{CLAIM}.provider",
        )
    cases = selectors.cases_visible_to(actor).filter(member_key=example.member_key)
    if example.numbers:
        by_authorization = Authorization.objects.filter(number__in=example.numbers)
        cases = cases.filter(reference__in=example.numbers) | cases.filter(
            pk__in=by_authorization.values("case_id")
        )
    known = IntakeKey.objects.filter(
        door=IntakeKey.Door.FHIR,
        organization=clinic,
        key__in=[claim_key(*pair) for pair in example.identifiers if pair[0]],
    )
    if known.exists():
        cases = cases.filter(pk__in=known.values("case_id"))
    found = list(cases.select_related("patient", "organization").order_by("-created_at"))
    return [case for case in found if _in_periods(case, example.periods)]


def _in_periods(case: Case, periods: list[tuple[date | None, date | None]]) -> bool:
    if not periods:
        return True
    auth = Authorization.objects.filter(case=case).first()
    if case.planned_infusion_date is None and auth is None:
        return True
    for start, end in periods:
        low, high = start or date.min, end or date.max
        planned = case.planned_infusion_date
        if planned is not None and low <= planned <= high:
            return True
        if auth is not None and auth.valid_from <= high and low <= auth.valid_to:
            return True
    return False
