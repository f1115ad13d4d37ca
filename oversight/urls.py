from django.urls import path

from . import public_report, views

app_name = "audit"

urlpatterns = [
    path("", views.log, name="log"),
    path("log.csv", views.log_csv, name="log_csv"),
    path("cases/<int:pk>/", views.case_detail, name="case"),
    path("metrics/", views.metrics, name="metrics"),
    path("chain/", views.chain, name="chain"),
    path("metrics.csv", views.metrics_csv, name="metrics_csv"),
    path("decisions.csv", views.decisions_csv, name="decisions_csv"),
    path("public-report/", public_report.report_page, name="public_report"),
    path("public-report.csv", public_report.report_csv, name="public_report_csv"),
]
