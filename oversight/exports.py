"""CSV exports, streamed row by row so a large log never sits in memory whole."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone

from audit.models import AuditLog
from reviews.models import Decision

from .metrics import Metrics, measure_rows

CHUNK = 2000
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class Echo:
    """A file-like object whose write() hands the line back, for csv.writer to stream through."""

    def write(self, value: str) -> str:
        return value


def safe_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> StreamingHttpResponse:
    writer = csv.writer(Echo())

    def lines() -> Iterator[str]:
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow([safe_cell(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"  # the export may name cases; keep it out of caches
    return response


LOG_COLUMNS = (
    ("at", "time"),
    ("actor_username", "user"),
    ("actor_role", "role"),
    ("organization__name", "organization"),
    ("action", "action"),
    ("object_type", "object type"),
    ("object_id", "object id"),
    ("case__reference", "case"),
    ("ip", "ip"),
    ("user_agent", "user agent"),
    ("detail", "detail"),
)


def log_csv(queryset: QuerySet[AuditLog]) -> StreamingHttpResponse:
    fields = [name for name, _ in LOG_COLUMNS]
    rows = (
        (*row[:-1], json.dumps(row[-1], sort_keys=True, default=str))
        for row in queryset.values_list(*fields).iterator(chunk_size=CHUNK)
    )
    return csv_response("audit-log.csv", [label for _, label in LOG_COLUMNS], rows)


DECISION_HEADER = (
    "case",
    "clinic",
    "urgency",
    "outcome",
    "decided by",
    "submitted at",
    "due at",
    "decided at",
    "within clock",
    "policy",
    "engine recommendation",
    "failed criteria",
    "overrides",
    "overturned overrides",
    "reason",
)


def decisions_csv(queryset: QuerySet[Decision]) -> StreamingHttpResponse:
    decisions = queryset.select_related("case__organization", "decided_by").order_by("created_at")
    rows = (_decision_row(d) for d in decisions.iterator(chunk_size=CHUNK))
    return csv_response("decisions.csv", DECISION_HEADER, rows)


def _decision_row(decision: Decision) -> list[Any]:
    case = decision.case
    overrides = decision.snapshot.get("overrides", [])
    within = (
        case.decided_at is not None and case.due_at is not None and case.decided_at <= case.due_at
    )
    return [
        case.reference,
        case.organization.name,
        case.urgency,
        decision.outcome,
        decision.decided_by.username,
        case.submitted_at,
        case.due_at,
        case.decided_at,
        "yes" if within else "no",
        decision.snapshot.get("policy_id", ""),
        decision.snapshot.get("recommendation", ""),
        ";".join(decision.failed_criteria),
        len(overrides),
        sum(1 for o in overrides if o.get("ruling") != o.get("engine")),
        decision.reason,
    ]


def metrics_csv(metrics: Metrics) -> StreamingHttpResponse:
    name = f"metrics-{metrics.date_from:%Y%m%d}-{metrics.date_to:%Y%m%d}.csv"
    rows = ([row.label, row.unit, *row.values] for row in measure_rows(metrics))
    return csv_response(name, ("measure", "unit", "standard", "expedited"), rows)
