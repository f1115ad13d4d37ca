"""EXPLAIN ANALYZE of the slow queries, with the bench indexes and without them.

Each query is the SQL the portal itself runs (captured from the real selectors); "without" runs
inside a transaction that drops the bench indexes it would use (and rebuilds the plain indexes
they replaced: audit_auditlog.action, and reviews_case.organization_id, Django's own foreign key
index until the case_org_* indexes covered it), then rolls back. Each side runs three
times and keeps the fastest, so a busy machine disturbs the comparison less.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from oversight.queries import CappedPaginator, filter_log
from reviews import selectors
from reviews.models import Case

RUNS = 3
CAP = settings.AUDIT_LOG_COUNT_CAP
OLD_ACTION_INDEX = "CREATE INDEX bench_old_action ON audit_auditlog (action)"
OLD_CASE_ORG_INDEX = "CREATE INDEX bench_old_case_org ON reviews_case (organization_id)"


@dataclass(frozen=True)
class Probe:
    name: str
    run: Callable[[], object]  # the portal's own code
    indexes: tuple[str, ...]  # the bench indexes it uses
    restore: tuple[str, ...] = ()  # what stood before them
    query: int = -1  # which of run's queries is explained: the last unless said otherwise


# Not the portal's reads: transaction control (Django 6 logs it) and the plan setting a report
# runs under (pa_portal.db.planned_for_these_values). Probe.query counts the rest.
NOT_A_READ = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b|plan_cache_mode", re.I)


def _captured(probe: Probe) -> str:
    with CaptureQueriesContext(connection) as captured:
        probe.run()
    reads = [q["sql"] for q in captured.captured_queries if not NOT_A_READ.search(q["sql"])]
    return str(reads[probe.query])


def _execution_ms(sql: str) -> tuple[float, str]:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    found = re.search(r"Execution Time: ([\d.]+) ms", plan)
    assert found is not None, plan
    return float(found.group(1)), plan


def _best(sql: str) -> tuple[float, str]:
    return min((_execution_ms(sql) for _ in range(RUNS)), key=lambda pair: pair[0])


class _Rollback(Exception):
    pass


def _without(probe: Probe, sql: str) -> tuple[float, str]:
    result: tuple[float, str] = (0.0, "")
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            for index in probe.indexes:
                cursor.execute(f"DROP INDEX {index}")  # our own constant names
            for statement in probe.restore:
                cursor.execute(statement)
            result = _best(sql)
            raise _Rollback
    except _Rollback:
        pass
    return result


def probes() -> list[Probe]:
    pharmacist = User.objects.get(username="pharm01")
    clinic_user = User.objects.get(username="clinic01-a")
    clinic = clinic_user.organization
    assert clinic is not None
    sent = Case.objects.exclude(status="draft").order_by("-pk")
    case = sent[min(500, sent.count() - 1)]  # not the newest: its rows are not the hot ones
    month_ago = timezone.localdate() - timedelta(days=30)
    return [
        Probe(
            "Queue: count of a pharmacist's queue",
            lambda: selectors.reviewer_queue(pharmacist, {}).count(),
            ("case_open_queue",),
        ),
        Probe(
            "Queue: first page by due time",
            lambda: list(selectors.reviewer_queue(pharmacist, {}).prefetch_related(None)[:25]),
            ("case_open_queue",),
        ),
        Probe(
            "Queue: search by member ID",
            lambda: list(
                selectors.reviewer_queue(
                    pharmacist, {"q": case.member_id.lower()}
                ).prefetch_related(None)[:25]
            ),
            ("case_member_key", "case_reference_upper"),
        ),
        Probe(
            "Clinic request list: all, page 3",
            lambda: list(
                selectors.cases_visible_to(clinic_user)
                .defer(*selectors.LIST_DEFERRED)
                .order_by("-updated_at")[50:75]
            ),
            ("case_org_updated",),
            (OLD_CASE_ORG_INDEX,),
        ),
        Probe(
            "Audit log: one case's rows (reference)",
            lambda: list(filter_log({"case": case.reference.lower()})[:50]),
            ("case_reference_upper",),
        ),
        Probe(
            "Audit log: one user's rows, count",
            lambda: CappedPaginator(filter_log({"user": "PHARM03"}), 50, CAP).count,
            ("audit_username_upper", "audit_failed_username"),
        ),
        Probe(
            "Audit log: a clinic's case actions, 30 days, count",
            lambda: (
                CappedPaginator(
                    filter_log({"clinic": clinic, "action": "case.*", "date_from": month_ago}),
                    50,
                    CAP,
                ).count
            ),
            ("case_org_id",),
            (OLD_CASE_ORG_INDEX,),
        ),
        Probe(
            "Audit log: sign-ins, page 50",
            lambda: list(filter_log({"action": "auth.login"})[2450:2500]),
            ("audit_action_at",),
            (OLD_ACTION_INDEX,),
        ),
        Probe(
            "Metrics: cases received in 30 days",
            lambda: _metrics(30),
            ("case_submitted_cohort",),
            query=0,  # the grouped query over the cohort (the second reads overrides)
        ),
    ]


def _metrics(days: int) -> Any:
    from oversight.metrics import review_metrics

    today = timezone.localdate()
    return review_metrics(today - timedelta(days=days - 1), today)


def compare() -> list[dict[str, Any]]:
    from pa_portal.devstack import log

    results = []
    for probe in probes():
        sql = _captured(probe)
        with_ms, plan = _best(sql)
        without_ms, old_plan = _without(probe, sql)
        log(f"EXPLAIN {probe.name}: {without_ms:.1f} ms without, {with_ms:.1f} ms with")
        results.append(
            {
                "name": probe.name,
                "index": ", ".join(probe.indexes),
                "without_ms": without_ms,
                "with_ms": with_ms,
                "sql": sql,
                "plan_with": plan,
                "plan_without": old_plan,
            }
        )
    return results
