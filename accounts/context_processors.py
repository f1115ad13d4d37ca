from django.http import HttpRequest
from django.urls import reverse

from .models import Role

# Each role's navigation; the first entry is that role's home page.
NAVIGATION: dict[str, list[tuple[str, str]]] = {
    Role.PRESCRIBER: [("Requests", "prescriber:case_list")],
    Role.PHARMACIST: [("Review queue", "reviewer:queue")],
    Role.MEDICAL_DIRECTOR: [("Review queue", "reviewer:queue")],
    Role.AUDITOR: [("Audit log", "audit:log"), ("Metrics", "audit:metrics")],
    Role.ADMIN: [
        ("Audit log", "audit:log"),
        ("Metrics", "audit:metrics"),
        ("Administration", "admin:index"),
    ],
}
# Everyone's own security page (failed log-ins, second factor, API tokens) comes last.
for _items in NAVIGATION.values():
    _items.append(("Account", "account"))


def home_url_for(role: str) -> str:
    return reverse(NAVIGATION[role][0][1])


def navigation(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.role not in NAVIGATION:
        return {"nav_items": []}
    return {"nav_items": [(label, reverse(name)) for label, name in NAVIGATION[user.role]]}
