"""The reviewer workbench: the queue, the case page and the decisions (pharmacists and directors).

Every change goes through reviews.services; a refusal is shown with its message and changes
nothing. The queue's claim button and the letter status update in place with htmx.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import REVIEWER_ROLES, User
from accounts.permissions import role_required
from audit.log import record as audit_record
from criteria.policy import NoPolicyInForce
from criteria.registry import POLICIES, policy_for

from .. import labels, selectors, services
from ..forms_reviewer import (
    SORT_LABELS,
    AssignForm,
    DenyForm,
    EscalateForm,
    IdentityRulingForm,
    NoteForm,
    OverrideForm,
    PendForm,
    QueueFilterForm,
    ReasonForm,
    RuleLineForm,
    denial_initial,
    lines_not_met,
    pend_initial,
)
from ..models import INTERNAL_NOTE_MAX_LENGTH, Case
from ..policy import current_policy_settings
from ..workflow import Action, actions_on
from .documents import documents_by_criterion

REVIEWERS = tuple(REVIEWER_ROLES)

Perform = Callable[[User, Case, dict[str, Any]], object]


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # role_required has let only signed-in users through
    return user


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


# --- the queue --------------------------------------------------------------------------------


@require_GET
@role_required(*REVIEWERS)
def queue(request: HttpRequest) -> HttpResponse:
    form = QueueFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_bound:
        form.is_valid()  # a bad value shows as a field error; the valid filters still apply
        filters = form.cleaned_data
    page = selectors.queue_page(_user(request), filters, request.GET.get("page"))
    current = filters.get("sort") or "due"
    context = {
        "form": form,
        "page": page,
        "sort": current,
        "sort_key": current.lstrip("-"),
        "sort_dir": "descending" if current.startswith("-") else "ascending",
        "sort_label": SORT_LABELS.get(current, current),
        # Clicking the column sorted now reverses it.
        "sort_links": {
            key.lstrip("-"): f"-{key}" if current == key else key
            for key in selectors.QUEUE_SORTS
            if not key.startswith("-")
        },
    }
    if _is_htmx(request) and request.headers.get("HX-Target") == "queue-results":
        # The filter form's hidden sort field follows along out of band.
        return render(request, "reviews/reviewer/_queue_results.html", {**context, "oob": True})
    return render(request, "reviews/reviewer/queue.html", context)


@require_POST
@role_required(*REVIEWERS)
def claim(request: HttpRequest, pk: int) -> HttpResponse:
    """Claim from the queue (htmx: the row is replaced in place) or from the case page."""
    user = _user(request)
    case = selectors.reviewer_case(user, pk)
    error = ""
    try:
        services.case_claim(actor=user, case=case)
    except services.ServiceError as exc:
        error = str(exc)
    if _is_htmx(request):
        row = selectors.reviewer_case(user, pk)
        return render(request, "reviews/reviewer/_queue_row.html", {"case": row, "error": error})
    if error:
        messages.error(request, error)
    else:
        messages.success(request, f"You now have {case.reference}.")
    return redirect("reviewer:case", pk=pk)


# --- the case page ----------------------------------------------------------------------------


def _fact_sections(case: Case) -> Any:
    """The facts under the sections of the policy the case was evaluated under; a request
    withdrawn before it was ever submitted has none (policy_id ""): the one in force today."""
    policy = POLICIES.get(case.policy_id)
    if policy is None:
        try:
            policy = policy_for(timezone.localdate())
        except NoPolicyInForce:
            return labels.fact_sections(case.facts, ())
    return labels.fact_sections(case.facts, policy.criteria)


@require_GET
@role_required(*REVIEWERS)
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_case(request, selectors.reviewer_case(_user(request), pk, with_outcome=True))


def _render_case(
    request: HttpRequest, case: Case, bound: dict[str, forms.Form] | None = None, status: int = 200
) -> HttpResponse:
    """The case page; `bound` replaces a blank action form with one that failed validation."""
    user = _user(request)
    record = selectors.case_record(case)
    overrides = selectors.effective_overrides(case)
    statuses = selectors.effective_statuses(case, overrides)
    actions = actions_on(case, user)
    # Viewing a case shows PHI: every view is audited.
    audit_record(action="case.view", request=request, case=case)
    policy = current_policy_settings()
    context = {
        "case": case,
        "record": record,
        "fact_sections": _fact_sections(case),
        "checklist": case.checklist,
        "overrides": overrides,
        "documents_by_criterion": documents_by_criterion(
            case, viewer=True, documents=record.documents
        ),
        # Crosses clinics on purpose: payer staff only (this view's roles).
        "same_persons": selectors.possible_same_persons(case),
        "actions": actions,
        "can_rule": Action.RULE in actions,
        "open_rule": _open_rule(request, case),
        "unmet": [criterion for criterion, st in statuses.items() if st != "met"],
        **_summary(case, statuses),
        "valid_days": policy.authorization_valid_days,
        # What the approve panel says before the click: missing items, dose and vials.
        "approval": selectors.approval_readiness(case),
        "notes": selectors.internal_notes(user, case),
        "denial_needs_director": policy.denial_requires_medical_director,
        "forms": {
            **_blank_forms(case, statuses, overrides, user),
            **_failed_form(request, case, statuses, overrides),
            **(bound or {}),
        },
    }
    return render(request, "reviews/reviewer/case.html", context, status=status)


def _summary(case: Case, statuses: dict[str, str]) -> dict[str, Any]:
    """The header's summary: the lines' effective statuses counted, and the lifetime line."""
    return {
        "checklist": case.checklist,
        "counts": {
            status: sum(1 for st in statuses.values() if st == status)
            for status in ("met", "unknown", "not_met")
        },
        "lifetime": statuses.get("lifetime_limit", "unknown"),
    }


FormFactory = Callable[[Case, dict[str, str], dict[str, Any], Any], forms.Form]

# Each action's form, blank (data None, with initial values drafted from the checklist) or bound
# to the POST. Arguments: the case, the lines' effective statuses, the rulings, the data.
FORMS: dict[str, FormFactory] = {
    "claim": lambda case, st, ov, data: ReasonForm(data, prefix="claim"),
    "release": lambda case, st, ov, data: ReasonForm(data, prefix="release"),
    "approve": lambda case, st, ov, data: ReasonForm(data, prefix="approve"),
    "assign": lambda case, st, ov, data: AssignForm(
        data, prefix="assign", escalated=case.is_escalated
    ),
    "pend": lambda case, st, ov, data: PendForm(
        data, prefix="pend", initial=pend_initial(case.checklist, st)
    ),
    "escalate": lambda case, st, ov, data: EscalateForm(data, prefix="escalate"),
    "override": lambda case, st, ov, data: OverrideForm(
        data, prefix="override", lines=case.checklist.get("lines", [])
    ),
    "identity": lambda case, st, ov, data: IdentityRulingForm(data, prefix="identity"),
    "note": lambda case, st, ov, data: NoteForm(data, prefix="note"),
    "deny": lambda case, st, ov, data: DenyForm(
        data,
        prefix="deny",
        lines=lines_not_met(case.checklist.get("lines", []), st),
        initial=denial_initial(case.checklist.get("lines", []), st, ov),
    ),
}

# What each case-page action calls, and what it says when done.
ACTIONS: dict[str, tuple[Perform, str]] = {
    "release": (
        lambda user, case, data: services.case_release(
            actor=user, case=case, reason=data["reason"]
        ),
        "{ref} is back in the shared queue.",
    ),
    "assign": (
        lambda user, case, data: services.case_assign(
            actor=user, case=case, reviewer=data["reviewer"], reason=data["reason"]
        ),
        "{ref} was assigned.",
    ),
    "pend": (
        lambda user, case, data: services.case_pend(
            actor=user, case=case, items=data["items"], message=data["message"]
        ),
        "{ref} is pended; the clinic sees the information requested.",
    ),
    "escalate": (
        lambda user, case, data: services.case_escalate(
            actor=user, case=case, reason=data["reason"]
        ),
        "{ref} was escalated to the medical director.",
    ),
    "override": (
        lambda user, case, data: services.checklist_override(
            actor=user,
            case=case,
            criterion_id=data["criterion"],
            status=data["status"],
            reason=data["reason"],
        ),
        "Your ruling on the line is recorded beside the engine's result.",
    ),
    "identity": (
        lambda user, case, data: services.identity_rule(
            actor=user,
            case=case,
            other_member_key=data["other_member_key"],
            ruling=data["ruling"],
            reason=data["reason"],
        ),
        "Your ruling on who the patient is is recorded; the checklist was evaluated again.",
    ),
    "approve": (
        lambda user, case, data: services.case_approve(
            actor=user, case=case, reason=data["reason"]
        ),
        "{ref} is approved; the authorization is issued and the letter is being prepared.",
    ),
    "deny": (
        lambda user, case, data: services.case_deny(
            actor=user,
            case=case,
            failed_criteria=data["failed_criteria"],
            reason=data["reason"],
            basis=data["basis"],
            explanation=data.get("explanation", ""),
        ),
        "{ref} is denied; the letter is being prepared.",
    ),
}


def _blank_forms(
    case: Case, statuses: dict[str, str], overrides: dict[str, Any], user: User
) -> dict[str, forms.Form]:
    return {
        name: _for_user(make(case, statuses, overrides, None), user) for name, make in FORMS.items()
    }


def _for_user(form: forms.Form, user: User) -> forms.Form:
    """A deny form offers only the bases the user's role may deny on."""
    if isinstance(form, DenyForm):
        form.limit_bases(user.role)
    return form


@require_POST
@role_required(*REVIEWERS)
def case_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """One action form from the case page: validate it and call its service; a refusal is shown
    with its message and changes nothing."""
    user = _user(request)
    case = selectors.reviewer_case(user, pk)
    overrides = selectors.effective_overrides(case)
    statuses = selectors.effective_statuses(case, overrides)
    form = _for_user(FORMS[action](case, statuses, overrides, request.POST), user)
    if not form.is_valid():
        messages.error(request, "Check the highlighted fields; nothing was changed.")
        return _back_to_form(request, pk, action)
    perform, success = ACTIONS[action]
    try:
        perform(user, case, form.cleaned_data)
    except services.ServiceError as exc:
        messages.error(request, str(exc))
        # Shown on the case as it stands now (another reviewer may just have decided it).
        return _back_to_form(request, pk, action, str(exc))
    messages.success(request, success.format(ref=case.reference))
    return redirect("reviewer:case", pk=pk)


# Post/redirect/get after a refusal: what was typed waits in the session for the case page's
# next GET, so a refresh never sends the form again (issue 16).
FAILED_FORM = "reviewer-failed-form"
# The most of one typed value kept for that GET: the longest the case page's action forms take
# (a denial's reason) and one character, enough for its "at most" error. Whole, a value pasted by
# mistake (up to the request's 5 MB) went into the session and back into the page.
FORM_KEPT = (
    max(
        field.max_length or 0
        for form in (DenyForm, EscalateForm, OverrideForm, PendForm, ReasonForm, AssignForm)
        for field in form.base_fields.values()
        if isinstance(field, forms.CharField)
    )
    + 1
)


def _back_to_form(
    request: HttpRequest,
    pk: int,
    action: str,
    refusal: str = "",
    anchor: str = "actions",
    typed: dict[str, list[str]] | None = None,
) -> HttpResponse:
    """typed: what to keep instead of the whole POST."""
    data = typed or {
        key: [value[:FORM_KEPT] for value in request.POST.getlist(key)]
        for key in request.POST
        if key != "csrfmiddlewaretoken"
    }
    request.session[FAILED_FORM] = {"pk": pk, "action": action, "data": data, "refusal": refusal}
    return redirect(f"{reverse('reviewer:case', args=[pk])}#{anchor}")


def _failed_form(
    request: HttpRequest, case: Case, statuses: dict[str, str], overrides: dict[str, Any]
) -> dict[str, forms.Form]:
    """The form the last POST on this case was refused with, bound again to what was typed."""
    kept = request.session.get(FAILED_FORM)
    if not kept or kept.get("pk") != case.pk or kept.get("action") not in FORMS:
        return {}
    del request.session[FAILED_FORM]
    data = QueryDict(mutable=True)
    for key, values in kept["data"].items():
        data.setlist(key, values)
    form = _for_user(FORMS[kept["action"]](case, statuses, overrides, data), _user(request))
    if form.is_valid() and kept["refusal"]:
        form.add_error(None, kept["refusal"])
    return {kept["action"]: form}


# --- ruling on a line from its row (htmx) -----------------------------------------------------

# A ruling refused without JavaScript: what was typed waits once in the session, as FAILED_FORM.
FAILED_RULE = "reviewer-failed-rule"


def _line_of(case: Case, criterion: str) -> dict[str, Any]:
    line = next((ln for ln in case.checklist.get("lines", []) if ln["id"] == criterion), None)
    if line is None:
        raise Http404("The checklist has no such line.")
    return line


def _open_rule(request: HttpRequest, case: Case) -> dict[str, Any] | None:
    """The line whose ruling form the case page opens: the one a refused ruling was typed on
    (bound again, with its errors), else ?rule=<line> (the "Rule…" link without JavaScript)."""
    kept = request.session.get(FAILED_RULE)
    if kept and kept.get("pk") == case.pk:
        del request.session[FAILED_RULE]
        line = next(
            (ln for ln in case.checklist.get("lines", []) if ln["id"] == kept["line"]), None
        )
        if line is not None:
            data = QueryDict(mutable=True)
            for key, values in kept["data"].items():
                data.setlist(key, values)
            form = RuleLineForm(data, line=line)
            if form.is_valid() and kept["refusal"]:
                form.add_error(None, kept["refusal"])
            return {"criterion": line["id"], "form": form}
    wanted = request.GET.get("rule", "")
    line = next((ln for ln in case.checklist.get("lines", []) if ln["id"] == wanted), None)
    return None if line is None else {"criterion": line["id"], "form": RuleLineForm(line=line)}


def _line_url(case: Case, criterion: str, query: str = "") -> str:
    return f"{reverse('reviewer:case', args=[case.pk])}{query}#line-{criterion}"


@require_http_methods(["GET", "POST"])
@role_required(*REVIEWERS)
def rule_line(request: HttpRequest, pk: int, criterion: str) -> HttpResponse:
    """Rule on one checklist line from its row. GET: the row with its ruling form open (htmx;
    ?close=1 closes it), or without JavaScript the case page with that form open. POST: the
    same service as every ruling; with htmx the row comes back in place (the engine's result
    still beside the ruling) with the summary out of band and an event that refreshes the
    actions; a refusal comes back in the row (422 for the form, 409 for the service) and
    changes nothing. Without JavaScript: post/redirect/get."""
    user = _user(request)
    case = selectors.reviewer_case(user, pk)
    line = _line_of(case, criterion)
    if request.method == "GET":
        if not _is_htmx(request):
            return redirect(_line_url(case, criterion, f"?rule={criterion}"))
        form = None if request.GET.get("close") else RuleLineForm(line=line)
        audit_record(action="case.view", request=request, case=case)  # the line's evidence
        return _line_row(request, case, line, form)
    form = RuleLineForm(request.POST, line=line)
    refusal = ""
    if form.is_valid():
        try:
            services.checklist_override(
                actor=user,
                case=case,
                criterion_id=criterion,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
            )
        except services.ServiceError as exc:
            refusal = str(exc)
    ok = form.is_valid() and not refusal
    if not _is_htmx(request):
        if ok:
            messages.success(
                request, "Your ruling on the line is recorded beside the engine's result."
            )
        else:
            messages.error(request, refusal or "Check the ruling's fields; nothing was changed.")
            data = {k: request.POST.getlist(k) for k in request.POST if k != "csrfmiddlewaretoken"}
            request.session[FAILED_RULE] = {
                "pk": case.pk,
                "line": criterion,
                "data": data,
                "refusal": refusal,
            }
        return redirect(_line_url(case, criterion))
    if not ok:
        if refusal:
            form.add_error(None, refusal)
        return _line_row(request, case, line, form, status=409 if refusal else 422)
    case.refresh_from_db()
    response = _line_row(request, case, line, None, summary=True)
    # The approve panel's "not yet" list and the deny form's lines follow the new statuses.
    response["HX-Trigger"] = "case-ruled"
    return response


def _line_row(
    request: HttpRequest,
    case: Case,
    line: dict[str, Any],
    form: RuleLineForm | None,
    *,
    summary: bool = False,
    status: int = 200,
) -> HttpResponse:
    user = _user(request)
    overrides = selectors.effective_overrides(case)
    actions = actions_on(case, user)
    can_rule = Action.RULE in actions
    context: dict[str, Any] = {
        "case": case,
        "line": line,
        "overrides": overrides,
        "documents_by_criterion": documents_by_criterion(case, viewer=True),
        "can_rule": can_rule,
        "open_rule": {"criterion": line["id"], "form": form} if form is not None else None,
        # Where no ruling may be made now the form stays closed: the refusal says why.
        "rule_error": ""
        if can_rule or form is None
        else next(iter(form.non_field_errors()), "You cannot rule on this case now."),
        "refocus": form is None,
    }
    if form is not None and not can_rule and status < 400:
        status = 409  # the form asked for where no ruling may be made now
    html = render(request, "reviews/_checklist_row.html", context).content.decode()
    if summary:
        statuses = selectors.effective_statuses(case, overrides)
        html += render(
            request,
            "reviews/reviewer/_case_summary.html",
            {**_summary(case, statuses), "oob": True},
        ).content.decode()
    return HttpResponse(html, status=status)


# --- internal notes ---------------------------------------------------------------------------


NOTE_KEPT = INTERNAL_NOTE_MAX_LENGTH + 1


@require_POST
@role_required(*REVIEWERS)
def note_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Add an internal note (payer staff only, issue 16). With htmx the notes section is
    replaced in place, errors included; without, post/redirect/get back to the notes."""
    user = _user(request)
    case = selectors.reviewer_case(user, pk)
    form = NoteForm(request.POST, prefix="note")
    refusal = ""
    if form.is_valid():
        try:
            services.note_add(actor=user, case=case, body=form.cleaned_data["body"])
        except services.ServiceError as exc:
            refusal = str(exc)
    saved = form.is_valid() and not refusal
    if _is_htmx(request):
        if saved:
            form = NoteForm(prefix="note")
        elif refusal:
            form.add_error(None, refusal)
        context = {
            "case": case,
            "notes": selectors.internal_notes(user, case),
            "forms": {"note": form},
            "saved": saved,
        }
        return render(request, "reviews/reviewer/_notes.html", context)
    if not saved:
        typed = request.POST.get("note-body", "")
        too_long = f" It has {len(typed):,} characters." if len(typed) > NOTE_KEPT else ""
        messages.error(request, refusal or f"Check the note; nothing was saved.{too_long}")
        # What was typed waits in the session for the next GET: never more than the form's limit
        # and one character (enough for its error), however much was sent.
        kept = {"note-body": [typed[:NOTE_KEPT]]}
        return _back_to_form(request, pk, "note", refusal, anchor="notes", typed=kept)
    messages.success(request, "Your internal note is saved; the clinic does not see it.")
    return redirect(f"{reverse('reviewer:case', args=[pk])}#notes")


# --- the determination letter -----------------------------------------------------------------


@require_GET
@role_required(*REVIEWERS)
def letter_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The letter's line on the case page; htmx polls it until the worker has made the PDF."""
    case = selectors.reviewer_case(_user(request), pk)
    decision = selectors.decision_of(case)
    return render(request, "reviews/reviewer/_letter.html", {"case": case, "decision": decision})
