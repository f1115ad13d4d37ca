"""The inbox (every signed-in user's own messages) and the delivery preferences."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.inputs import id_or_none
from accounts.models import REVIEWER_ROLES, Role, User

from . import selectors, services
from .models import KINDS_BY_ROLE, Delivery, Kind, Notification


def inbox(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    return render(request, "notifications/inbox.html", {"notes": selectors.inbox_of(user)})


def case_url(user: User, note: Notification) -> str:
    if note.case_id is None:
        return reverse("notifications:inbox")
    if user.role == Role.PRESCRIBER:
        return reverse("prescriber:case_detail", kwargs={"pk": note.case_id})
    if user.role in REVIEWER_ROLES:
        return reverse("reviewer:case", kwargs={"pk": note.case_id})
    return reverse("notifications:inbox")


@require_POST
def read(request: HttpRequest) -> HttpResponse:
    """Mark one of one's own messages read (id) and open its case, or all of them (all)."""
    user = request.user
    assert isinstance(user, User)
    if request.POST.get("all"):
        services.notifications_mark_read(actor=user)
        return redirect("notifications:inbox")
    note = selectors.note_of(user, id_or_none(request.POST.get("id")))
    if note is None:
        return redirect("notifications:inbox")
    services.notifications_mark_read(actor=user, note=note)
    return redirect(case_url(user, note))


class PreferencesForm(forms.Form):
    def __init__(self, kinds: tuple[Kind, ...], *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for kind in kinds:
            self.fields[kind.value] = forms.ChoiceField(
                label=kind.label, choices=Delivery.choices, widget=forms.RadioSelect
            )


def preferences(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    kinds = KINDS_BY_ROLE.get(user.role, ())
    current = selectors.deliveries_of(user)
    form = PreferencesForm(kinds, request.POST or None, initial=current)
    if request.method == "POST" and form.is_valid():
        changed = {k: v for k, v in form.cleaned_data.items() if current.get(k) != v}
        services.preferences_set(actor=user, changes=changed, request=request)
        messages.success(request, "Your notification preferences are saved.")
        return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {"form": form, "kinds": kinds})
