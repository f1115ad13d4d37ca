"""$submit and $inquire against the case record, through reviews.services and reviews.selectors.

A submission is all or nothing: the patient (if new), the case and its submission happen in one
transaction, so a bundle the engine or the services refuse leaves no trace. The Claim's identifier
is the case's idempotency key, so a resubmitted bundle answers with the case it made before.

A PAS Claim update ($submit of a Claim whose Claim.related names the earlier Claim) is the
clinic's answer to a request for information: its facts go to services.case_answer_rfi, as the
portal's answer form does. Anything else a Claim update could change is refused with the reason.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest
from rest_framework import status

from accounts.models import User
from audit.log import record as audit_record
from reviews import selectors, services
from reviews.members import member_key
from reviews.models import Case, IntakeKey

from . import inquiry
from .bundle import RequestBundle
from .collect import Collected
from .mapping import CLAIM, Submission, claim_key, claim_of_key, prior_claim_identifiers
from .outcomes import FhirError, Issue


def submit(*, actor: User, submission: Submission, request: HttpRequest) -> tuple[Case, bool]:
    """The case for this submission and whether it already existed (a resubmission)."""
    _require_own_clinic(actor, submission.organization_npi)
    try:
        filed = services.intake_file(
            actor=actor,
            patient=services.PatientIn(
                member_id=submission.member_id,
                first_name=submission.first_name,
                last_name=submission.last_name,
                date_of_birth=submission.date_of_birth,
                sex_assigned_at_birth=submission.sex_assigned_at_birth,
            ),
            request=services.RequestIn(
                facts=submission.facts,
                urgency=submission.urgency,
                expedite_reason=submission.expedite_reason,
                details=submission.details,
            ),
            client_key=services.ClientKey(IntakeKey.Door.FHIR, submission.claim_key),
            http_request=request,
        )
    except services.ServiceError as exc:
        raise refusal(exc, submission.collected) from None
    return filed.case, not filed.created


def update(*, actor: User, rb: RequestBundle, submission: Submission, request: HttpRequest) -> Case:
    """Answer the open request for information of the case the update's Claim.related names.

    The update's own Claim.identifier is remembered with a fingerprint of what it changes (the
    case it answers, its facts and its request details): sent again it answers with the case,
    sent again with other content (another case, other facts, another weight) it is refused.
    """
    _require_own_clinic(actor, submission.organization_npi)
    case = _case_updated_by(actor, rb, submission)
    key = _update_key(submission)
    clinic = actor.organization_id
    assert clinic is not None  # _require_own_clinic let only clinic staff through
    fingerprint = _update_fingerprint(case, submission)
    if (known := services.known_key(clinic, key)) is not None:
        return _replayed_update(known, fingerprint, request, submission)
    try:
        with transaction.atomic():
            case = services.case_answer_rfi(
                actor=actor,
                case=case,
                facts=submission.facts,
                note=f"Sent as a FHIR PAS Claim update ({submission.claim_identifier}).",
                # The weight, planned infusion date and prescriber an approval needs.
                details=submission.details,
            )
            IntakeKey.objects.create(
                organization_id=clinic,
                door=key.door,
                key=key.key,
                fingerprint=fingerprint,
                case=case,
            )
            _audit(request, "fhir.update", case, submission, replayed=False)
    except (IntegrityError, services.ServiceError) as exc:
        # Its twin, sent at the same moment, committed first (and the case no longer waits).
        if (known := services.known_key(clinic, key)) is not None:
            return _replayed_update(known, fingerprint, request, submission)
        if isinstance(exc, services.TransitionError):
            raise _not_waiting(case) from None
        if isinstance(exc, services.ServiceError):
            raise refusal(exc, submission.collected) from None
        raise
    return case


def _not_waiting(case: Case) -> FhirError:
    case.refresh_from_db(fields=["status"])
    return FhirError.one(
        status.HTTP_422_UNPROCESSABLE_ENTITY,
        "business-rule",
        f"{case.reference} is not waiting for information from your clinic (status: "
        f"{case.get_status_display()}). A Claim update here answers a request for "
        "information; for any other change, withdraw the request and submit a new one.",
    )


def _update_fingerprint(case: Case, submission: Submission) -> str:
    """All an update changes: the case it answers, the facts and the request details."""
    return services.fingerprint_of(
        {"case": case.pk, "facts": submission.facts, "details": submission.details}
    )


def _update_key(submission: Submission) -> services.ClientKey:
    return services.ClientKey(IntakeKey.Door.FHIR_UPDATE, submission.claim_key)


def _replayed_update(
    known: IntakeKey, fingerprint: str, request: HttpRequest, submission: Submission
) -> Case:
    if known.fingerprint != fingerprint:
        raise refusal(services.ReplayMismatch(known), submission.collected)
    _audit(request, "fhir.update", known.case, submission, replayed=True)
    return known.case


def _case_updated_by(actor: User, rb: RequestBundle, submission: Submission) -> Case:
    case = _visible_case(actor, _pre_auth_refs(rb), prior_claim_identifiers(rb))
    if case is None:
        raise FhirError.one(
            status.HTTP_404_NOT_FOUND,
            "not-found",
            "No prior-authorization request of your clinic matches this update's Claim.related "
            "(the earlier Claim's identifier) or Claim.insurance.preAuthRef.",
            f"{CLAIM}.related",
        )
    if case.member_key != member_key(submission.member_id):
        raise FhirError.one(
            status.HTTP_422_UNPROCESSABLE_ENTITY,
            "business-rule",
            f"{case.reference} is for member {case.member_id}, not {submission.member_id}.",
        )
    return case


def _require_own_clinic(actor: User, npi: str) -> None:
    clinic = actor.organization
    if clinic is None or clinic.npi != npi:
        raise FhirError.one(
            status.HTTP_403_FORBIDDEN,
            "forbidden",
            f"The requesting Organization's NPI {npi} is not your clinic's NPI; you may only "
            "submit requests for your own clinic.",
            "Bundle.entry[0].resource.provider",
        )


def refusal(exc: services.ServiceError, collected: Collected) -> FhirError:
    """A service's refusal as one OperationOutcome; the message is fit to show."""
    if isinstance(exc, services.FactsInvalid):
        return facts_error(exc.errors, collected)
    if isinstance(exc, services.DetailsInvalid):
        return facts_error(list(exc.errors.items()), collected)
    if isinstance(exc, services.NotAllowed):
        return FhirError.one(status.HTTP_403_FORBIDDEN, "forbidden", str(exc))
    if isinstance(exc, services.ReplayMismatch):
        return FhirError.one(
            status.HTTP_422_UNPROCESSABLE_ENTITY, "duplicate", str(exc), f"{CLAIM}.identifier"
        )
    return FhirError.one(status.HTTP_422_UNPROCESSABLE_ENTITY, "business-rule", str(exc))


def facts_error(errors: list[tuple[str, str]], collected: Collected) -> FhirError:
    """The engine's (or the request details') field errors, each pointed at the FHIR element
    the value came from."""
    issues = [Issue("invalid", message, collected.source_of(path)) for path, message in errors]
    return FhirError(status.HTTP_422_UNPROCESSABLE_ENTITY, issues)


def _audit(
    request: HttpRequest, action: str, case: Case, submission: Submission, *, replayed: bool
) -> None:
    audit_record(
        action=action,
        request=request,
        case=case,
        detail={"claim_identifier": submission.claim_identifier, "replayed": replayed},
    )


def inquire(*, actor: User, rb: RequestBundle, request: HttpRequest) -> list[Case]:
    """The cases of the caller's clinic that match the inquiry (pas.inquiry: a query by
    example, the patient always part of it), audited as one fhir.inquire row."""
    example, _ = inquiry.example_from(rb)
    cases = inquiry.matching_cases(actor, example)
    audit_record(
        action="fhir.inquire",
        request=request,
        case=cases[0] if len(cases) == 1 else None,
        detail={
            **example.detail(),
            "found": len(cases),
            "references": [case.reference for case in cases],
            "status": [case.status for case in cases],
        },
    )
    return cases


def _pre_auth_refs(rb: RequestBundle) -> list[str]:
    refs = (ref for insurance in rb.claim.insurance or [] for ref in insurance.preAuthRef or [])
    return [ref for ref in refs if ref]


def _visible_case(
    actor: User, refs: list[str], claim_identifiers: list[tuple[str, str]]
) -> Case | None:
    """The case named by preAuthRef (case reference or authorization number), else by its
    original Claim.identifier (system and value; the value alone where no system is given),
    among the cases this user may see."""
    visible = selectors.cases_visible_to(actor)
    if refs:
        return visible.filter(Q(reference__in=refs) | Q(authorization__number__in=refs)).first()
    if not claim_identifiers:
        return None
    exact = {claim_key(system, value) for system, value in claim_identifiers if system}
    bare = {value for system, value in claim_identifiers if not system}
    named = Q(key__in=exact)
    for value in bare:
        named |= Q(key__endswith=f"|{value}")
    clinic = actor.organization_id
    assert clinic is not None  # update() let only clinic staff through
    keys = IntakeKey.objects.filter(
        named, door=IntakeKey.Door.FHIR, organization_id=clinic
    ).values_list("case_id", "key")
    # A value alone names the key whose whole value it is: "0003" is not "RHA|0003".
    case_ids = [case_id for case_id, key in keys if key in exact or claim_of_key(key)[1] in bare]
    return visible.filter(pk__in=case_ids).first()
