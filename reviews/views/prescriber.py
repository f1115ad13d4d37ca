from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.models import Role
from accounts.permissions import role_required


@role_required(Role.PRESCRIBER)
def case_list(request: HttpRequest) -> HttpResponse:
    return render(request, "reviews/prescriber/case_list.html", {})
