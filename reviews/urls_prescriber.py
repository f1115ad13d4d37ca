from django.urls import path

from .views import appeals, prescriber

app_name = "prescriber"

urlpatterns = [
    path("", prescriber.case_list, name="case_list"),
    path("patients/", prescriber.patient_list, name="patient_list"),
    path("patients/new/", prescriber.patient_create, name="patient_create"),
    path("requests/new/", prescriber.case_create, name="case_create"),
    path("requests/preview/", prescriber.checklist_preview, name="preview"),
    path("requests/<int:pk>/", prescriber.case_detail, name="case_detail"),
    path("requests/<int:pk>/edit/", prescriber.case_edit, name="case_edit"),
    path("requests/<int:pk>/preview/", prescriber.case_preview, name="case_preview"),
    path("requests/<int:pk>/submit/", prescriber.case_submit, name="case_submit"),
    path("requests/<int:pk>/documents/", prescriber.document_upload, name="document_upload"),
    path(
        "requests/<int:pk>/documents/<int:document_pk>/remove/",
        prescriber.document_remove,
        name="document_remove",
    ),
    path("requests/<int:pk>/answer/", prescriber.case_answer, name="case_answer"),
    path("requests/<int:pk>/withdraw/", prescriber.case_withdraw, name="case_withdraw"),
    path("requests/<int:pk>/letter/", prescriber.letter_status, name="letter_status"),
    path("requests/<int:pk>/appeal/", appeals.case_appeal, name="case_appeal"),
]
