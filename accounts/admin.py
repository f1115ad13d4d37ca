from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

from audit.admin import AuditedModelAdmin
from audit.log import record

from .models import Organization, User


@admin.register(Organization)
class OrganizationAdmin(AuditedModelAdmin[Organization]):
    audit_name = "organization"
    list_display = ("name", "npi", "phone")
    search_fields = ("name", "npi")


@admin.register(User)
class PortalUserAdmin(AuditedModelAdmin[User], UserAdmin[User]):
    """Every add, change (role, clinic, active...) and password reset is audited."""

    audit_name = "user"
    list_display = ("username", "get_full_name", "role", "organization", "is_active")
    list_filter = ("role", "organization", "is_active")
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        ("Portal", {"fields": ("role", "organization", "credentials")}),
    )
    add_fieldsets = (
        *UserAdmin.add_fieldsets,
        ("Portal", {"fields": ("role", "organization", "credentials")}),
    )

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        # The admin's separate password form reaches no save_model; it ends here.
        changed = [f for part in message or [] for f in part.get("changed", {}).get("fields", [])]
        if "password" in changed:
            record(
                action="user.password_change", request=request, obj=obj, detail={"object": str(obj)}
            )
        return super().log_change(request, obj, message)
