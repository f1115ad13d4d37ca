"""Every write to a case, by concern. Each write locks the row, asks reviews.workflow whether the
move is allowed, saves only the fields it changed, writes one CaseEvent (and its audit row) and
queues background work after the commit.

Views, the REST API and the FHIR door call these and never set a status themselves; they import
from this package, never from its modules, so a module can move without touching a door.

    errors      the refusals (one base, ServiceError)
    base        the event and audit row, row locks, role and workflow checks
    evaluation  the engine's input for a case and the checklist it gives
    patients    a clinic's record of a member
    intake      filing a request through any door: match or add the patient, file, submit
    drafting    the clinic's side: drafts, submit, answer a request for information, withdraw
    documents   attachments
    review      the reviewer's moves and rulings on checklist lines
    decisions   approve and deny
    notes       payer staff's internal notes on a case (never the clinic's)
    appeals     a clinic's appeal of a denial, and who may decide it
"""

from ..members import MemberIdInvalid
from ..workflow import TransitionError
from .appeals import appeal_deadline, case_appeal
from .base import record_event
from .corrections import authorization_void, patient_correct_member_id
from .decisions import case_approve, case_deny
from .documents import (
    ALLOWED_TYPES,
    EXTENSIONS,
    REMOVAL_REASON_MAX,
    document_attach,
    document_remove,
    sniff_content_type,
)
from .drafting import (
    DETAIL_FIELDS,
    case_answer_rfi,
    case_create,
    case_revise,
    case_submit,
    case_update_draft,
    case_withdraw,
)
from .errors import (
    ApprovalDetailsMissing,
    DetailsInvalid,
    FactsInvalid,
    LifetimeLimitReached,
    NotAllowed,
    ServiceError,
)
from .evaluation import (
    PORTAL_FACTS,
    active_approvals_for,
    evaluate_case,
    evaluate_facts,
    facts_document,
    preview_draft,
    refuse_portal_facts,
    validate_facts,
)
from .identity import IdentityUnsettled, identity_rule
from .intake import (
    ClientKey,
    Filed,
    ReplayMismatch,
    RequestIn,
    fingerprint_of,
    intake_file,
    known_key,
)
from .notes import note_add
from .patients import (
    PatientIn,
    PatientMismatch,
    date_of_birth_problem,
    patient_create,
    patient_resolve,
)
from .review import (
    case_assign,
    case_claim,
    case_escalate,
    case_pend,
    case_release,
    checklist_override,
    pend_items_kept,
    pend_items_problem,
)

__all__ = [
    "ALLOWED_TYPES",
    "DETAIL_FIELDS",
    "EXTENSIONS",
    "PORTAL_FACTS",
    "REMOVAL_REASON_MAX",
    "ApprovalDetailsMissing",
    "ClientKey",
    "DetailsInvalid",
    "FactsInvalid",
    "Filed",
    "IdentityUnsettled",
    "LifetimeLimitReached",
    "MemberIdInvalid",
    "NotAllowed",
    "PatientIn",
    "PatientMismatch",
    "ReplayMismatch",
    "RequestIn",
    "ServiceError",
    "TransitionError",
    "active_approvals_for",
    "appeal_deadline",
    "authorization_void",
    "case_answer_rfi",
    "case_appeal",
    "case_approve",
    "case_assign",
    "case_claim",
    "case_create",
    "case_deny",
    "case_escalate",
    "case_pend",
    "case_release",
    "case_revise",
    "case_submit",
    "case_update_draft",
    "case_withdraw",
    "checklist_override",
    "date_of_birth_problem",
    "document_attach",
    "document_remove",
    "evaluate_case",
    "evaluate_facts",
    "facts_document",
    "fingerprint_of",
    "identity_rule",
    "intake_file",
    "known_key",
    "note_add",
    "patient_correct_member_id",
    "patient_create",
    "patient_resolve",
    "pend_items_kept",
    "pend_items_problem",
    "preview_draft",
    "record_event",
    "refuse_portal_facts",
    "sniff_content_type",
    "validate_facts",
]
