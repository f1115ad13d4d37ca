"""Review metrics for a period, standard and expedited apart, computed in PostgreSQL.

The cohort is the requests *received* (submitted) in the period; each is followed to its
current outcome, so a request received on the last day and decided a week later still counts.
Time to decision is wall-clock time from submission to decision, pends included.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import (
    Aggregate,
    Avg,
    Count,
    F,
    FloatField,
    Func,
    Q,
    QuerySet,
)

from accounts.models import Organization
from notifications.models import SlaAlert, Threshold
from pa_portal.db import planned_for_these_values
from reviews.models import DECIDED_STATUSES, Case, ChecklistOverride, Status, Urgency

from .queries import period_bounds


class Median(Aggregate):
    """PostgreSQL's PERCENTILE_CONT(0.5): the median, interpolated between the middle two."""

    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)%(filter)s"
    output_field = FloatField()


class EpochSeconds(Func):
    template = "EXTRACT(EPOCH FROM %(expressions)s)"
    output_field = FloatField()


def share(part: int, whole: int) -> float | None:
    """part as a percentage of whole; None when there is nothing to divide."""
    return 100.0 * part / whole if whole else None


@dataclass(frozen=True)
class UrgencyMetrics:
    urgency: str
    received: int = 0
    approved: int = 0
    denied: int = 0
    pended: int = 0
    approved_after_pend: int = 0
    decided: int = 0
    decided_within_clock: int = 0
    overturned_overrides: int = 0
    decided_with_overturn: int = 0
    # Alerts of the SLA sweep (notifications.sla): cases marked due soon, and past due (breaches).
    due_soon_alerts: int = 0
    breached: int = 0
    # Appeals filed in the period (by the appeal's urgency): decided, overturned (approved on
    # appeal) and the time from filing to the appeal's decision.
    appeals_filed: int = 0
    appeals_decided: int = 0
    appeals_overturned: int = 0
    appeal_avg_hours: float | None = None
    avg_hours: float | None = None
    median_hours: float | None = None

    @property
    def pct_approved(self) -> float | None:
        return share(self.approved, self.received)

    @property
    def pct_denied(self) -> float | None:
        return share(self.denied, self.received)

    @property
    def pct_pended(self) -> float | None:
        return share(self.pended, self.received)

    @property
    def pct_approved_after_pend(self) -> float | None:
        return share(self.approved_after_pend, self.received)

    @property
    def pct_within_clock(self) -> float | None:
        return share(self.decided_within_clock, self.decided)

    @property
    def pct_with_overturn(self) -> float | None:
        return share(self.decided_with_overturn, self.decided)


@dataclass(frozen=True)
class Metrics:
    date_from: date
    date_to: date
    clinic: Organization | None
    standard: UrgencyMetrics
    expedited: UrgencyMetrics

    @property
    def by_urgency(self) -> tuple[UrgencyMetrics, UrgencyMetrics]:
        return (self.standard, self.expedited)


def review_metrics(date_from: date, date_to: date, clinic: Organization | None = None) -> Metrics:
    """Grouped queries over the cases received from date_from to date_to (both included): the
    cases themselves, the overturning overrides on the decided ones, the SLA alerts and the
    appeals; each planned for the period asked (a generic plan for any period was 30 % slower
    over a year)."""
    with planned_for_these_values():
        return _review_metrics(date_from, date_to, clinic)


def _review_metrics(date_from: date, date_to: date, clinic: Organization | None) -> Metrics:
    start, end = period_bounds(date_from, date_to)
    received = Case.objects.filter(submitted_at__gte=start, submitted_at__lt=end)
    if clinic is not None:
        received = received.filter(organization=clinic)
    # Requests, not appeals: an appeal is counted as an appeal (below), not as a new request.
    cases = received.filter(appeal_of__isnull=True)
    rows = cases.order_by().values("urgency").annotate(**_aggregates())
    found: dict[str, dict[str, Any]] = {}
    for row in rows:
        values: dict[str, Any] = dict(row)
        found[values.pop("urgency")] = values
    for urgency, overturned in _overturned(cases).items():
        found[urgency].update(overturned)
    for urgency, alerts in _sla_alerts(cases).items():
        found[urgency].update(alerts)
    for urgency, appeals in _appeals(received.filter(appeal_of__isnull=False)).items():
        found.setdefault(urgency, {}).update(appeals)
    return Metrics(
        date_from=date_from,
        date_to=date_to,
        clinic=clinic,
        standard=_urgency(Urgency.STANDARD, found),
        expedited=_urgency(Urgency.EXPEDITED, found),
    )


def _overturned(cases: QuerySet[Case]) -> dict[str, dict[str, int]]:
    """Per urgency: the overrides on decided cases that rule a line differently from the
    engine, and how many decided cases have one. Apart from the grouped query because a
    per-case subquery there ran twice for every case received (~80 ms for a year of 100,000
    cases, bench/README.md); overrides are few, so this reads them directly."""
    decided = cases.filter(status__in=DECIDED_STATUSES, decided_at__isnull=False)
    rows = (
        ChecklistOverride.objects.filter(case__in=decided.values("pk"))
        .exclude(status=F("engine_status"))
        .order_by()
        .values("case__urgency")
        .annotate(
            overturned_overrides=Count("pk"), decided_with_overturn=Count("case", distinct=True)
        )
    )
    return {
        row["case__urgency"]: {
            "overturned_overrides": row["overturned_overrides"],
            "decided_with_overturn": row["decided_with_overturn"],
        }
        for row in rows
    }


def _sla_alerts(cases: QuerySet[Case]) -> dict[str, dict[str, int]]:
    """Per urgency: the cases the SLA sweep marked due soon, and those it marked overdue (the
    review clock breached). One alert per case and threshold, so a count of rows counts cases."""
    rows = (
        SlaAlert.objects.filter(case__in=cases.values("pk"))
        .order_by()
        .values("case__urgency")
        .annotate(
            due_soon_alerts=Count("pk", filter=Q(threshold=Threshold.DUE_SOON)),
            breached=Count("pk", filter=Q(threshold=Threshold.OVERDUE)),
        )
    )
    return {
        row["case__urgency"]: {
            "due_soon_alerts": row["due_soon_alerts"],
            "breached": row["breached"],
        }
        for row in rows
    }


def _appeals(appeals: QuerySet[Case]) -> dict[str, dict[str, Any]]:
    """Per urgency: appeals filed, decided, overturned, and the average hours to decide one."""
    decided = Q(status__in=DECIDED_STATUSES, decided_at__isnull=False)
    rows = (
        appeals.order_by()
        .values("urgency")
        .annotate(
            appeals_filed=Count("pk"),
            appeals_decided=Count("pk", filter=decided),
            appeals_overturned=Count("pk", filter=Q(status=Status.APPROVED)),
            appeal_avg_seconds=Avg(
                EpochSeconds(F("decided_at") - F("submitted_at")), filter=decided
            ),
        )
    )
    found: dict[str, dict[str, Any]] = {}
    for values in rows:
        row: dict[str, Any] = dict(values)
        seconds = row.pop("appeal_avg_seconds")
        urgency = row.pop("urgency")
        found[urgency] = {
            **row,
            "appeal_avg_hours": seconds / 3600 if seconds is not None else None,
        }
    return found


def _aggregates() -> dict[str, Any]:
    decided = Q(status__in=DECIDED_STATUSES, decided_at__isnull=False)
    seconds = EpochSeconds(F("decided_at") - F("submitted_at"))
    return {
        "received": Count("pk"),
        "approved": Count("pk", filter=Q(status=Status.APPROVED)),
        "denied": Count("pk", filter=Q(status=Status.DENIED)),
        "pended": Count("pk", filter=Q(ever_pended=True)),
        "approved_after_pend": Count("pk", filter=Q(status=Status.APPROVED, ever_pended=True)),
        "decided": Count("pk", filter=decided),
        "decided_within_clock": Count("pk", filter=decided & Q(decided_at__lte=F("due_at"))),
        "avg_seconds": Avg(seconds, filter=decided),
        "median_seconds": Median(seconds, filter=decided),
    }


def _urgency(urgency: str, found: dict[str, dict[str, Any]]) -> UrgencyMetrics:
    row = found.get(urgency)
    if row is None:
        return UrgencyMetrics(urgency=urgency)
    avg, median = row.pop("avg_seconds", None), row.pop("median_seconds", None)
    return UrgencyMetrics(
        urgency=urgency,
        avg_hours=avg / 3600 if avg is not None else None,
        median_hours=median / 3600 if median is not None else None,
        **row,
    )


@dataclass(frozen=True)
class MeasureRow:
    label: str
    unit: str  # "" for counts, "%" or "hours"
    values: tuple[float | int | None, float | int | None]  # standard, expedited


# (label, UrgencyMetrics attribute, unit): the one list the page, the chart and the CSV share.
MEASURES = (
    ("Requests received", "received", ""),
    ("Approved (of received)", "pct_approved", "%"),
    ("Denied (of received)", "pct_denied", "%"),
    ("Pended at least once (of received)", "pct_pended", "%"),
    ("Approved after a pend (of received)", "pct_approved_after_pend", "%"),
    ("Decided", "decided", ""),
    ("Decided within the review clock (of decided)", "pct_within_clock", "%"),
    ("Average time to decision", "avg_hours", "hours"),
    ("Median time to decision", "median_hours", "hours"),
    ("Overturned checklist overrides", "overturned_overrides", ""),
    ("Decided with an overturned override (of decided)", "pct_with_overturn", "%"),
    ("Marked due soon (SLA alert)", "due_soon_alerts", ""),
    ("Breached the review clock (marked overdue)", "breached", ""),
    ("Appeals filed", "appeals_filed", ""),
    ("Appeals decided", "appeals_decided", ""),
    ("Appeals overturned (approved on appeal)", "appeals_overturned", ""),
    ("Average time to an appeal decision", "appeal_avg_hours", "hours"),
)


def _rounded(value: float | int | None) -> float | int | None:
    return round(value, 1) if isinstance(value, float) else value


def measure_rows(metrics: Metrics) -> list[MeasureRow]:
    return [
        MeasureRow(
            label,
            unit,
            (_rounded(getattr(metrics.standard, attr)), _rounded(getattr(metrics.expedited, attr))),
        )
        for label, attr, unit in MEASURES
    ]
