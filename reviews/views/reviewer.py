from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.models import Role
from accounts.permissions import role_required


@role_required(Role.PHARMACIST, Role.MEDICAL_DIRECTOR)
def queue(request: HttpRequest) -> HttpResponse:
    return render(request, "reviews/reviewer/queue.html", {})
