"""The inbox (every signed-in user's own messages) and the delivery preferences."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.inputs import id_or_none
from accounts.models import REVIEWER_ROLES, Role, User
from audit.log import record as audit_record

from .models import KINDS_BY_ROLE, Delivery, Kind, Notification, Preference

INBOX_SIZE = 100


def inbox(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    notes = Notification.objects.filter(recipient=user).select_related("case")[:INBOX_SIZE]
    return render(request, "notifications/inbox.html", {"notes": notes})


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
    mine = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if request.POST.get("all"):
        mine.update(read_at=timezone.now())
        return redirect("notifications:inbox")
    note_id = id_or_none(request.POST.get("id"))
    note = Notification.objects.filter(recipient=user, pk=note_id).first() if note_id else None
    if note is None:
        return redirect("notifications:inbox")
    if note.read_at is None:
        Notification.objects.filter(pk=note.pk).update(read_at=timezone.now())
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
    current = {k.value: Delivery.IMMEDIATE.value for k in kinds}
    current.update(
        Preference.objects.filter(user=user, kind__in=current).values_list("kind", "delivery")
    )
    form = PreferencesForm(kinds, request.POST or None, initial=current)
    if request.method == "POST" and form.is_valid():
        changed = {k: v for k, v in form.cleaned_data.items() if current.get(k) != v}
        for kind, delivery in changed.items():
            Preference.objects.update_or_create(
                user=user, kind=kind, defaults={"delivery": delivery}
            )
        if changed:
            audit_record(
                action="notification.preferences", request=request, obj=user, detail=changed
            )
        messages.success(request, "Your notification preferences are saved.")
        return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {"form": form, "kinds": kinds})
