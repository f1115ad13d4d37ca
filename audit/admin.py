from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest

from .log import claim_actor, record
from .models import AuditLog


class DrillDownChangeList(ChangeList):
    """The date drill-down (?at__year=9999) asks Django for the day, month or year after the
    one chosen, which past year 9999 is no date: that error is a bad filter (the admin's "?e=1"
    page), as a month 13 already is, not a server error."""

    def get_filters(self, request: HttpRequest) -> Any:
        try:
            return super().get_filters(request)
        except (OverflowError, ValueError) as error:
            raise IncorrectLookupParameters(error) from error


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin[AuditLog]):
    """Read-only: the log is evidence, and the database refuses changes anyway."""

    list_display = ("at", "actor_username", "actor_role", "action", "object_type", "object_id")
    list_filter = ("action", "actor_role")
    search_fields = ("actor_username", "object_id")
    date_hierarchy = "at"

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return DrillDownChangeList

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditLog | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditLog | None = None) -> bool:
        return False


# --- audited administration --------------------------------------------------------------------


def _field_values(obj: models.Model, names: list[str]) -> dict[str, str]:
    """The named concrete fields as text; passwords (hashes included) are never written down."""
    values = {}
    for name in names:
        try:
            field = obj._meta.get_field(name)
        except FieldDoesNotExist:
            continue  # a form-only field such as password1
        if field.concrete and not field.many_to_many and "password" not in name:
            values[name] = field.value_to_string(obj)
    return values


def _changed_fields(form: forms.Form) -> list[str]:
    names = [n for n in form.changed_data if "password" not in n]
    return [*names, "password"] if len(names) < len(form.changed_data) else names


class AuditedModelAdmin[M: models.Model](admin.ModelAdmin[M]):
    """Writes an audit row ("<audit_name>.add/.change/.delete") for every admin write, with
    the changed fields before and after."""

    audit_name = ""

    def save_model(self, request: HttpRequest, obj: M, form: Any, change: bool) -> None:
        model = type(obj)
        before = (
            _field_values(model._default_manager.get(pk=obj.pk), form.changed_data)
            if change
            else {}
        )
        claim_actor(request.user)
        super().save_model(request, obj, form, change)
        record(
            action=f"{self.audit_name}.{'change' if change else 'add'}",
            request=request,
            obj=obj,
            detail={
                "object": str(obj),
                "fields": _changed_fields(form),
                "before": before,
                "after": _field_values(obj, form.changed_data),
            },
        )

    def delete_model(self, request: HttpRequest, obj: M) -> None:
        claim_actor(request.user)
        self._record_deletion(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[M]) -> None:
        claim_actor(request.user)
        for obj in queryset:
            self._record_deletion(request, obj)
        super().delete_queryset(request, queryset)

    def _record_deletion(self, request: HttpRequest, obj: M) -> None:
        record(
            action=f"{self.audit_name}.delete",
            request=request,
            obj=obj,
            detail={"object": str(obj)},
        )
