from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.models import Role
from accounts.permissions import role_required


@role_required(Role.AUDITOR, Role.ADMIN)
def log(request: HttpRequest) -> HttpResponse:
    return render(request, "audit/log.html", {})
