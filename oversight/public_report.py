"""The yearly public prior-authorization report in the shape CMS-0057-F asks payers to post
(42 CFR 422.122(c) and its Medicaid, CHIP and QHP twins): the items that need prior
authorization, the percentages of standard and expedited requests approved and denied, approved
after appeal, approved after the review time frame was extended, and the average and median
time from submission to determination, standard and expedited apart.

The cohort is the requests received (submitted) in the calendar year, each followed to its
outcome so far (oversight.metrics). Definitions, printed with the report:
- approved after appeal: the request was denied and an appeal of it was approved;
- extended: the review clock was paused while the plan waited for information the clinic had to
  send (a request for information), and the request was then approved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.models import OVERSIGHT_ROLES
from accounts.permissions import role_required
from audit.log import record
from reviews.models import Case, Status, Urgency

from .exports import csv_response
from .metrics import Metrics, UrgencyMetrics, review_metrics, share
from .queries import period_bounds

ITEMS_REQUIRING_PA = ("Hemgenix (etranacogene dezaparvovec-drlb), HCPCS J1411",)
FIRST_YEAR = 2020


@dataclass(frozen=True)
class ReportRow:
    label: str
    unit: str  # "%", "hours" or "" (a count)
    standard: float | int | None
    expedited: float | int | None


@dataclass(frozen=True)
class PublicReport:
    year: int
    metrics: Metrics
    approved_after_appeal: dict[str, int]
    rows: list[ReportRow]


def approved_after_appeal(cases: QuerySet[Case]) -> dict[str, int]:
    """Per urgency: the denied requests received in the period whose appeal was approved."""
    rows = (
        cases.filter(status=Status.DENIED, appeals__status=Status.APPROVED)
        .order_by()
        .values("urgency")
        .annotate(n=Count("pk", distinct=True))
    )
    return {row["urgency"]: row["n"] for row in rows}


def _round(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None


def _rows(metrics: Metrics, after_appeal: dict[str, int]) -> list[ReportRow]:
    def both(measure: Any, unit: str, label: str) -> ReportRow:
        standard, expedited = (measure(m) for m in (metrics.standard, metrics.expedited))
        return ReportRow(label, unit, standard, expedited)

    def appealed(m: UrgencyMetrics) -> float | None:
        return _round(share(after_appeal.get(m.urgency, 0), m.received))

    return [
        both(lambda m: m.received, "", "Prior authorization requests received"),
        both(lambda m: _round(m.pct_approved), "%", "Approved"),
        both(lambda m: _round(m.pct_denied), "%", "Denied"),
        both(appealed, "%", "Approved after appeal"),
        both(
            lambda m: _round(m.pct_approved_after_pend),
            "%",
            "Approved after the review time frame was extended",
        ),
        both(lambda m: _round(m.avg_hours), "hours", "Average time from request to decision"),
        both(lambda m: _round(m.median_hours), "hours", "Median time from request to decision"),
    ]


def public_report(year: int) -> PublicReport:
    metrics = review_metrics(date(year, 1, 1), date(year, 12, 31))
    start, end = period_bounds(date(year, 1, 1), date(year, 12, 31))
    cohort = Case.objects.filter(
        submitted_at__gte=start, submitted_at__lt=end, appeal_of__isnull=True
    )
    after_appeal = approved_after_appeal(cohort)
    return PublicReport(year, metrics, after_appeal, _rows(metrics, after_appeal))


def chosen_year(request: HttpRequest) -> int:
    """?year=, else last calendar year (the report posted by March 31 covers the year before)."""
    this_year = timezone.localdate().year
    raw = request.GET.get("year", "")
    # Four ASCII digits: "²".isdigit() is true but int("²") fails, and so does a 5,000-digit one.
    if raw.isascii() and raw.isdigit() and len(raw) == 4 and FIRST_YEAR <= int(raw) <= this_year:
        return int(raw)
    return this_year - 1


oversight = role_required(*OVERSIGHT_ROLES)


@oversight
@require_GET
def report_page(request: HttpRequest) -> HttpResponse:
    year = chosen_year(request)
    this_year = timezone.localdate().year
    context = {
        "report": public_report(year),
        "years": range(this_year, FIRST_YEAR - 1, -1),
        "items": ITEMS_REQUIRING_PA,
        "urgencies": Urgency,
    }
    return render(request, "audit/public_report.html", context)


@oversight
@require_GET
def report_csv(request: HttpRequest) -> HttpResponse:
    report = public_report(chosen_year(request))
    record(
        action="audit.export",
        request=request,
        detail={"export": "public_report", "year": report.year},
    )
    rows = [[report.year, r.label, r.unit, r.standard, r.expedited] for r in report.rows]
    rows += [
        [report.year, "Item requiring prior authorization", "", item, item]
        for item in ITEMS_REQUIRING_PA
    ]
    response = csv_response(
        f"prior-authorization-metrics-{report.year}.csv",
        ["year", "measure", "unit", "standard", "expedited"],
        rows,
    )
    return response  # type: ignore[return-value]
