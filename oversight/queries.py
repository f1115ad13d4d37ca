"""Reads for the auditor's pages: the filtered log and a case's full timeline."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.functional import cached_property

from accounts.models import Organization
from audit.chain import VERIFIED
from audit.models import AuditLog
from reviews.models import Case, CaseEvent, ChecklistOverride, Decision

# A loose index scan: one index probe per distinct action, however long the log grows
# (a plain SELECT DISTINCT would read every row).
DISTINCT_ACTIONS_SQL = """
WITH RECURSIVE actions(action) AS (
    (SELECT action FROM audit_auditlog ORDER BY action LIMIT 1)
    UNION ALL
    SELECT (SELECT a.action FROM audit_auditlog a WHERE a.action > actions.action
            ORDER BY a.action LIMIT 1)
    FROM actions WHERE actions.action IS NOT NULL
)
SELECT action FROM actions WHERE action IS NOT NULL
"""


def distinct_actions() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(DISTINCT_ACTIONS_SQL)
        return [row[0] for row in cursor.fetchall()]


def action_choices() -> list[tuple[str, str]]:
    """Each action in the log, preceded by "prefix.*" groups (e.g. every case action)."""
    actions = distinct_actions()
    prefixes = sorted({a.split(".", 1)[0] for a in actions if "." in a})
    groups = [(f"{p}.*", f"{p}.* (all {p} actions)") for p in prefixes]
    return [*groups, *((a, a) for a in actions)]


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, the day after end 00:00) in local time, so the end day is included and
    the indexed timestamp column is compared directly."""
    tz = timezone.get_current_timezone()
    return (
        timezone.make_aware(datetime.combine(start, time.min), tz),
        timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), tz),
    )


def filter_log(filters: Mapping[str, Any]) -> QuerySet[AuditLog]:
    """The log narrowed by a cleaned LogFilterForm; newest first."""
    # The row links its case; the case's facts and checklist (~10 kB each row) are not shown.
    qs = AuditLog.objects.select_related("case", "organization").defer(
        "case__facts", "case__checklist"
    )
    if username := filters.get("user"):
        # Failed logins have no actor; the username they tried is in the detail.
        qs = qs.filter(
            Q(actor_username__iexact=username)
            | Q(action="auth.login_failed", detail__username__iexact=username)
        )
    if reference := filters.get("case"):
        qs = qs.filter(case__reference__iexact=reference.strip())
    if clinic := filters.get("clinic"):
        # The clinic's own staff, and anyone acting on the clinic's cases (a subquery, not a
        # join: PostgreSQL then reads the clinic's case ids, not every case, issue 9).
        clinic_cases = Case.objects.filter(organization=clinic).values("pk")
        qs = qs.filter(Q(organization=clinic) | Q(case__in=clinic_cases))
    if action := filters.get("action"):
        qs = (
            qs.filter(action__startswith=action[:-1])
            if action.endswith(".*")
            else qs.filter(action=action)
        )
    start, end = filters.get("date_from"), filters.get("date_to")
    if start:
        qs = qs.filter(at__gte=period_bounds(start, start)[0])
    if end:
        qs = qs.filter(at__lt=period_bounds(end, end)[1])
    return qs.order_by("-at", "-id")


class CappedPaginator(Paginator[AuditLog]):
    """Counts the matching rows only up to `cap` (settings.AUDIT_LOG_COUNT_CAP): an exact
    COUNT(*) of a log of millions of rows costs more than the page itself (~100 ms at 1.2M
    rows, bench/README.md). Past the cap, the page says "more than" and the search should be
    narrowed (or exported)."""

    def __init__(self, object_list: QuerySet[AuditLog], per_page: int, cap: int) -> None:
        super().__init__(object_list, per_page)
        self.rows = object_list
        self.cap = cap

    @cached_property
    def count(self) -> int:
        return self.rows.order_by()[: self.cap + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.cap


def decisions_made(
    date_from: date, date_to: date, clinic: Organization | None = None
) -> QuerySet[Decision]:
    start, end = period_bounds(date_from, date_to)
    decisions = Decision.objects.filter(created_at__gte=start, created_at__lt=end)
    return decisions.filter(case__organization=clinic) if clinic is not None else decisions


# --- a case's timeline -----------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # "event": the case changed; "access": someone looked at or fetched something
    actor: str
    role: str
    action: str
    from_status: str = ""
    to_status: str = ""
    reason: str = ""
    detail: dict[str, Any] = field(default_factory=dict)
    ip: str | None = None


@dataclass(frozen=True)
class CaseTimeline:
    case: Case
    entries: list[TimelineEntry]
    audit_rows: list[AuditLog]
    overrides: list[ChecklistOverride]
    decision: Decision | None


def case_timeline(case: Case) -> CaseTimeline:
    """Every event on the case and every audit row that is not just the event's own copy
    (views, downloads, exports), in time order; plus the raw rows, overrides and decision."""
    events = list(CaseEvent.objects.filter(case=case).select_related("actor"))
    rows = list(AuditLog.objects.filter(case=case).order_by("at", "id"))
    mirrored = {f"case.{e.action}" for e in events}
    entries = [_from_event(e) for e in events] + [
        _from_row(r) for r in rows if r.action not in mirrored
    ]
    entries.sort(key=lambda e: e.at)
    return CaseTimeline(
        case=case,
        entries=entries,
        audit_rows=rows,
        overrides=list(case.overrides.select_related("actor")),
        decision=Decision.objects.filter(case=case).select_related("decided_by").first(),
    )


def _from_event(event: CaseEvent) -> TimelineEntry:
    return TimelineEntry(
        at=event.created_at,
        kind="event",
        actor=event.actor.username if event.actor else "system",
        role=event.actor_role,
        action=event.action,
        from_status=event.from_status,
        to_status=event.to_status,
        reason=event.reason,
        detail=event.detail,
    )


def _from_row(row: AuditLog) -> TimelineEntry:
    return TimelineEntry(
        at=row.at,
        kind="access",
        actor=row.actor_username or row.actor_role,
        role=row.actor_role,
        action=row.action,
        detail=row.detail,
        ip=row.ip,
    )


def chain_checks(count: int) -> list[AuditLog]:
    """The hash chain's latest verifications (audit.chain writes each as an audit row)."""
    return list(AuditLog.objects.filter(action=VERIFIED).order_by("-at", "-id")[:count])
