from django.urls import include, path

from .views import audit, prescriber, reviewer

prescriber_patterns = [
    path("", prescriber.case_list, name="case_list"),
]
reviewer_patterns = [
    path("", reviewer.queue, name="queue"),
]
audit_patterns = [
    path("", audit.log, name="log"),
]

urlpatterns = [
    path("clinic/", include((prescriber_patterns, "prescriber"))),
    path("review/", include((reviewer_patterns, "reviewer"))),
    path("audit/", include((audit_patterns, "audit"))),
]
