"""The auditor's pages: read-only, GET only, for auditors and administrators."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from accounts.models import OVERSIGHT_ROLES
from accounts.permissions import role_required
from audit.log import record
from audit.models import AuditLog
from reviews.selectors import case_for, internal_notes

from . import exports
from .charts import bar_chart
from .forms import LogFilterForm, PeriodForm
from .metrics import measure_rows, review_metrics
from .queries import CappedPaginator, case_timeline, chain_checks, decisions_made, filter_log

oversight = role_required(*OVERSIGHT_ROLES)
CHAIN_CHECKS_SHOWN = 30


def _described(cleaned: dict[str, Any]) -> dict[str, str]:
    """The filters as plain strings, for the export's own audit row."""
    return {k: str(getattr(v, "pk", v)) for k, v in cleaned.items() if v not in (None, "")}


@oversight
@require_GET
def log(request: HttpRequest) -> HttpResponse:
    form = LogFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        rows = AuditLog.objects.none()  # a bad filter shows its error, never the whole log
    else:
        rows = filter_log(form.cleaned_data if form.is_bound else {})
    paginator = CappedPaginator(rows, settings.AUDIT_LOG_PAGE_SIZE, settings.AUDIT_LOG_COUNT_CAP)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "audit/log.html", {"form": form, "page": page, "query": query.urlencode()}
    )


@oversight
@require_GET
def log_csv(request: HttpRequest) -> HttpResponse:
    form = LogFilterForm(request.GET)
    return _export(request, form, "log", lambda data: exports.log_csv(filter_log(data)))


@oversight
@require_GET
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = case_for(request.user, pk)  # type: ignore[arg-type]
    # The timeline shows the patient's facts: looking at it is itself an audited view.
    record(action="case.view", request=request, case=case, detail={"page": "audit timeline"})
    timeline = case_timeline(case)
    notes = internal_notes(request.user, case)  # type: ignore[arg-type]
    context = {"case": case, "timeline": timeline, "notes": notes}
    return render(request, "audit/case_timeline.html", context)


@oversight
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    form = PeriodForm(request.GET)
    context: dict[str, Any] = {"form": form, "query": request.GET.urlencode()}
    if form.is_valid():
        data = form.cleaned_data
        # The From/To inputs show the period the page reports on, the default one included.
        shown = request.GET.copy()
        shown["date_from"] = data["date_from"].isoformat()
        shown["date_to"] = data["date_to"].isoformat()
        form.data = shown
        result = review_metrics(data["date_from"], data["date_to"], data["clinic"])
        rows = measure_rows(result)
        context.update(
            metrics=result,
            rows=rows,
            rates_chart=bar_chart(
                "Outcomes and timeliness (%)", [r for r in rows if r.unit == "%"], scale_max=100
            ),
            hours_chart=bar_chart(
                "Time to decision (hours)", [r for r in rows if r.unit == "hours"]
            ),
        )
    return render(request, "audit/metrics.html", context)


@oversight
@require_GET
def chain(request: HttpRequest) -> HttpResponse:
    """The hash chain's verifications, newest first: when and what each found."""
    checks = chain_checks(CHAIN_CHECKS_SHOWN)
    return render(request, "audit/chain.html", {"checks": checks, "last": next(iter(checks), None)})


@oversight
@require_GET
def metrics_csv(request: HttpRequest) -> HttpResponse:
    def build(data: dict[str, Any]) -> StreamingHttpResponse:
        return exports.metrics_csv(
            review_metrics(data["date_from"], data["date_to"], data["clinic"])
        )

    return _export(request, PeriodForm(request.GET), "metrics", build)


@oversight
@require_GET
def decisions_csv(request: HttpRequest) -> HttpResponse:
    def build(data: dict[str, Any]) -> StreamingHttpResponse:
        return exports.decisions_csv(
            decisions_made(data["date_from"], data["date_to"], data["clinic"])
        )

    return _export(request, PeriodForm(request.GET), "decisions", build)


def _export(
    request: HttpRequest,
    form: forms.Form,
    kind: str,
    build: Callable[[dict[str, Any]], StreamingHttpResponse],
) -> HttpResponse:
    """A bad filter goes back to its page to show the error; a good one is recorded as an
    export (before the first byte leaves) and streamed."""
    if not form.is_valid():
        page = "audit:log" if kind == "log" else "audit:metrics"
        return redirect(f"{reverse(page)}?{request.GET.urlencode()}")
    record(
        action="audit.export",
        request=request,
        detail={"export": kind, "filters": _described(form.cleaned_data)},
    )
    # role_required is typed for HttpResponse; a streamed CSV is served the same way.
    return cast(HttpResponse, build(form.cleaned_data))
