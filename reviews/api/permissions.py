from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts.models import Role


class IsClinicStaff(BasePermission):
    """Prescriber-office staff of a clinic; everyone else is refused (403)."""

    message = "Only prescriber-office staff may use the prior-authorization API."

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(
            user.is_authenticated
            and getattr(user, "role", None) == Role.PRESCRIBER
            and getattr(user, "organization_id", None)
        )
