"""The clinic's appeal of a denial (services.case_appeal): statement, new facts, documents."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from accounts.models import Role, User
from accounts.permissions import role_required

from .. import services
from ..forms_prescriber import APPROVAL_DETAILS, ApprovalDetailsForm
from ..models import CLINIC_TEXT_MAX_LENGTH, Case, DocumentKind, Status, Urgency
from ..selectors import case_for


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input (Django's documented pattern)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class AppealForm(ApprovalDetailsForm):
    """The appeal; the approval details given replace the denied request's (a planned infusion
    date passed since the denial, a new weight); left empty, the denied request's stand."""

    statement = forms.CharField(
        label="Why the decision should change",
        max_length=CLINIC_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="What the reviewer missed or what is new since the request.",
    )
    new_facts = forms.CharField(
        label="New or corrected facts (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line, as name = value, e.g. fix_activity_value = 1.",
    )
    urgency = forms.ChoiceField(choices=Urgency.choices, initial=Urgency.STANDARD)
    expedite_reason = forms.CharField(
        label="Why the appeal is urgent (expedited only)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    documents = MultipleFileField(label="Supporting documents (PDF, PNG, JPEG)", required=False)
    document_kind = forms.ChoiceField(
        label="Kind of documents", choices=DocumentKind.choices, initial=DocumentKind.LAB_REPORT
    )

    field_order = ["statement", "new_facts", *APPROVAL_DETAILS]

    def clean_new_facts(self) -> dict[str, Any]:
        facts: dict[str, Any] = {}
        for number, line in enumerate(self.cleaned_data["new_facts"].splitlines(), start=1):
            if not line.strip():
                continue
            name, sep, value = line.partition("=")
            if not sep or not name.strip():
                raise forms.ValidationError(f"Line {number}: write name = value.")
            text = value.strip()
            facts[name.strip()] = {"true": True, "false": False}.get(text.lower(), text)
        return facts


def appealable(case: Case) -> str:
    """Why the case cannot be appealed now, or "" if it can."""
    if case.status != Status.DENIED:
        return "Only a denied request can be appealed."
    if case.appeal_of_id is not None:
        return "This is already the decision on an appeal; the letter explains external review."
    if case.appeals.exists():
        return "This denial has already been appealed."
    deadline = services.appeal_deadline(case)
    if deadline is not None and timezone.localdate() > deadline:
        return f"The appeal deadline ({deadline:%B} {deadline.day}, {deadline.year}) has passed."
    return ""


@role_required(Role.PRESCRIBER)
@require_http_methods(["GET", "POST"])
def case_appeal(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    case = case_for(user, pk)
    refusal = appealable(case)
    if refusal:
        return render(
            request, "reviews/prescriber/case_appeal.html", {"case": case, "refusal": refusal}
        )
    form = AppealForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            appeal = services.case_appeal(
                actor=user,
                case=case,
                statement=data["statement"],
                facts=data["new_facts"],
                documents=[(upload, data["document_kind"]) for upload in data["documents"]],
                urgency=data["urgency"],
                expedite_reason=data["expedite_reason"],
                details={name: data.get(name) for name in APPROVAL_DETAILS},
            )
        except services.ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, f"Appeal {appeal.reference} filed: it is reviewed as a request of its own."
            )
            return redirect("prescriber:case_detail", pk=appeal.pk)
    context = {"case": case, "form": form, "deadline": services.appeal_deadline(case)}
    return render(request, "reviews/prescriber/case_appeal.html", context)
