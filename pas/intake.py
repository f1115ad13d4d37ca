"""$submit and $inquire against the case record, through reviews.services and reviews.selectors.

A submission is all or nothing: the patient (if new), the case and its submission happen in one
transaction, so a bundle the engine or the services refuse leaves no trace. The Claim's identifier
is the case's idempotency key, so a resubmitted bundle answers with the case it made before.

A PAS Claim update ($submit of a Claim whose Claim.related names the earlier Claim) is the
clinic's answer to a request for information: its facts go to services.case_answer_rfi, as the
portal's answer form does. Anything else a Claim update could change is refused with the reason.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from rest_framework import status

from accounts.models import User
from audit.log import record as audit_record
from audit.models import AuditLog
from reviews import selectors, services
from reviews.api import idempotency
from reviews.models import Case, Patient
from reviews.workflow import TransitionError

from .bundle import RequestBundle
from .collect import Collected
from .mapping import CLAIM, IDEMPOTENCY_PREFIX, Submission, prior_claim_identifiers
from .outcomes import FhirError, Issue


def submit(*, actor: User, submission: Submission, request: HttpRequest) -> tuple[Case, bool]:
    """The case for this submission and whether it already existed (a resubmission)."""
    _require_own_clinic(actor, submission.organization_npi)

    @transaction.atomic
    def create() -> Case:
        case = _create(actor, submission)
        _audit(request, "fhir.submit", case, submission, replayed=False)
        return case

    # The REST API's idempotency: the database's unique key decides a race between twins.
    case, created = idempotency.run_once(actor, submission.idempotency_key, create)
    if not created:
        _audit(request, "fhir.submit", case, submission, replayed=True)
    return case, not created


def update(*, actor: User, rb: RequestBundle, submission: Submission, request: HttpRequest) -> Case:
    """Answer the open request for information of the case the update's Claim.related names."""
    _require_own_clinic(actor, submission.organization_npi)
    case = _case_updated_by(actor, rb, submission)
    if _applied(case, submission.claim_identifier):  # the same update sent again
        _audit(request, "fhir.update", case, submission, replayed=True)
        return case
    try:
        with transaction.atomic():
            case = services.case_answer_rfi(
                actor=actor,
                case=case,
                facts=submission.facts,
                note=f"Sent as a FHIR PAS Claim update ({submission.claim_identifier}).",
            )
            _audit(request, "fhir.update", case, submission, replayed=False)
    except services.FactsInvalid as exc:
        raise facts_error(exc.errors, submission.collected) from None
    except (services.ServiceError, TransitionError):
        case.refresh_from_db()
        if not _applied(case, submission.claim_identifier):  # else its twin, sent at once, won
            raise _not_waiting(case) from None
    return case


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
    if case.member_id != submission.member_id:
        raise FhirError.one(
            status.HTTP_422_UNPROCESSABLE_ENTITY,
            "business-rule",
            f"{case.reference} is for member {case.member_id}, not {submission.member_id}.",
        )
    return case


def _not_waiting(case: Case) -> FhirError:
    return FhirError.one(
        status.HTTP_422_UNPROCESSABLE_ENTITY,
        "business-rule",
        f"{case.reference} is not waiting for information from your clinic (status: "
        f"{case.get_status_display()}). A Claim update here answers a request for "
        "information; for any other change, withdraw the request and submit a new one.",
    )


def _applied(case: Case, claim_identifier: str) -> bool:
    return AuditLog.objects.filter(
        case=case,
        action="fhir.update",
        detail__claim_identifier=claim_identifier,
        detail__replayed=False,
    ).exists()


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


def _create(actor: User, submission: Submission) -> Case:
    try:
        patient = _patient(actor, submission)
        case = services.case_create(
            actor=actor,
            patient=patient,
            urgency=submission.urgency,
            expedite_reason=submission.expedite_reason,
            facts=submission.facts,
            idempotency_key=submission.idempotency_key,
            **submission.details,
        )
        return services.case_submit(actor=actor, case=case)
    except services.FactsInvalid as exc:
        raise facts_error(exc.errors, submission.collected) from None
    except (services.ServiceError, TransitionError) as exc:
        raise FhirError.one(
            status.HTTP_422_UNPROCESSABLE_ENTITY, "business-rule", str(exc)
        ) from None


def _patient(actor: User, submission: Submission) -> Patient:
    """Match the member in this clinic's records, or add them."""
    known = selectors.patients_visible_to(actor).filter(member_id=submission.member_id).first()
    if known is None:
        return services.patient_create(
            actor=actor,
            member_id=submission.member_id,
            first_name=submission.first_name,
            last_name=submission.last_name,
            date_of_birth=submission.date_of_birth,
            sex_assigned_at_birth=submission.sex_assigned_at_birth,
        )
    if known.date_of_birth != submission.date_of_birth:
        raise FhirError.one(
            status.HTTP_422_UNPROCESSABLE_ENTITY,
            "business-rule",
            f"Member {submission.member_id} is on file with a different date of birth; check "
            "the member ID and birth date.",
        )
    return known


def facts_error(errors: list[tuple[str, str]], collected: Collected) -> FhirError:
    """The engine's field errors, each pointed at the FHIR element the value came from."""
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


def inquire(*, actor: User, rb: RequestBundle, request: HttpRequest) -> Case:
    """The case an inquiry names by preAuthRef (case reference or authorization number) or by
    the original Claim.identifier, among the cases this user may see (else 404)."""
    refs = _pre_auth_refs(rb)
    identifiers = [i.value for i in rb.claim.identifier or [] if i.value]
    case = _visible_case(actor, refs, identifiers)
    audit_record(
        action="fhir.inquire",
        request=request,
        case=case,
        detail={
            "pre_auth_ref": refs,
            "claim_identifier": identifiers,
            "found": case is not None,
            "status": case.status if case else None,
        },
    )
    if case is None:
        raise FhirError.one(
            status.HTTP_404_NOT_FOUND,
            "not-found",
            "No prior-authorization request of your clinic matches this inquiry's "
            "Claim.insurance.preAuthRef or Claim.identifier.",
        )
    return case


def _pre_auth_refs(rb: RequestBundle) -> list[str]:
    refs = (ref for insurance in rb.claim.insurance or [] for ref in insurance.preAuthRef or [])
    return [ref for ref in refs if ref]


def _visible_case(actor: User, refs: list[str], claim_identifiers: list[str]) -> Case | None:
    """The case named by preAuthRef (case reference or authorization number), else by its
    original Claim.identifier, among the cases this user may see."""
    visible = selectors.cases_visible_to(actor)
    if refs:
        return visible.filter(Q(reference__in=refs) | Q(authorization__number__in=refs)).first()
    if claim_identifiers:
        keys = [IDEMPOTENCY_PREFIX + i for i in claim_identifiers]
        return visible.filter(idempotency_key__in=keys).first()
    return None
