"""The planned data set as table rows for COPY: one dict per row, keyed by column.

Rows come out in time order and numbered in that order, so ids follow time as they would in a
live system (and the tables' physical order is realistic for the planner).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from reviews.dosing import dose_of
from reviews.members import member_key, name_key

from .plan import USER_AGENT, CasePlan, Event, People, Planner, audit_detail

Row = dict[str, Any]
SEED = 2026
PRESCRIBERS = ("Avery", "Blake", "Casey", "Drew", "Emerson", "Finley", "Harper", "Jordan")


def patients(planner: Planner) -> Iterator[Row]:
    for p in sorted(planner.patients, key=lambda p: p.created_at):
        yield {
            "id": p.id,
            "organization_id": p.organization,
            "member_id": p.member_id,
            "member_key": member_key(p.member_id),
            "first_name": p.first_name,
            "last_name": p.last_name,
            "name_key": name_key(p.last_name),
            "date_of_birth": p.date_of_birth,
            "sex_assigned_at_birth": p.sex,
            "gender_identity": "",
            "created_by_id": p.created_by,
            "created_at": p.created_at,
        }


def _details(c: CasePlan, npis: list[str]) -> tuple[str, Decimal, date]:
    """A case's prescriber NPI, weight and planned infusion date: the same for its case row and,
    once approved, its authorization's (which states the dose for that weight, issue 16)."""
    rng = random.Random(SEED * 1_000_003 + c.id)
    weight = Decimal(f"{rng.uniform(45, 120):.1f}")
    return npis[c.id % len(npis)], weight, (c.created_at + timedelta(rng.randrange(20, 90))).date()


def cases(planner: Planner, npis: list[str]) -> Iterator[Row]:
    for c in planner.cases:
        variant = c.variant
        npi, weight, planned = _details(c, npis)
        yield {
            "id": c.id,
            "reference": c.reference,
            "organization_id": c.organization,
            "patient_id": c.patient,
            "member_id": planner.patients[c.patient - 1].member_id,
            "member_key": member_key(planner.patients[c.patient - 1].member_id),
            "status": c.status,
            "urgency": c.urgency,
            "expedite_reason": "Bleeding despite prophylaxis" if c.urgency == "expedited" else "",
            "facts": c.facts,
            "prescriber_name": f"Dr. {PRESCRIBERS[c.id % len(PRESCRIBERS)]} Example",
            "prescriber_npi": npi,
            "body_weight_kg": weight,
            "planned_infusion_date": planned,
            "checklist": variant.checklist if variant else "{}",
            "policy_id": variant.policy_id if variant else "",
            "recommendation": variant.recommendation if variant else "",
            "assigned_to_id": c.assigned_to,
            "created_by_id": c.created_by,
            "created_at": c.created_at,
            "updated_at": c.updated_at,
            "submitted_at": c.submitted_at,
            "due_at": c.due_at,
            "clock_paused_at": c.clock_paused_at,
            "decided_at": c.decided_at,
            "ever_pended": c.ever_pended,
            "escalated_at": next((e.at for e in c.events if e.action == "escalate"), None),
        }


def documents(planner: Planner) -> Iterator[Row]:
    """Document rows only: the benchmark never downloads, so no file is written."""
    found = sorted(((d, c.id) for c in planner.cases for d in c.documents), key=lambda p: p[0].id)
    for d, case_id in found:
        digest = f"{d.id:064x}"
        yield {
            "id": d.id,
            "case_id": case_id,
            "kind": d.kind,
            "supports": json.dumps(d.supports),
            "file": f"cases/{case_id}/{digest[-32:]}",
            "original_name": f"{d.kind.replace('_', '-')}.pdf",
            "content_type": "application/pdf",
            "size": 180_000 + d.id % 90_000,
            "sha256": digest,
            "uploaded_by_id": d.uploaded_by,
            "uploaded_at": d.uploaded_at,
        }


TimedEvent = tuple[datetime, int, Event]


def timed_events(planner: Planner) -> list[TimedEvent]:
    """Every case's events, in time order across the data set."""
    events = [(e.at, c.id, e) for c in planner.cases for e in c.events]
    events.sort(key=lambda item: (item[0], item[1]))
    return events


def events(timed: list[TimedEvent], people: People) -> Iterator[Row]:
    for number, (at, case_id, e) in enumerate(timed, start=1):
        yield {
            "id": number,
            "case_id": case_id,
            "actor_id": e.actor,
            "actor_role": people.roles[e.actor] if e.actor is not None else "system",
            "action": e.action,
            "from_status": e.from_status,
            "to_status": e.to_status,
            "reason": e.reason,
            "detail": json.dumps(e.detail),
            "created_at": at,
        }


def rfis(planner: Planner) -> Iterator[Row]:
    found = sorted(
        ((r, c.id) for c in planner.cases for r in c.rfis), key=lambda p: p[0].created_at
    )
    for number, (r, case_id) in enumerate(found, start=1):
        yield {
            "id": number,
            "case_id": case_id,
            "requested_by_id": r.requested_by,
            "items": json.dumps(r.items),
            "message": "Please send the items listed.",
            "created_at": r.created_at,
            "answered_by_id": r.answered_by,
            "answered_at": r.answered_at,
            "answer_note": "Attached the requested results." if r.answered_at else "",
        }


def overrides(planner: Planner) -> Iterator[Row]:
    found = sorted(
        ((o, c.id) for c in planner.cases for o in c.overrides), key=lambda p: p[0].created_at
    )
    for number, (o, case_id) in enumerate(found, start=1):
        yield {
            "id": number,
            "case_id": case_id,
            "criterion_id": o.criterion_id,
            "engine_status": o.engine_status,
            "status": o.status,
            "reason": "The information asked for was not provided.",
            "actor_id": o.actor,
            "created_at": o.created_at,
        }


def decisions(planner: Planner) -> Iterator[Row]:
    decided = [c for c in planner.cases if c.decision is not None and c.variant is not None]
    for c in sorted(decided, key=lambda c: c.decision.id if c.decision else 0):
        d, variant = c.decision, c.variant
        assert d is not None and variant is not None
        yield {
            "id": d.id,
            "case_id": c.id,
            "outcome": d.outcome,
            "decided_by_id": d.decided_by,
            "reason": "" if d.outcome == "approved" else "Does not meet the policy's criteria.",
            "failed_criteria": json.dumps(d.failed_criteria),
            "snapshot": variant.snapshot,
            "created_at": d.at,
            "letter": f"letters/{c.reference}-determination.pdf",
            "letter_generated_at": d.at + timedelta(seconds=20),
        }


def authorizations(planner: Planner, npis: list[str]) -> Iterator[Row]:
    approved = [c for c in planner.cases if c.status == "approved" and c.decided_at is not None]
    for number, c in enumerate(sorted(approved, key=lambda c: c.decided_at or c.created_at), 1):
        assert c.decided_at is not None and c.variant is not None
        start = timezone.localdate(c.decided_at)
        npi, weight, planned = _details(c, npis)
        dose = dose_of(weight)
        assert dose is not None
        yield {
            "id": number,
            "case_id": c.id,
            "member_id": planner.patients[c.patient - 1].member_id,
            "member_key": member_key(planner.patients[c.patient - 1].member_id),
            "number": f"HGX-{c.reference.removeprefix('PA-')}",
            "hcpcs_code": "J1411",
            "units": 1,
            "valid_from": start,
            "valid_to": start + timedelta(days=180),
            "policy_id": c.variant.policy_id,
            "state": "active",
            "created_at": c.decided_at,
            "body_weight_kg": dose.weight_kg,
            "dose_volume_ml": dose.volume_ml,
            "vial_count": dose.vials,
            "planned_infusion_date": planned,
            "prescriber_npi": npi,
        }


# --- the audit log -----------------------------------------------------------------------------


@dataclass(slots=True)
class Entry:
    """One audit row before numbering (what audit.log.record() would have written)."""

    at: datetime
    actor: int | None
    action: str
    case: int | None = None
    object_type: str = ""
    object_id: str = ""
    organization: int | None = None
    ip: str | None = None
    user_agent: str = ""
    detail: str = "{}"


def audit_entries(timed: list[TimedEvent], planner: Planner, people: People) -> list[Entry]:
    """Each event's mirror row (record_event writes both), the page views and letter
    downloads, and the sign-ins; in time order."""
    entries = [
        Entry(
            at,
            e.actor,
            f"case.{e.action}",
            case_id,
            "case",
            str(case_id),
            people.clinic_of.get(e.actor) if e.actor else None,
            detail=audit_detail(e),
        )
        for at, case_id, e in timed
    ]
    rng = random.Random(SEED + 1)
    for case in planner.cases:
        entries.extend(_views(case, planner, people, rng))
    entries.extend(_sign_ins(planner, people, rng))
    entries.sort(key=lambda entry: entry.at)
    return entries


def audit(entries: list[Entry], people: People) -> Iterator[Row]:
    for number, e in enumerate(entries, start=1):
        anonymous = "anonymous" if e.action.startswith("auth.") else "system"
        yield {
            "id": number,
            "at": e.at,
            "actor_id": e.actor,
            "actor_username": people.usernames[e.actor] if e.actor else "",
            "actor_role": people.roles[e.actor] if e.actor else anonymous,
            "organization_id": e.organization,
            "action": e.action,
            "object_type": e.object_type,
            "object_id": e.object_id,
            "case_id": e.case,
            "ip": e.ip,
            "user_agent": e.user_agent,
            "detail": e.detail,
        }


def _ip(rng: random.Random) -> str:
    return f"10.{rng.randrange(1, 60)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


def _views(case: CasePlan, planner: Planner, people: People, rng: random.Random) -> list[Entry]:
    """Reviewers opening the case, now and then the clinic, and the letter's download."""
    if case.submitted_at is None:
        return []
    start, end = case.submitted_at, case.decided_at or case.withdrawn_at or planner.now
    found = []
    for _ in range(rng.choices([0, 1, 2, 3], [40, 35, 18, 7])[0]):
        viewer = case.assigned_to or rng.choice(people.pharmacists)
        at = start + (end - start) * rng.random()
        found.append(Entry(at, viewer, "case.view", case.id, "case", str(case.id)))
    staff = rng.choice(people.clinic_staff[case.organization])
    if rng.random() < 0.35:
        detail = '{"via": "api"}' if rng.random() < 0.3 else "{}"
        at = start + (end - start) * rng.random()
        found.append(
            Entry(at, staff, "case.view", case.id, "case", str(case.id), case.organization,
                  detail=detail)
        )  # fmt: skip
    if case.decision is not None and rng.random() < 0.4:
        at = end + timedelta(hours=rng.uniform(1, 72))
        found.append(
            Entry(at, staff, "letter.download", case.id, "decision", str(case.decision.id),
                  case.organization)
        )  # fmt: skip
    for entry in found:
        entry.ip, entry.user_agent = _ip(rng), USER_AGENT
    return found


def _sign_ins(planner: Planner, people: People, rng: random.Random) -> Iterator[Entry]:
    """Weekday sign-ins: payer staff nearly every day (with their second factor), clinic staff
    on some days; now and then a mistyped password first."""
    day = planner.start.replace(hour=0, minute=0, second=0, microsecond=0)
    agent = USER_AGENT
    while day < planner.now:
        for user_id, role in people.roles.items() if day.weekday() < 5 else ():
            payer = role != "prescriber"
            at = day + timedelta(hours=rng.uniform(7.5, 10.5))
            if rng.random() > (0.9 if payer else 0.35) or at >= planner.now:
                continue
            ip = _ip(rng)
            if rng.random() < 0.03:
                tried = json.dumps({"username": people.usernames[user_id]})
                failed = at - timedelta(seconds=20)
                yield Entry(
                    failed, None, "auth.login_failed", ip=ip, user_agent=agent, detail=tried
                )
            org = people.clinic_of[user_id]
            yield Entry(at, user_id, "auth.login", organization=org, ip=ip, user_agent=agent)
            if payer:
                verified = at + timedelta(seconds=15)
                yield Entry(verified, user_id, "auth.2fa_verified", ip=ip, user_agent=agent)
        day += timedelta(days=1)
