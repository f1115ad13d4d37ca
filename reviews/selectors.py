"""Every read of cases, scoped to what the user's role and organization allow.

A case of another clinic is simply not found (404), so its existence is not revealed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Case as SqlCase
from django.db.models import DateTimeField, Exists, F, Model, OrderBy, OuterRef, Q, QuerySet, When
from django.db.models.fields.reverse_related import OneToOneRel
from django.db.models.functions import Now
from django.http import Http404
from django.utils import timezone

from accounts.models import (
    OVERSIGHT_ROLES,
    PAYER_STAFF_ROLES,
    REVIEWER_ROLES,
    Organization,
    Role,
    User,
)
from pa_portal.prepared import Prepared

from .dosing import approval_gaps, dose_for
from .members import search_key
from .models import (
    OPEN_STATUSES,
    Authorization,
    Case,
    CaseEvent,
    ChecklistOverride,
    Decision,
    Document,
    IdentityRuling,
    InternalNote,
    Patient,
    RequestForInformation,
    Sex,
    Status,
)
from .workflow import (
    CLINIC_WITH_REASON,
    CLINIC_WITHOUT_REASON,
    Action,
    awaits_answer,
    claimable_statuses,
)


@dataclass(frozen=True)
class Viewer:
    """Who reads, as the scoping rules see a user: a role and a clinic (a prepared read builds
    its query from these, pa_portal/prepared.py)."""

    role: str
    organization_id: int | None


def cases_visible_to(user: User | Viewer) -> QuerySet[Case]:
    qs = Case.objects.select_related("patient", "organization", "assigned_to")
    if sees_clinic(user) and user.organization_id is not None:
        return qs.filter(organization_id=user.organization_id)
    if user.role in PAYER_STAFF_ROLES:
        # Reviewers never see drafts: a draft is still the clinic's own business.
        return qs.exclude(status=Status.DRAFT)
    return qs.none()


def sees_clinic(user: User | Viewer) -> bool:
    return user.role == Role.PRESCRIBER and user.organization_id is not None


def viewer_values(user: User) -> dict[str, Any]:
    """What a prepared read of cases_visible_to(user) binds from the user: the clinic, for clinic
    staff alone. Its shape must hold sees_clinic(user), which decides whether it is there."""
    return {"organization_id": user.organization_id} if sees_clinic(user) else {}


# A case page shows the decision (and who made it) and the authorization: joined to the case's
# own query instead of two more (issue 20); case_record and decision_of use what it fetched.
OUTCOME = ("decision__decided_by", "authorization")


def case_for(user: User, pk: int, *, with_outcome: bool = False) -> Case:
    return _one_case(user, pk, with_outcome=with_outcome, with_due=False)


def _one_case_query(
    shape: tuple[str, bool, bool, bool], *, pk: int, organization_id: int | None = None
) -> QuerySet[Case]:
    role, _, with_due, with_outcome = shape
    qs = cases_visible_to(Viewer(role, organization_id))
    if with_due:
        qs = with_effective_due(qs)
    if with_outcome:
        qs = qs.select_related(*OUTCOME)
    return qs.filter(pk=pk)


# Every case page and action reads its case here: compiled once per role and join, not per
# request (pa_portal/prepared.py).
_ONE_CASE = Prepared(_one_case_query, pk=int, organization_id=int)


def _one_case(user: User, pk: int, *, with_outcome: bool, with_due: bool) -> Case:
    """Case pk as the user's scope allows, joined to its OUTCOME if asked; outside it, 404."""
    shape = (user.role, sees_clinic(user), with_due, with_outcome)
    case = _ONE_CASE.one(shape, pk=pk, **viewer_values(user))
    if case is None:
        raise Http404("No such case.")
    return case


def patients_visible_to(user: User) -> QuerySet[Patient]:
    if user.role != Role.PRESCRIBER or user.organization_id is None:
        return Patient.objects.none()
    return Patient.objects.filter(organization_id=user.organization_id)


def patient_or_none(user: User, pk: int) -> Patient | None:
    return patients_visible_to(user).filter(pk=pk).first()


def clinic_patients(user: User, query: str = "") -> QuerySet[Patient]:
    """The clinic's patients, by name; a search matches the member ID however it is typed
    (the canonical key, in part) or the last name."""
    patients = patients_visible_to(user)
    if query:
        by_key = Q(member_key__contains=key) if (key := search_key(query)) else Q()
        patients = patients.filter(by_key | Q(last_name__icontains=query))
    return patients.order_by("last_name", "first_name")


def clinic_cases(user: User, statuses: tuple[str, ...] | None = None) -> QuerySet[Case]:
    """The clinic's request list, latest change first, in the given statuses (None: all)."""
    # The authorization (number, validity) is shown on the list: joined, not a query a row.
    cases = (
        cases_visible_to(user)
        .defer(*LIST_DEFERRED)
        .select_related("authorization")
        .order_by("-updated_at")
    )
    return cases if statuses is None else cases.filter(status__in=statuses)


def patient_for(user: User, pk: int) -> Patient:
    try:
        return patients_visible_to(user).get(pk=pk)
    except Patient.DoesNotExist:
        raise Http404("No such patient.") from None


# --- prescriber portal and API (issue 4) ------------------------------------------------------


def document_for(user: User, pk: int) -> Document:
    """A document of a case the user may see; anyone else's is simply not found. A document its
    clinic removed is gone for the clinic and the reviewers; auditors still reach it (the record
    of what a reviewer may have seen before the removal)."""
    visible = cases_visible_to(user).values("pk")
    documents = Document.with_removed if user.role in OVERSIGHT_ROLES else Document.objects
    try:
        return documents.select_related("case").get(pk=pk, case__in=visible)
    except Document.DoesNotExist:
        raise Http404("No such document.") from None


# --- reviewer workbench (issue 5) -------------------------------------------------------------

QUEUE_PAGE_SIZE = 25

# What a list of cases never shows: the clinic's facts and the engine's checklist, the two
# large JSON documents of a case (~10 kB), left out of list queries (issue 9, bench/README.md).
LIST_DEFERRED = ("facts", "checklist")
LIST_RELATED = ("patient", "organization", "assigned_to")
# What a queue row reads (page_rows; reviews/templatetags/reviews_queue.py): building a model of
# every column of four tables costs more than the rest of the row.
LIST_FIELDS = (
    "reference",
    "organization",
    "patient",
    "member_id",
    "member_key",
    "status",
    "urgency",
    "recommendation",
    "assigned_to",
    "due_at",
    "clock_paused_at",
    "escalated_at",  # which moves the row offers (an escalated case is the directors')
)
LIST_RELATED_FIELDS = (
    "patient__first_name",
    "patient__last_name",
    "organization__name",
    "assigned_to__username",
    "assigned_to__first_name",
    "assigned_to__last_name",
    "assigned_to__credentials",
)

# Sort keys the queue accepts; every order ends on the primary key so pages never overlap.
QUEUE_SORTS: dict[str, tuple[OrderBy | str, ...]] = {
    "due": (F("effective_due").asc(nulls_last=True), "pk"),
    "-due": (F("effective_due").desc(nulls_last=True), "-pk"),
    # "expedited" sorts before "standard", so ascending urgency puts expedited cases first.
    "urgency": ("urgency", F("effective_due").asc(nulls_last=True), "pk"),
    "-urgency": ("-urgency", F("effective_due").asc(nulls_last=True), "pk"),
    "clinic": ("organization__name", F("effective_due").asc(nulls_last=True), "pk"),
    "-clinic": ("-organization__name", F("effective_due").asc(nulls_last=True), "pk"),
    "status": ("status", F("effective_due").asc(nulls_last=True), "pk"),
    "-status": ("-status", F("effective_due").asc(nulls_last=True), "pk"),
    "submitted": ("submitted_at", "pk"),
    "-submitted": ("-submitted_at", "-pk"),
}


def with_effective_due(qs: QuerySet[Case]) -> QuerySet[Case]:
    """Annotate effective_due: the due time as the clock stands now. While a pended case's clock
    is paused, its due time moves forward with the wall clock (the pause is added back on the
    clinic's answer, see services.drafting._resume_clock)."""
    return qs.annotate(
        effective_due=SqlCase(
            When(
                clock_paused_at__isnull=False,
                then=F("due_at") + (Now() - F("clock_paused_at")),
            ),
            default=F("due_at"),
            output_field=DateTimeField(),
        )
    )


def due_state(case: Case, now: datetime | None = None) -> str:
    """The due flag of an open case: overdue, soon, paused or empty (also once closed)."""
    due = getattr(case, "effective_due", None) or case.due_at
    if due is None or not case.is_open:
        return ""
    now = now or timezone.now()
    if due < now:
        return "overdue"
    if case.clock_paused_at is not None:
        return "paused"
    return "soon" if due < now + _due_soon() else ""


def _due_soon() -> timedelta:
    return timedelta(hours=int(settings.REVIEW_DUE_SOON_HOURS))


def reviewer_queue(user: User, filters: Mapping[str, Any]) -> QuerySet[Case]:
    """The reviewer's queue: the unassigned cases the user may claim and the user's own (only
    medical directors get the unheld escalated ones, pended or not), filtered and sorted; the
    same few queries per page whatever its length (tests/perf).

    filters: scope ("unassigned" | "mine" | ""), status, urgency, clinic (Organization or id),
    due ("overdue" | "soon"), q (reference or member ID), sort (a QUEUE_SORTS key).
    """
    shape, values = _queue_read(user, filters)
    return _queue_query(shape, **values)


def queue_page(user: User, filters: Mapping[str, Any], number: Any) -> Page[Case]:
    """The page of reviewer_queue() asked for (Paginator.get_page: a bad number is the first
    page, one past the end the last), its rows as page_rows() gives them; the count and the rows
    are prepared reads (pa_portal/prepared.py)."""
    rows = cast(Any, _QueueRows(*_queue_read(user, filters)))  # Paginator takes its count()
    return Paginator(rows, QUEUE_PAGE_SIZE).get_page(number)


QueueShape = tuple[str, str, bool, bool, bool, str, str, str]


def _queue_read(user: User, filters: Mapping[str, Any]) -> tuple[QueueShape, dict[str, Any]]:
    """The queue's filters split into what decides its SQL (the shape) and its values."""
    values: dict[str, Any] = {}
    scope = filters.get("scope") or ""
    scope = scope if scope in ("unassigned", "mine") else ""
    if scope != "unassigned":
        values["user_id"] = user.pk
    for name in ("status", "urgency"):
        if filters.get(name):
            values[name] = filters[name]
    if clinic := filters.get("clinic"):
        values["clinic"] = clinic.pk if isinstance(clinic, Organization) else clinic
    searched = ""
    if q := (filters.get("q") or "").strip():
        values["q"], searched = q, "reference"
        if key := search_key(q):
            values["key"], searched = key, "reference or key"
    due = filters.get("due") or ""
    due = due if due in ("overdue", "soon") else ""
    if due:
        values["now"] = timezone.now()
    if due == "soon":
        values["soon"] = values["now"] + _due_soon()
    sort = filters.get("sort") or "due"
    sort = sort if sort in QUEUE_SORTS else "due"
    shape = (
        user.role, scope, "status" in values, "urgency" in values, "clinic" in values,
        searched, due, sort,
    )  # fmt: skip
    return shape, values


def _queue_query(
    shape: QueueShape,
    *,
    user_id: int | None = None,
    status: str = "",
    urgency: str = "",
    clinic: int | None = None,
    q: str = "",
    key: str = "",
    now: datetime | None = None,
    soon: datetime | None = None,
) -> QuerySet[Case]:
    role, scope_name, _, _, _, searched, due, sort = shape
    if role not in REVIEWER_ROLES:
        return Case.objects.none()
    # The unheld cases the user may claim, as the workflow says: an escalated case (pended or
    # not) only for a medical director.
    unassigned = Q(assigned_to__isnull=True) & (
        Q(escalated_at__isnull=True, status__in=claimable_statuses(role, escalated=False))
        | Q(escalated_at__isnull=False, status__in=claimable_statuses(role, escalated=True))
    )
    mine = Q(assigned_to_id=user_id)
    scope = {"unassigned": unassigned, "mine": mine}.get(scope_name)
    qs = with_effective_due(cases_visible_to(Viewer(role, None))).filter(
        scope or (unassigned | mine)
    )
    qs = qs.filter(status=status) if status else qs.filter(status__in=OPEN_STATUSES)
    if urgency:
        qs = qs.filter(urgency=urgency)
    if clinic:
        qs = qs.filter(organization_id=clinic)
    if searched:
        qs = qs.filter(Q(reference__iexact=q) | (Q(member_key=key) if key else Q(pk__in=[])))
    qs = _filter_due(qs, due, now, soon)
    # PostgreSQL sorts every matching case to find a page (the due time moves with the clock, so
    # no index holds that order): keep those rows narrow; page_rows() joins the patient, clinic
    # and reviewer to the page's cases only, instead of to every match.
    qs = qs.defer(*LIST_DEFERRED).select_related(None)
    return qs.order_by(*QUEUE_SORTS[sort])


def page_rows(page: QuerySet[Case]) -> list[Case]:
    """One page of reviewer_queue() (already sliced) with each case's patient, clinic and
    reviewer, in one query: the page's ids come from the narrow sorted query, as a subquery, and
    only those rows are joined and sorted again. (A prefetch took three more queries, each built
    in Python with a composite-key lookup for the patient.)"""
    return list(_page_rows_query(page))


def _page_rows_query(page: QuerySet[Case]) -> QuerySet[Case]:
    return (
        with_effective_due(Case.objects.filter(pk__in=page.values("pk")))
        .select_related(*LIST_RELATED)
        .only(*LIST_FIELDS, *LIST_RELATED_FIELDS)
        .order_by(*page.query.order_by)
    )


# The queue's count and a page's rows, compiled once per shape and page (pa_portal/prepared.py).
_QUEUE = Prepared(
    _queue_query, user_id=int, status=str, urgency=str, clinic=int, q=str, key=str,
    now=datetime, soon=datetime,
)  # fmt: skip
_QUEUE_PAGE = Prepared(
    lambda shape, **values: _page_rows_query(
        _queue_query(shape[0], **values)[shape[1] : shape[1] + QUEUE_PAGE_SIZE]
    ),
    **_QUEUE.slots,
)


class _QueueRows:
    """What Paginator reads of the queue: how many cases match, and one page's rows."""

    def __init__(self, shape: QueueShape, values: dict[str, Any]) -> None:
        self.shape, self.values = shape, values

    def count(self) -> int:
        return _QUEUE.count(self.shape, **self.values)

    def __getitem__(self, page: slice) -> list[Case]:
        # Paginator asks for at most a page, and less only at the end, where the query finds
        # no more rows: a page is read by where it starts.
        assert page.stop - page.start <= QUEUE_PAGE_SIZE
        return _QUEUE_PAGE.all((self.shape, page.start), **self.values)


def _filter_due(
    qs: QuerySet[Case], due: str, now: datetime | None, soon: datetime | None
) -> QuerySet[Case]:
    # The same rules as due_state(), in SQL; now and soon as _queue_read() took them.
    if due == "overdue":
        return qs.filter(Q(effective_due__lt=now), status__in=OPEN_STATUSES)
    if due == "soon":
        return qs.filter(
            Q(effective_due__gte=now, effective_due__lt=soon),
            status__in=OPEN_STATUSES,
            clock_paused_at__isnull=True,
        )
    return qs


def reviewer_case(user: User, pk: int, *, with_outcome: bool = False) -> Case:
    """One case for the reviewer's page, with its effective due time; others' cases are 404."""
    return _one_case(user, pk, with_outcome=with_outcome, with_due=True)


@dataclass(frozen=True)
class CaseRecord:
    """What hangs off one case, each read in one query: documents, history, RFIs, outcome."""

    documents: list[Document]
    events: list[CaseEvent]
    rfis: list[RequestForInformation]
    decision: Decision | None
    authorization: Authorization | None
    # The dose and vials the authorization was issued for, in words (None before issue 16's
    # approvals recorded the weight).
    authorized_dose: dict[str, str] | None = None
    # The request for information the clinic may still answer (None once the case moved on).
    open_rfi: RequestForInformation | None = None


def _case_rows_query(
    shape: tuple[type[Model], tuple[str, ...]], *, case_id: int
) -> QuerySet[Model]:
    model, related = shape
    return model._default_manager.filter(case_id=case_id).select_related(*related)


# What hangs off a case (its documents, events, requests for information, rulings, notes), each
# compiled once per kind and join, not per page (pa_portal/prepared.py).
_CASE_ROWS = Prepared(_case_rows_query, case_id=int)


def rows_of_case[R: Model](case: Case, model: type[R], *related: str) -> list[R]:
    """The case's rows of model in its default order, joined to related; as case.<rows> with
    select_related(*related) gives them, each row's case being this one."""
    found = cast(list[R], _CASE_ROWS.all((model, related), case_id=case.pk))
    field = cast(Any, model._meta.get_field("case"))
    for row in found:
        field.set_cached_value(row, case)
    return found


def case_record(case: Case) -> CaseRecord:
    """The record of a case already fetched through a scoped selector (case_for, reviewer_case)."""
    authorization = _fetched(case, "authorization")
    if authorization is _NOT_FETCHED:
        authorization = Authorization.objects.filter(case=case).first()
    rfis = rows_of_case(case, RequestForInformation, "requested_by", "answered_by")
    return CaseRecord(
        documents=rows_of_case(case, Document, "uploaded_by"),
        events=rows_of_case(case, CaseEvent, "actor"),
        rfis=rfis,
        decision=decision_of(case),
        authorization=authorization,
        authorized_dose=dose_for(authorization.body_weight_kg) if authorization else None,
        open_rfi=_open_rfi(case, rfis),
    )


def _open_rfi(case: Case, rfis: list[RequestForInformation]) -> RequestForInformation | None:
    """The unanswered request, while the case can still be answered: one left unanswered at a
    withdrawal or a decision is closed, and neither side may be told it is still needed."""
    if not awaits_answer(case.status):
        return None
    return next((rfi for rfi in rfis if rfi.answered_at is None), None)


@dataclass(frozen=True)
class HistoryLine:
    """One event as the clinic's history shows it."""

    created_at: datetime
    action: str
    from_status: str
    to_status: str
    actor: User | None
    reason: str


def clinic_history(events: list[CaseEvent]) -> list[HistoryLine]:
    """The events of a case the clinic is shown, with their reasons only where the workflow says
    the clinic reads them (workflow.CLINIC_WITH_REASON); the payer's own are left out."""
    shown = CLINIC_WITH_REASON | CLINIC_WITHOUT_REASON
    return [
        HistoryLine(
            created_at=event.created_at,
            action=event.action,
            from_status=event.from_status,
            to_status=event.to_status,
            actor=event.actor,
            reason=event.reason if event.action in CLINIC_WITH_REASON else "",
        )
        for event in events
        if event.action in shown
    ]


def internal_notes(user: User, case: Case) -> list[InternalNote]:
    """A case's internal notes, newest first, for payer staff only (issue 16): the clinic's
    pages never ask, and a clinic user asking gets none."""
    if user.role not in PAYER_STAFF_ROLES:
        return []
    return rows_of_case(case, InternalNote, "author")


@dataclass(frozen=True)
class ApprovalReadiness:
    """What the approve panel says before the reviewer clicks: the items the request still
    lacks for an authorization (reviews.dosing.approval_gaps, the decision service's own rule)
    and the dose and vial count for the weight on file."""

    gaps: list[str]
    dose: dict[str, str] | None


def approval_readiness(case: Case) -> ApprovalReadiness:
    return ApprovalReadiness(
        gaps=approval_gaps(case, today=timezone.localdate()), dose=dose_for(case.body_weight_kg)
    )


def decision_of(case: Case) -> Decision | None:
    decision = _fetched(case, "decision")
    if decision is _NOT_FETCHED:
        return Decision.objects.filter(case=case).select_related("decided_by").first()
    return decision


_NOT_FETCHED: Any = object()


def _fetched(case: Case, name: str) -> Any:
    """The case's reverse one-to-one `name` as its query fetched it (OUTCOME): the row, None
    when there is none, or _NOT_FETCHED when the query did not join it."""
    relation = Case._meta.get_field(name)
    assert isinstance(relation, OneToOneRel)
    if not relation.is_cached(case):
        return _NOT_FETCHED
    return relation.get_cached_value(case)


@dataclass(frozen=True)
class SamePerson:
    """Another member key whose patient has this case's patient's last name (normalized), date
    of birth and sex at birth, at any clinic: possibly the same person under another member ID."""

    member_key: str
    patients: list[Patient]
    cases: list[Case]
    approvals: list[Authorization]
    ruling: IdentityRuling | None  # the latest reviewer's ruling on this case, if any


def possible_same_persons(case: Case) -> list[SamePerson]:
    """For payer staff only (it crosses clinics); one query when there is no such patient."""
    patient = case.patient
    sex = patient.sex_assigned_at_birth
    by_sex = {} if sex == Sex.UNKNOWN else {"sex": sex}
    others = _OTHERS.all(
        sex == Sex.UNKNOWN,
        name_key=patient.name_key,
        date_of_birth=patient.date_of_birth,
        member_key=case.member_key,
        **by_sex,
    )
    if not others:
        return []
    keys = sorted({p.member_key for p in others})
    # Each read once for all the keys, then shared out.
    cases = list(
        Case.objects.filter(member_key__in=keys)
        .exclude(status=Status.DRAFT)
        .defer(*LIST_DEFERRED)
        .select_related("organization")
    )
    approvals = list(
        Authorization.objects.filter(
            member_key__in=keys, state=Authorization.State.ACTIVE
        ).select_related("case")
    )
    rulings = latest_identity_rulings(case)
    return [
        SamePerson(
            member_key=key,
            patients=[p for p in others if p.member_key == key],
            cases=[c for c in cases if c.member_key == key],
            approvals=[a for a in approvals if a.member_key == key],
            ruling=rulings.get(key),
        )
        for key in keys
    ]


def _others_query(
    unknown_sex: bool, *, name_key: str, date_of_birth: date, member_key: str, sex: str = ""
) -> QuerySet[Patient]:
    return (
        Patient.objects.filter(
            _same_sex_at_birth(Sex.UNKNOWN if unknown_sex else sex),
            name_key=name_key,
            date_of_birth=date_of_birth,
        )
        .exclude(member_key=member_key)
        # A clinic's patient record counts once it has sent a request: a record never sent is
        # the clinic's alone, neither shown to the payer nor holding up another's approval.
        .filter(Exists(Case.objects.filter(patient=OuterRef("pk"), submitted_at__isnull=False)))
        .select_related("organization")
        .order_by("member_key", "pk")
    )


# Every payer's case page asks it: compiled once per shape (pa_portal/prepared.py).
_OTHERS = Prepared(_others_query, name_key=str, date_of_birth=date, member_key=str, sex=str)


def _same_sex_at_birth(sex: str) -> Q:
    """The same sex at birth, where either side says it; "unknown" (the FHIR door's answer when
    the EHR sends none) hides no one."""
    if sex == Sex.UNKNOWN:
        return Q()
    return Q(sex_assigned_at_birth__in=[sex, Sex.UNKNOWN])


def latest_identity_rulings(case: Case) -> dict[str, IdentityRuling]:
    """The latest ruling per other member key (rulings are ordered oldest first)."""
    if case.pk is None or case.status == Status.DRAFT:
        return {}  # rulings are made in review, after the submit
    rulings = rows_of_case(case, IdentityRuling, "ruled_by")
    return {r.other_member_key: r for r in rulings}


def line_rulings(case: Case) -> list[ChecklistOverride]:
    """Every ruling on a checklist line, oldest first, with who made it."""
    return rows_of_case(case, ChecklistOverride, "actor")


def effective_overrides(
    case: Case, rulings: list[ChecklistOverride] | None = None
) -> dict[str, ChecklistOverride]:
    """The latest ruling per line (rulings: line_rulings(case), when read already)."""
    return {o.criterion_id: o for o in (line_rulings(case) if rulings is None else rulings)}


def effective_statuses(
    case: Case, overrides: Mapping[str, ChecklistOverride] | None = None
) -> dict[str, str]:
    """Each line's status as the reviewer stands on it: the latest ruling, else the engine's."""
    rulings = effective_overrides(case) if overrides is None else overrides
    return {
        line["id"]: rulings[line["id"]].status if line["id"] in rulings else line["status"]
        for line in case.checklist.get("lines", [])
    }


def escalated_decisions_by_others() -> QuerySet[CaseEvent]:
    """The decision events on cases escalated before them whose decider was not a medical
    director at the time (the event's actor_role). None can be made now (workflow.move_for);
    before 2026-11-26 a pended escalated case lost its escalation when the clinic answered, and a
    pharmacist could decide it. For a medical director to re-check (manage.py
    escalated_decisions)."""
    return (
        CaseEvent.objects.filter(
            action__in=[Action.APPROVE, Action.DENY],
            case__escalated_at__isnull=False,
            case__escalated_at__lte=F("created_at"),
        )
        .exclude(actor_role=Role.MEDICAL_DIRECTOR)
        .select_related("case", "actor")
        .order_by("created_at", "pk")
    )
