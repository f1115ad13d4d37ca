from django.urls import path

from .views import prescriber

app_name = "prescriber"

urlpatterns = [
    path("", prescriber.case_list, name="case_list"),
]
