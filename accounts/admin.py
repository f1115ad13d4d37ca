from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import Organization, User


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin[Organization]):
    list_display = ("name", "npi", "phone")
    search_fields = ("name", "npi")


@admin.register(User)
class PortalUserAdmin(UserAdmin[User]):
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
