from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from .log import record
from .models import AuditLog, PolicySetting
from .policy import FIELDS, current_policy_settings, default_policy_settings


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin[AuditLog]):
    """Read-only: the log is evidence, and the database refuses changes anyway."""

    list_display = ("at", "actor_username", "actor_role", "action", "object_type", "object_id")
    list_filter = ("action", "actor_role")
    search_fields = ("actor_username", "object_id")
    date_hierarchy = "at"

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
        self._record_deletion(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[M]) -> None:
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


# --- policy settings -----------------------------------------------------------------------------


class DefaultableBooleanSelect(forms.NullBooleanSelect):
    """Yes / No / "use the environment's default" instead of Django's "Unknown"."""

    def __init__(self, default: bool, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.choices = [
            ("unknown", f"Use the default ({'yes' if default else 'no'})"),
            ("true", "Yes"),
            ("false", "No"),
        ]


class PolicySettingForm(forms.ModelForm[PolicySetting]):
    class Meta:
        model = PolicySetting
        fields = list(FIELDS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        defaults = default_policy_settings().as_dict()
        for name, field in self.fields.items():
            default = defaults[name]
            if isinstance(default, bool):
                field.widget = DefaultableBooleanSelect(default)
            else:
                field.help_text = f"Empty: the default from the environment, {default}."


@admin.register(PolicySetting)
class PolicySettingAdmin(admin.ModelAdmin[PolicySetting]):
    """One row; a change applies to the next action and writes "settings.change"."""

    form = PolicySettingForm
    readonly_fields = ("updated_at", "updated_by")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and not PolicySetting.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: PolicySetting | None = None) -> bool:
        return False  # clearing a field returns it to the default; the row itself stays

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # A list of one row is a detour: go straight to the form.
        existing = PolicySetting.objects.first()
        name = "change" if existing else "add"
        args = [existing.pk] if existing else []
        return HttpResponseRedirect(reverse(f"admin:audit_policysetting_{name}", args=args))

    def save_model(self, request: HttpRequest, obj: PolicySetting, form: Any, change: bool) -> None:
        before = current_policy_settings().as_dict()
        obj.updated_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)
        after = current_policy_settings().as_dict()
        record(
            action="settings.change",
            request=request,
            obj=obj,
            detail={
                "before": before,
                "after": after,
                "changed": [name for name in FIELDS if before[name] != after[name]],
            },
        )
