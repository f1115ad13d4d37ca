from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect

from .context_processors import NAVIGATION, home_url_for


def home(request: HttpRequest) -> HttpResponse:
    """Send each role to its own home page."""
    role = getattr(request.user, "role", "")
    if role not in NAVIGATION:
        raise PermissionDenied("Your account has no role; ask an administrator.")
    return redirect(home_url_for(role))


@login_not_required
def healthz(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})
