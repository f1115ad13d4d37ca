"""The shape of a payer's data set, planned in memory before anything is written.

Cases run from January 2024 (the policy in force) to now: most decided, a few thousand open
with due times around now, 20% expedited. Members have one case or a few (a denial, then a
new request); a few members are patients at two clinics; one approval per member at most.
Each case carries the events its services would have written (about ten), which the audit
log mirrors.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .variants import Variant

STATUS_WEIGHTS = {
    "approved": 57.0,
    "denied": 29.0,
    "withdrawn": 4.0,
    "draft": 1.5,
    "submitted": 3.5,
    "in_review": 2.5,
    "pended": 1.6,
    "escalated": 0.9,
}
OPEN = ("submitted", "in_review", "pended", "escalated")
DECIDED = ("approved", "denied")
CLOCK_HOURS = {"standard": 72, "expedited": 24}
CASES_PER_MEMBER = {1: 0.78, 2: 0.18, 3: 0.04}
TWO_CLINIC_SHARE = 0.03  # of members with more than one case
DOCUMENT_KINDS = ("lab_report", "imaging_report", "clinical_note")
USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"
)


@dataclass(slots=True)
class People:
    """User ids by role (filled in once the users exist)."""

    clinic_staff: dict[int, list[int]]  # organization id -> its staff
    pharmacists: list[int]
    directors: list[int]
    usernames: dict[int, str]
    roles: dict[int, str]
    clinic_of: dict[int, int | None]


@dataclass(slots=True)
class Event:
    at: datetime
    actor: int | None
    action: str
    from_status: str = ""
    to_status: str = ""
    reason: str = ""
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Rfi:
    requested_by: int
    items: list[str]
    created_at: datetime
    answered_by: int | None = None
    answered_at: datetime | None = None


@dataclass(slots=True)
class Override:
    criterion_id: str
    engine_status: str
    status: str
    actor: int
    created_at: datetime


@dataclass(slots=True)
class DocumentPlan:
    kind: str
    supports: list[str]
    uploaded_by: int
    uploaded_at: datetime
    id: int = 0


@dataclass(slots=True)
class DecisionPlan:
    outcome: str
    decided_by: int
    failed_criteria: list[str]
    at: datetime
    id: int = 0


@dataclass(slots=True)
class CasePlan:
    member: int
    patient: int
    organization: int
    status: str
    urgency: str
    variant: Variant | None
    facts: str
    created_by: int
    created_at: datetime
    submitted_at: datetime | None = None
    due_at: datetime | None = None
    clock_paused_at: datetime | None = None
    decided_at: datetime | None = None
    withdrawn_at: datetime | None = None
    assigned_to: int | None = None
    ever_pended: bool = False
    id: int = 0
    reference: str = ""
    updated_at: datetime | None = None
    documents: list[DocumentPlan] = field(default_factory=list)
    decision: DecisionPlan | None = None
    events: list[Event] = field(default_factory=list)
    rfis: list[Rfi] = field(default_factory=list)
    overrides: list[Override] = field(default_factory=list)


@dataclass(slots=True)
class PatientPlan:
    id: int
    organization: int
    member_id: str
    first_name: str
    last_name: str
    date_of_birth: str
    sex: str
    created_by: int
    created_at: datetime


FIRST_NAMES = ("James", "Michael", "Robert", "David", "William", "Daniel", "Jose", "Anthony",
               "Kevin", "Brian", "Jamal", "Wei", "Arjun", "Mateo", "Noah", "Liam", "Ethan",
               "Samuel", "Omar", "Hiro", "Lucas", "Aaron", "Tyrone", "Diego", "Emily", "Maria")  # fmt: skip
LAST_NAMES = ("Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
              "Rodriguez", "Martinez", "Hernandez", "Lopez", "Wilson", "Anderson", "Thomas",
              "Taylor", "Moore", "Jackson", "Martin", "Lee", "Nguyen", "Patel", "Kim", "Chen",
              "Okafor", "Cohen", "Murphy", "Rossi", "Novak", "Silva")  # fmt: skip


class Planner:
    """Builds every case of the data set with a seeded random generator (reproducible)."""

    def __init__(
        self,
        cases: int,
        organizations: list[int],
        people: People,
        variants: dict[str, list[Variant]],
        now: datetime,
        start: datetime,
        seed: int = 2026,
    ) -> None:
        self.n = cases
        self.orgs = organizations
        self.people = people
        self.variants = variants
        self.now = now
        self.start = start
        self.rng = random.Random(seed)
        # A few large treatment centers and many small clinics.
        self.org_weights = [1 / (rank + 1) ** 0.6 for rank in range(len(organizations))]
        self.patients: list[PatientPlan] = []
        self.cases: list[CasePlan] = []

    # --- members and patients ----------------------------------------------------------------

    def plan(self) -> None:
        member = 0
        while len(self.cases) < self.n:
            member += 1
            count = min(self._cases_for_member(), self.n - len(self.cases))
            self._plan_member(member, count)
        self._number()

    def _cases_for_member(self) -> int:
        sizes, weights = zip(*CASES_PER_MEMBER.items(), strict=True)
        return int(self.rng.choices(sizes, weights)[0])

    def _plan_member(self, member: int, count: int) -> None:
        rng = self.rng
        home = rng.choices(self.orgs, self.org_weights)[0]
        clinics = [home]
        if count > 1 and rng.random() < TWO_CLINIC_SHARE:
            clinics.append(rng.choice([o for o in self.orgs if o != home]))
        member_id = f"FEP{100_000_000 + member * 7 + rng.randrange(7)}"
        name = (rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES))
        birth = f"{rng.randrange(1950, 2006)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
        sex = "male" if rng.random() < 0.985 else "female"
        patients = [self._patient(org, member_id, name, birth, sex) for org in clinics]
        plans = [self._case(member, patients[i % len(patients)]) for i in range(count)]
        plans.sort(key=lambda c: c.created_at)
        # One lifetime approval: an earlier approval of the same member becomes a denial.
        approved = [c for c in plans if c.status == "approved"]
        for case in approved[:-1]:
            self._decide(case, "denied")
        for patient in patients:
            first = min(c.created_at for c in plans if c.patient == patient.id) if plans else None
            patient.created_at = (first or self.now) - timedelta(minutes=rng.randrange(5, 600))
        self.cases.extend(plans)

    def _patient(
        self, org: int, member_id: str, name: tuple[str, str], birth: str, sex: str
    ) -> PatientPlan:
        patient = PatientPlan(
            id=len(self.patients) + 1,
            organization=org,
            member_id=member_id,
            first_name=name[0],
            last_name=name[1],
            date_of_birth=birth,
            sex=sex,
            created_by=self.rng.choice(self.people.clinic_staff[org]),
            created_at=self.now,
        )
        self.patients.append(patient)
        return patient

    # --- one case ------------------------------------------------------------------------------

    def _case(self, member: int, patient: PatientPlan) -> CasePlan:
        rng = self.rng
        statuses, weights = zip(*STATUS_WEIGHTS.items(), strict=True)
        status = rng.choices(statuses, weights)[0]
        urgency = "expedited" if rng.random() < 0.2 else "standard"
        case = CasePlan(
            member=member,
            patient=patient.id,
            organization=patient.organization,
            status=status,
            urgency=urgency,
            variant=None,
            facts="{}",
            created_by=rng.choice(self.people.clinic_staff[patient.organization]),
            created_at=self.now,
        )
        if status == "draft":
            case.created_at = self.now - timedelta(hours=rng.uniform(1, 24 * 45))
        elif status in OPEN:
            self._open_times(case)
        else:
            self._closed_times(case)
        if status in DECIDED:
            self._decide(case, status)
        else:
            self._choose_variant(case)
        return case

    def _open_times(self, case: CasePlan) -> None:
        """Due times around now: some overdue, some due soon, most later."""
        rng = self.rng
        clock = CLOCK_HOURS[case.urgency]
        back = rng.uniform(0, clock + 12) if case.status != "pended" else rng.uniform(6, 24 * 8)
        submitted = self.now - timedelta(hours=back)
        case.submitted_at = submitted
        case.created_at = submitted - timedelta(hours=rng.uniform(0.2, 72))
        case.due_at = submitted + timedelta(hours=clock)
        # A pended case's clock stops at its pend (HistoryWriter._pend sets clock_paused_at).
        case.ever_pended = case.status == "pended"

    def _closed_times(self, case: CasePlan) -> None:
        rng = self.rng
        span = (self.now - timedelta(days=5) - self.start).total_seconds()
        case.created_at = self.start + timedelta(seconds=rng.uniform(0, span))
        if case.status == "withdrawn" and rng.random() < 0.3:
            case.withdrawn_at = case.created_at + timedelta(hours=rng.uniform(1, 24 * 10))
            return  # withdrawn as a draft
        case.submitted_at = case.created_at + timedelta(hours=rng.uniform(0.2, 72))
        case.due_at = case.submitted_at + timedelta(hours=CLOCK_HOURS[case.urgency])
        if case.status == "withdrawn":
            case.withdrawn_at = case.submitted_at + timedelta(hours=rng.uniform(1, 24 * 5))
            return
        median = 30.0 if case.urgency == "standard" else 10.0
        hours = min(rng.lognormvariate(0, 0.7) * median, 24 * 20)
        case.decided_at = case.submitted_at + timedelta(hours=max(hours, 0.3))
        case.ever_pended = rng.random() < 0.3

    def _decide(self, case: CasePlan, outcome: str) -> None:
        rng = self.rng
        case.status = outcome
        if outcome == "approved":
            case.variant = rng.choice(self.variants["approve"])
            failed: list[str] = []
        else:
            group = "deny" if rng.random() < 0.8 else "pend"  # some denials for missing information
            case.variant = rng.choice(self.variants[group])
            failed = case.variant.failing or case.variant.missing
        case.facts = case.variant.facts
        director = rng.random() < 0.12
        decider = rng.choice(self.people.directors if director else self.people.pharmacists)
        case.assigned_to = decider
        assert case.decided_at is not None
        case.decision = DecisionPlan(outcome, decider, failed, case.decided_at)

    def _choose_variant(self, case: CasePlan) -> None:
        rng = self.rng
        if case.status == "pended":
            group = "pend"
        else:
            group = rng.choices(["approve", "pend", "deny"], [60, 25, 15])[0]
        variant = rng.choice(self.variants[group])
        case.facts = variant.facts
        # A draft has no checklist yet; everything submitted has the engine's.
        case.variant = variant if case.submitted_at is not None else None
        held = case.status == "in_review" or (case.status == "pended" and rng.random() < 0.9)
        if held:
            case.assigned_to = rng.choice(self.people.pharmacists)
        elif case.status == "escalated" and rng.random() < 0.3:
            case.assigned_to = rng.choice(self.people.directors)

    # --- numbering: ids follow time, as they would in a live system -----------------------------

    def _number(self) -> None:
        self.cases.sort(key=lambda c: c.created_at)
        for number, case in enumerate(self.cases, start=1):
            case.id = number
            case.reference = f"PA-{case.created_at.year}-{number:06d}"
            self._documents(case)
        documents = sorted(
            (d for c in self.cases for d in c.documents), key=lambda d: d.uploaded_at
        )
        for number, document in enumerate(documents, start=1):
            document.id = number
        decisions = sorted(
            (c.decision for c in self.cases if c.decision is not None), key=lambda d: d.at
        )
        for number, decision in enumerate(decisions, start=1):
            decision.id = number
        for case in self.cases:
            HistoryWriter(self, case).write()

    def _documents(self, case: CasePlan) -> None:
        rng = self.rng
        lines = [line for line, _ in case.variant.lines] if case.variant else ["liver_assessment"]
        until = case.submitted_at or self.now
        for _ in range(rng.choices([0, 1, 2, 3, 4], [15, 25, 30, 20, 10])[0]):
            at = case.created_at + (until - case.created_at) * rng.random()
            supports = sorted(set(rng.sample(lines, k=min(2, len(lines)))))
            kind = rng.choice(DOCUMENT_KINDS)
            case.documents.append(DocumentPlan(kind, supports, case.created_by, at))


class HistoryWriter:
    """The events (and the RFIs and overrides behind them) of one case, in time order."""

    def __init__(self, planner: Planner, case: CasePlan) -> None:
        self.p = planner
        self.rng = planner.rng
        self.case = case
        self.clinic = planner.people.clinic_staff[case.organization]

    def write(self) -> None:
        case, rng = self.case, self.rng
        end = case.decided_at or case.withdrawn_at or self.p.now
        drafting_end = case.submitted_at or end
        self._add(case.created_at, case.created_by, "created", "", "draft")
        for document in case.documents:
            self._add(
                document.uploaded_at,
                document.uploaded_by,
                "document_added",
                detail={
                    "document_id": document.id,
                    "kind": document.kind,
                    "name": f"{document.kind.replace('_', '-')}.pdf",
                },
            )
        for _ in range(rng.choices([0, 1, 2, 3, 4, 5], [10, 20, 25, 20, 15, 10])[0]):
            self._add(
                self._between(case.created_at, drafting_end),
                case.created_by,
                "draft_saved",
                "draft",
                "draft",
            )
        if case.submitted_at is None:
            self._withdraw("draft", end)
        else:
            self._review(end)
        case.events.sort(key=lambda e: e.at)
        case.updated_at = max(e.at for e in case.events)

    def _review(self, end: datetime) -> None:
        case, rng = self.case, self.rng
        assert case.submitted_at is not None and case.variant is not None
        submitted = {
            "policy_id": case.variant.policy_id,
            "recommendation": case.variant.recommendation,
        }
        self._add(case.submitted_at, rng.choice(self.clinic), "submit", "draft", "submitted",
                  detail=submitted)  # fmt: skip
        if case.status == "withdrawn":
            self._withdraw("submitted", end)
        if case.status in ("submitted", "withdrawn"):
            return
        # Whoever holds the case claimed it, except an escalated one (a pharmacist escalated it).
        held = case.assigned_to if case.status != "escalated" else None
        reviewer = held or rng.choice(self.p.people.pharmacists)
        cursor = self._between(case.submitted_at, case.submitted_at + (end - case.submitted_at) / 4)
        self._claim(cursor, reviewer, "submitted", "in_review")
        cursor = self._pends(reviewer, cursor, end)
        if case.status == "pended":
            if case.assigned_to is None:  # released while the clinic answers
                self._add(self._between(cursor, end), reviewer, "release", "pended", "pended",
                          detail={"assigned_to": None, "previous": reviewer})  # fmt: skip
            return
        if case.status == "escalated" or rng.random() < 0.08:
            self._escalate(reviewer, cursor, end)
        elif case.status != "in_review":
            self._close(end)

    def _claim(self, at: datetime, reviewer: int, from_status: str, to_status: str) -> None:
        detail = {"assigned_to": self.p.people.usernames[reviewer], "previous": None}
        self._add(at, reviewer, "claim", from_status, to_status, detail=detail)

    def _pends(self, reviewer: int, cursor: datetime, end: datetime) -> datetime:
        """One pend or two (each answered, but the last of a case still pended)."""
        case = self.case
        if not case.ever_pended:
            return cursor
        pends = 1 if case.status == "pended" or self.rng.random() < 0.8 else 2
        for number in range(pends):
            waiting = number == pends - 1 and case.status == "pended"
            cursor = self._pend(reviewer, cursor, end, answered=not waiting)
        return cursor

    def _escalate(self, reviewer: int, cursor: datetime, end: datetime) -> None:
        """Escalated to the medical directors; one of them claims it (unless it still waits)
        and decides it if it is decided."""
        case = self.case
        cursor = self._between(cursor, end)
        self._add(cursor, reviewer, "escalate", "in_review", "escalated",
                  reason="Needs a medical director's view of the liver assessment.")  # fmt: skip
        if case.status == "escalated" and case.assigned_to is None:
            return
        director = case.assigned_to if case.status == "escalated" else None
        director = director or self.rng.choice(self.p.people.directors)
        self._claim(self._between(cursor, end), director, "escalated", "escalated")
        if case.decision is not None:
            case.decision.decided_by = case.assigned_to = director
            self._close(end)

    def _pend(self, reviewer: int, cursor: datetime, end: datetime, *, answered: bool) -> datetime:
        case, rng = self.case, self.rng
        at = self._between(cursor, cursor + (end - cursor) / 2)
        if not answered:
            case.clock_paused_at = at  # the case is pended now: its clock stopped here
        items = ["A Nijmegen-Bethesda inhibitor titer", "Hepatic elastography report"][
            : rng.randrange(1, 3)
        ]
        self._add(at, reviewer, "pend", "in_review", "pended", detail={"items": items})
        rfi = Rfi(reviewer, items, at)
        case.rfis.append(rfi)
        if not answered:
            return at
        answer = self._between(at, at + (end - at) / 2)
        rfi.answered_by, rfi.answered_at = rng.choice(self.clinic), answer
        detail = {"changed_facts": ["inhibitor_assay"], "recommendation": "approve"}
        self._add(answer, rfi.answered_by, "answer_rfi", "pended", "in_review", detail=detail)
        return answer

    def _close(self, end: datetime) -> None:
        case, rng = self.case, self.rng
        decision = case.decision
        if decision is None:
            return
        variant = case.variant
        if variant and decision.outcome == "denied" and variant.missing and rng.random() < 0.5:
            # The reviewer rules a line the clinic never settled not met, with the reason.
            line = variant.missing[0]
            at = end - timedelta(minutes=rng.uniform(2, 30))
            case.overrides.append(Override(line, "unknown", "not_met", decision.decided_by, at))
            self._add(
                at,
                decision.decided_by,
                "override",
                reason="The information asked for was not provided.",
                detail={"criterion": line, "engine": "unknown", "ruling": "not_met"},
            )
        from_status = (
            "escalated" if any(e.action == "escalate" for e in case.events) else "in_review"
        )
        action = "approve" if decision.outcome == "approved" else "deny"
        reason = "" if action == "approve" else "The request does not meet the policy's criteria."
        self._add(
            end,
            decision.decided_by,
            action,
            from_status,
            decision.outcome,
            reason=reason,
            detail={"decision_id": decision.id, "failed_criteria": decision.failed_criteria},
        )
        self._add(
            end + timedelta(seconds=rng.uniform(2, 40)),
            None,
            "letter_generated",
            detail={"decision_id": decision.id, "bytes": rng.randrange(38_000, 52_000)},
        )

    def _withdraw(self, from_status: str, end: datetime) -> None:
        if self.case.status == "withdrawn":
            self._add(
                end,
                self.case.created_by,
                "withdraw",
                from_status,
                "withdrawn",
                reason="The patient chose to wait.",
            )

    def _between(self, start: datetime, end: datetime) -> datetime:
        return start + (end - start) * self.rng.uniform(0.05, 0.95)

    def _add(
        self,
        at: datetime,
        actor: int | None,
        action: str,
        from_status: str = "",
        to_status: str = "",
        *,
        reason: str = "",
        detail: dict[str, Any] | None = None,
    ) -> None:
        self.case.events.append(
            Event(at, actor, action, from_status, to_status, reason, detail or {})
        )


def audit_detail(event: Event) -> str:
    """What record_event writes into the audit row beside the event."""
    return json.dumps(
        {"from": event.from_status, "to": event.to_status, "reason": event.reason, **event.detail}
    )
