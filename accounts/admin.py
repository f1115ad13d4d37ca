import contextlib
from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.admin import AuditedModelAdmin
from audit.log import record

from .enrolment import issue_link
from .models import ApiToken, EnrolmentLink, Organization, User
from .tokens import revoke
from .two_factor import needs_second_factor


@admin.register(Organization)
class OrganizationAdmin(AuditedModelAdmin[Organization]):
    audit_name = "organization"
    list_display = ("name", "npi", "phone")
    search_fields = ("name", "npi")


@admin.action(description="Issue a two-factor enrolment link (24 h, single use)")
def issue_enrolment_links(
    modeladmin: "PortalUserAdmin", request: HttpRequest, queryset: QuerySet[User]
) -> HttpResponse | None:
    """Shows each new link once, on this page; only its hash is kept."""
    issued, skipped = [], []
    for user in queryset.order_by("username"):
        if not needs_second_factor(user):
            skipped.append(user.username)
            continue
        _, path = issue_link(user, issued_by=request.user, request=request)  # type: ignore[arg-type]
        issued.append((user, request.build_absolute_uri(path)))
    if skipped:
        messages.info(request, f"No second factor for clinic staff: {', '.join(skipped)}.")
    if not issued:
        return None
    context = {**modeladmin.admin_site.each_context(request), "issued": issued,
               "hours": settings.ENROLMENT_LINK_HOURS, "title": "Enrolment links"}  # fmt: skip
    return TemplateResponse(request, "accounts/admin_enrolment_links.html", context)


@admin.register(User)
class PortalUserAdmin(AuditedModelAdmin[User], UserAdmin[User]):
    """Every add, change (role, clinic, active...) and password reset is audited."""

    audit_name = "user"
    list_display = ("username", "get_full_name", "role", "organization", "is_active")
    list_filter = ("role", "organization", "is_active")
    actions = (issue_enrolment_links,)
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


# Secrets never appear in the admin: django-otp's own admin pages show a TOTP key (and its QR
# code) and every backup code, so they are replaced by these, which show neither. Devices can
# be listed and deleted (a lost phone), never added here: enrolment is by link only.
for model in (TOTPDevice, StaticDevice):
    with contextlib.suppress(NotRegistered):
        admin.site.unregister(model)


class SecretFreeDeviceAdmin[M: TOTPDevice | StaticDevice](admin.ModelAdmin[M]):
    list_display = ("user", "name", "confirmed")
    list_filter = ("confirmed",)
    search_fields = ("user__username",)
    fields = ("user", "name", "confirmed")
    readonly_fields = ("user", "name", "confirmed")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


admin.site.register(TOTPDevice, SecretFreeDeviceAdmin[TOTPDevice])
admin.site.register(StaticDevice, SecretFreeDeviceAdmin[StaticDevice])


@admin.action(description="Revoke the selected API tokens")
def revoke_tokens(
    modeladmin: "ApiTokenAdmin", request: HttpRequest, queryset: QuerySet[ApiToken]
) -> None:
    count = sum(revoke(t, request=request, why="revoked by an administrator") for t in queryset)
    messages.success(request, f"Revoked {count} token(s).")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    """Tokens by user and device; the token itself is never stored, its hash never shown."""

    list_display = ("user", "name", "created_at", "expires_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("user__username", "name")
    fields = ("user", "name", "created_at", "expires_at", "last_used_at", "revoked_at")
    readonly_fields = fields
    actions = (revoke_tokens,)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # issued by their owner (account page or API sign-in), shown once

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoked, not deleted: the row says when


@admin.register(EnrolmentLink)
class EnrolmentLinkAdmin(admin.ModelAdmin[EnrolmentLink]):
    list_display = ("user", "created_by", "created_at", "expires_at", "used_at")
    fields = ("user", "created_by", "created_at", "expires_at", "used_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # issued with the action on users, which shows the link once

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
