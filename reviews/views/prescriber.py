"""The prescriber office's pages: its patients and requests, from draft to determination.

Every page is for prescriber-office staff and shows only their own clinic's records (the
selectors answer 404 for anyone else's). Writes go through reviews.services; a refusal's message
is shown beside the form and nothing is changed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.inputs import id_or_none
from accounts.models import Role, User
from accounts.permissions import role_required
from audit.log import record as audit_record

from .. import labels, selectors, services
from ..forms_prescriber import (
    AnswerForm,
    DocumentForm,
    DocumentRemoveForm,
    FactsForm,
    PatientForm,
    RequestForm,
    WithdrawForm,
    add_facts_errors,
    initial_from_case,
    initial_from_facts,
)
from ..models import OPEN_STATUSES, Case, Document, Patient, Status
from ..selectors import (
    case_for,
    case_record,
    clinic_history,
    decision_of,
)
from ..workflow import Action, allowed_actions, may
from .documents import documents_by_criterion

clinic_only = role_required(Role.PRESCRIBER)
GET_POST = require_http_methods(["GET", "POST"])

# The case list's tabs: name -> (label, statuses shown; None for all).
TABS: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "open": ("Open", tuple(OPEN_STATUSES)),
    "drafts": ("Drafts", (Status.DRAFT,)),
    "closed": ("Decided or withdrawn", (Status.APPROVED, Status.DENIED, Status.WITHDRAWN)),
    "all": ("All", None),
}


def posted(request: HttpRequest) -> Any:
    """The POST data to bind a form to, or None on GET (an empty POST still binds)."""
    return request.POST if request.method == "POST" else None


def clinic_user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # role_required has let only logged-in clinic staff through
    return user


# --- lists ------------------------------------------------------------------------------------


@clinic_only
@require_GET
def case_list(request: HttpRequest) -> HttpResponse:
    """The clinic's requests with status and due date; the home page of clinic staff."""
    tab = request.GET.get("show", "open")
    if tab not in TABS:
        tab = "open"
    cases = selectors.clinic_cases(clinic_user(request), TABS[tab][1])
    page = Paginator(cases, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "reviews/prescriber/case_list.html",
        {"page": page, "tab": tab, "tabs": [(key, label) for key, (label, _) in TABS.items()]},
    )


@clinic_only
@require_GET
def patient_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    patients = selectors.clinic_patients(clinic_user(request), query)
    page = Paginator(patients, 25).get_page(request.GET.get("page"))
    return render(request, "reviews/prescriber/patient_list.html", {"page": page, "q": query})


@clinic_only
@GET_POST
def patient_create(request: HttpRequest) -> HttpResponse:
    user = clinic_user(request)
    form = PatientForm(posted(request), user=user)
    if request.method == "POST" and form.is_valid():
        try:
            patient = services.patient_create(actor=user, **form.cleaned_data)
        except services.ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Patient {patient} added.")
            return redirect(f"{reverse('prescriber:case_create')}?patient={patient.pk}")
    return render(request, "reviews/prescriber/patient_form.html", {"form": form})


# --- drafting and submitting ------------------------------------------------------------------

CONFIRM_FIELD = "confirm_incomplete"
CONFIRM_PROMPT = (
    "The checklist preview shows {shortfall}: the reviewer is likely to ask for more "
    "information or deny. Complete the request and save it, or tick \u201cSubmit anyway\u201d "
    "and submit again; nothing was submitted."
)


def _confirmed(request: HttpRequest) -> bool:
    return request.POST.get(CONFIRM_FIELD) == "yes"


def shortfall_of(checklist: dict[str, Any] | None) -> str:
    """ "2 lines unknown and 1 not met" for a checklist with any, else ""."""
    if not checklist:
        return ""
    parts = []
    if missing := len(checklist.get("missing", [])):
        parts.append(f"{missing} line{'s' if missing > 1 else ''} unknown")
    if failing := len(checklist.get("failing", [])):
        parts.append(f"{failing} line{'s' if failing > 1 else ''} not met")
    return " and ".join(parts)


def _checklist_or_none(form: RequestForm) -> dict[str, Any] | None:
    try:
        return services.evaluate_facts(patient=form.current_patient(), facts=form.facts())
    except services.ServiceError:
        return None  # the save itself reports what is wrong with the facts


def _save(
    request: HttpRequest, form: RequestForm, save: Callable[[bool], Case]
) -> HttpResponse | None:
    """Run a draft save or a submit; on a refusal put its message on the form, return None.
    A submit the checklist preview shows incomplete or failing waits for the clinic's
    confirmation (issue 16)."""
    submit = request.POST.get("action") == "submit"
    if submit and not _confirmed(request):
        shortfall = shortfall_of(_checklist_or_none(form))
        if shortfall:
            form.submit_shortfall = shortfall  # type: ignore[attr-defined]
            form.add_error(None, f"{CONFIRM_PROMPT.format(shortfall=shortfall)}")
            return None
    try:
        case = save(submit)
    except services.FactsInvalid as exc:
        add_facts_errors(form, exc.errors, form.facts())
    except services.ServiceError as exc:
        form.add_error(None, str(exc))
    else:
        if submit:
            messages.success(request, f"Request {case.reference} submitted for review.")
        else:
            messages.success(request, f"Draft {case.reference} saved.")
        return redirect("prescriber:case_detail", pk=case.pk)
    return None


@clinic_only
@GET_POST
def case_create(request: HttpRequest) -> HttpResponse:
    user = clinic_user(request)
    initial: dict[str, Any] | None = (
        {"patient": request.GET.get("patient")} if request.GET.get("patient") else None
    )
    copied = _copied_from(request, user)
    if copied is not None:
        # "Copy from previous request": its facts and details, for the same patient (issue 16).
        initial = {**initial_from_case(copied), "patient": copied.patient_id}
        initial.pop("planned_infusion_date", None)  # a new request plans its own infusion
    form = RequestForm(posted(request), user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        response = _save(
            request,
            form,
            lambda submit: (
                services.intake_file(
                    actor=user,
                    patient=form.cleaned_data["patient"],
                    request=_request_in(form, submit),
                    http_request=request,
                ).case
            ),
        )
        if response is not None:
            return response
    return render(
        request,
        "reviews/prescriber/case_form.html",
        {"form": form, "preview_url": reverse("prescriber:preview")},
    )


def _copied_from(request: HttpRequest, user: Any) -> Case | None:
    """The clinic's own earlier request named by ?copy= (another clinic's is a 404)."""
    wanted = request.GET.get("copy", "")
    if request.method != "GET" or not (wanted.isascii() and wanted.isdigit() and len(wanted) < 18):
        return None
    return case_for(user, int(wanted))


def _request_in(form: RequestForm, submit: bool) -> services.RequestIn:
    details = form.details()
    return services.RequestIn(
        facts=form.facts(),
        urgency=details.pop("urgency"),
        expedite_reason=details.pop("expedite_reason"),
        details=details,
        submit=submit,
    )


@clinic_only
@GET_POST
def case_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = clinic_user(request)
    case = case_for(user, pk)
    if not may(case.status, Action.EDIT, user.role, escalated=case.is_escalated):
        messages.info(request, "This request was submitted and is frozen; it cannot be edited.")
        return redirect("prescriber:case_detail", pk=case.pk)
    form = RequestForm(posted(request), user=user, case=case)
    if request.method == "POST" and form.is_valid():
        response = _save(
            request,
            form,
            lambda submit: services.case_revise(
                actor=user, case=case, facts=form.facts(), submit=submit, **form.details()
            ),
        )
        if response is not None:
            return response
    return render(
        request,
        "reviews/prescriber/case_form.html",
        {
            "form": form,
            "case": case,
            "preview_url": reverse("prescriber:case_preview", args=[case.pk]),
        },
    )


@clinic_only
@require_POST
def case_submit(request: HttpRequest, pk: int) -> HttpResponse:
    user = clinic_user(request)
    case = case_for(user, pk)
    if not _confirmed(request) and (shortfall := shortfall_of(_draft_checklist(case)[0])):
        messages.error(request, CONFIRM_PROMPT.format(shortfall=shortfall))
        return redirect("prescriber:case_detail", pk=case.pk)
    try:
        case = services.case_submit(actor=user, case=case)
    except services.FactsInvalid as exc:
        messages.error(request, f"The request could not be submitted: {exc}")
        return redirect("prescriber:case_edit", pk=case.pk)
    except services.ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Request {case.reference} submitted for review.")
    return redirect("prescriber:case_detail", pk=case.pk)


# --- the live checklist preview (htmx) --------------------------------------------------------


def _preview(
    request: HttpRequest, patient: Patient | None, case: Case | None = None
) -> HttpResponse:
    """The checklist the form's current (unsaved) facts would get; saves nothing. case: the
    saved request they are for (services.evaluate_facts)."""
    form = FactsForm(request.POST, patient=patient)
    form.is_valid()
    context: dict[str, Any] = {"form": form, "patient": patient}
    try:
        facts = form.facts()
        context["checklist"] = services.evaluate_facts(patient=patient, facts=facts, case=case)
    except services.FactsInvalid as exc:
        context["facts_errors"] = [labels.fact_error(path, message) for path, message in exc.errors]
    return render(request, "reviews/prescriber/_preview.html", context)


@clinic_only
@require_POST
def checklist_preview(request: HttpRequest) -> HttpResponse:
    patient_id = id_or_none(request.POST.get("patient"))
    patient = selectors.patient_or_none(clinic_user(request), patient_id) if patient_id else None
    return _preview(request, patient)


@clinic_only
@require_POST
def case_preview(request: HttpRequest, pk: int) -> HttpResponse:
    case = case_for(clinic_user(request), pk)
    return _preview(request, case.patient, case)


# --- following a request ----------------------------------------------------------------------


def _case_context(request: HttpRequest, case: Case) -> dict[str, Any]:
    """What every case page shows; writes the PHI-view audit row."""
    user = clinic_user(request)
    audit_record(action="case.view", request=request, case=case)
    actions = allowed_actions(case.status, user.role, escalated=case.is_escalated)
    record = case_record(case)
    return {
        "case": case,
        "patient": case.patient,
        "events": clinic_history(record.events),
        "documents": record.documents,
        "documents_by_criterion": documents_by_criterion(case, documents=record.documents),
        "facts_summary": FactsForm(initial=initial_from_facts(case.facts)).summary(),
        "rfis": record.rfis,
        "open_rfi": record.open_rfi,
        "decision": record.decision,
        "record_authorization": record.authorization,
        "authorized_dose": record.authorized_dose,
        "can_edit": Action.EDIT in actions,
        "can_answer": Action.ANSWER in actions,
        "can_withdraw": Action.WITHDRAW in actions,
        "can_upload": Action.ATTACH in actions,
        "removable": _removable(case, record.documents, actions),
    }


def _removable(case: Case, documents: list[Document], actions: list[str]) -> set[int]:
    """The documents the clinic may take back now: its own, while it could still attach one."""
    if Action.REMOVE_DOCUMENT not in actions:
        return set()
    return {
        d.pk
        for d in documents
        if d.uploaded_by.role == Role.PRESCRIBER
        and d.uploaded_by.organization_id == case.organization_id
    }


def _draft_checklist(case: Case) -> tuple[dict[str, Any] | None, list[str]]:
    """A draft's checklist as it would be on submission today (not stored), as the clinic may
    see it (services.preview_draft)."""
    try:
        return services.preview_draft(case), []
    except services.FactsInvalid as exc:
        return None, [labels.fact_error(path, message) for path, message in exc.errors]


def _render_detail(
    request: HttpRequest, case: Case, document_form: DocumentForm | None = None
) -> HttpResponse:
    context = _case_context(request, case)
    if case.status == Status.DRAFT:
        context["checklist"], context["facts_errors"] = _draft_checklist(case)
    else:
        context["checklist"] = case.checklist
    context["document_form"] = document_form or _failed_document_form(request, case)
    return render(request, "reviews/prescriber/case_detail.html", context)


@clinic_only
@require_GET
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, case_for(clinic_user(request), pk, with_outcome=True))


def _render_answer(
    request: HttpRequest,
    case: Case,
    form: AnswerForm | None = None,
    document_form: DocumentForm | None = None,
) -> HttpResponse:
    context = _case_context(request, case)
    context["form"] = form or AnswerForm(case=case)
    context["document_form"] = document_form or _failed_document_form(request, case)
    context["preview_url"] = reverse("prescriber:case_preview", args=[case.pk])
    # Attach and remove update the Documents card in place: the facts typed below stay put.
    context["documents_in_place"] = True
    return render(request, "reviews/prescriber/case_answer.html", context)


@clinic_only
@GET_POST
def case_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """Answer a request for information: corrected facts, the details an approval needs,
    documents and a note."""
    user = clinic_user(request)
    case = case_for(user, pk)
    if not may(case.status, Action.ANSWER, user.role, escalated=case.is_escalated):
        messages.info(request, "This request has no open request for information.")
        return redirect("prescriber:case_detail", pk=case.pk)
    if request.method == "GET":
        return _render_answer(request, case)
    form = AnswerForm(request.POST, case=case)
    if form.is_valid():
        try:
            services.case_answer_rfi(
                actor=user,
                case=case,
                facts=form.changed_facts(),
                note=form.cleaned_data["note"],
                details=form.changed_details(),
            )
        except services.FactsInvalid as exc:
            add_facts_errors(form, exc.errors, form.facts())
        except services.ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Answer sent; the request is back with the reviewer.")
            return redirect("prescriber:case_detail", pk=case.pk)
    return _render_answer(request, case, form=form)


# --- documents: attach and remove -------------------------------------------------------------
#
# On the answer page both go through htmx and answer with the Documents card alone, so the facts
# typed into the answer form below it are never lost (issue 16). Without htmx (and on the draft's
# page) they post/redirect/get: a refused upload's choices and errors wait once in the session
# for the page's next GET, so no page is ever rendered at the upload's POST-only URL.

FAILED_DOCUMENT = "clinic-failed-document"


def _documents_page(case: Case, user: User) -> str:
    """The page a case's Documents card is on: the answer page while answering, else the case's."""
    answering = may(case.status, Action.ANSWER, user.role, escalated=case.is_escalated)
    name = "prescriber:case_answer" if answering else "prescriber:case_detail"
    return f"{reverse(name, args=[case.pk])}#documents"


def _documents_card(
    request: HttpRequest,
    case: Case,
    *,
    document_form: DocumentForm | None = None,
    notice: str = "",
    error: str = "",
) -> HttpResponse:
    """The Documents card alone, as it stands now (htmx)."""
    user = clinic_user(request)
    actions = allowed_actions(case.status, user.role, escalated=case.is_escalated)
    documents = list(case.documents.select_related("uploaded_by"))
    context = {
        "case": case,
        "documents": documents,
        "document_form": document_form or DocumentForm(),
        "can_upload": Action.ATTACH in actions,
        "removable": _removable(case, documents, actions),
        "documents_in_place": True,
        "notice": notice,
        "error": error,
    }
    return render(request, "reviews/prescriber/_documents.html", context)


def _failed_document_form(request: HttpRequest, case: Case) -> DocumentForm:
    """A blank document form, or the one the last upload to this case was refused with."""
    kept = request.session.get(FAILED_DOCUMENT)
    if not kept or kept.get("pk") != case.pk:
        return DocumentForm()
    del request.session[FAILED_DOCUMENT]
    data = QueryDict(mutable=True)
    for key, values in kept["data"].items():
        data.setlist(key, values)
    form = DocumentForm(data)
    form.full_clean()
    form.errors.clear()  # the file is not kept: only the errors the upload got are shown
    for field, messages_ in kept["errors"].items():
        for message in messages_:
            form.add_error(None if field == "__all__" else field, message)
    return form


@clinic_only
@require_POST
def document_upload(request: HttpRequest, pk: int) -> HttpResponse:
    user = clinic_user(request)
    case = case_for(user, pk)
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            document = services.document_attach(
                actor=user,
                case=case,
                upload=form.cleaned_data["file"],
                kind=form.cleaned_data["kind"],
                supports=form.cleaned_data["supports"],
            )
        except services.ServiceError as exc:
            form.add_error("file", str(exc))
        else:
            notice = f"{document.original_name} attached."
            if _is_htmx(request):
                return _documents_card(request, case, notice=notice)
            messages.success(request, notice)
            return redirect(_documents_page(case, user))
    if _is_htmx(request):
        return _documents_card(request, case, document_form=form)
    request.session[FAILED_DOCUMENT] = {
        "pk": case.pk,
        "data": {key: request.POST.getlist(key) for key in ("kind", "supports")},
        "errors": {field: list(errors) for field, errors in form.errors.items()},
    }
    messages.error(request, "The document was not attached; see Documents below.")
    return redirect(_documents_page(case, user))


@clinic_only
@require_POST
def document_remove(request: HttpRequest, pk: int, document_pk: int) -> HttpResponse:
    """Take back a document the clinic attached (a draft, or while answering a request for
    information). Another case's or clinic's document, or one already removed, is a 404; a
    reason the form refuses is a 400, a refusal (the request moved on) a 409; neither changes
    anything."""
    user = clinic_user(request)
    case = case_for(user, pk)
    document = selectors.document_for(user, document_pk)
    if document.case_id != case.pk:
        raise Http404("No such document.")
    form = DocumentRemoveForm(request.POST)
    if not form.is_valid():
        return _removal_refused(
            request, case, " ".join(map(str, form.errors["reason"])), status=400
        )
    try:
        services.document_remove(actor=user, document=document, reason=form.cleaned_data["reason"])
    except services.ServiceError as exc:
        return _removal_refused(request, case, str(exc), status=409)
    notice = f"{document.original_name} removed; reviewers no longer see it."
    if _is_htmx(request):
        return _documents_card(request, case, notice=notice)
    messages.success(request, notice)
    return redirect(_documents_page(case, user))


def _removal_refused(
    request: HttpRequest, case: Case, message: str, *, status: int
) -> HttpResponse:
    """Nothing was removed: the Documents card saying why (htmx swaps only a 2xx), or a page."""
    if _is_htmx(request):
        return _documents_card(request, case, error=message)
    return render(
        request,
        "reviews/prescriber/document_refused.html",
        {"case": case, "message": message},
        status=status,
    )


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


@clinic_only
@GET_POST
def case_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    user = clinic_user(request)
    case = case_for(user, pk)
    if request.method == "GET" and Action.WITHDRAW not in allowed_actions(
        case.status, user.role, escalated=case.is_escalated
    ):
        messages.info(
            request, f"A request that is {case.get_status_display().lower()} cannot be withdrawn."
        )
        return redirect("prescriber:case_detail", pk=case.pk)
    form = WithdrawForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.case_withdraw(actor=user, case=case, reason=form.cleaned_data["reason"])
        except services.ServiceError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Request {case.reference} withdrawn.")
        return redirect("prescriber:case_detail", pk=case.pk)
    return render(request, "reviews/prescriber/case_withdraw.html", {"case": case, "form": form})


@clinic_only
@require_GET
def letter_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The letter box of a decided case; polled by htmx while the letter is being prepared."""
    case = case_for(clinic_user(request), pk)
    decision = decision_of(case)
    return render(request, "reviews/prescriber/_letter.html", {"case": case, "decision": decision})
