from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from audit.log import record

from .models import Case, PolicySetting
from .policy import FIELDS, current_policy_settings, default_policy_settings


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin[Case]):
    """Read-only: every change to a case goes through reviews.services (locks, workflow checks,
    events and audit rows), which a form in the admin would bypass."""

    list_display = (
        "reference",
        "patient",
        "member_id",
        "organization",
        "urgency",
        "status",
        "recommendation",
        "assigned_to",
        "due_at",
    )
    list_filter = ("status", "urgency", "organization")
    list_select_related = ("patient", "organization", "assigned_to")
    search_fields = ("reference", "member_id")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Case | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Case | None = None) -> bool:
        return False


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
        return HttpResponseRedirect(reverse(f"admin:reviews_policysetting_{name}", args=args))

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
