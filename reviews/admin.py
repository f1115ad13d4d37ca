from django.contrib import admin
from django.http import HttpRequest

from .models import Case


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
