from django.urls import path

from .views import reviewer

app_name = "reviewer"

urlpatterns = [
    path("", reviewer.queue, name="queue"),
    path("cases/<int:pk>/", reviewer.case_detail, name="case"),
    path("cases/<int:pk>/claim/", reviewer.claim, name="claim"),
    path("cases/<int:pk>/assign/", reviewer.assign, name="assign"),
    path("cases/<int:pk>/release/", reviewer.release, name="release"),
    path("cases/<int:pk>/pend/", reviewer.pend, name="pend"),
    path("cases/<int:pk>/escalate/", reviewer.escalate, name="escalate"),
    path("cases/<int:pk>/override/", reviewer.override, name="override"),
    path("cases/<int:pk>/approve/", reviewer.approve, name="approve"),
    path("cases/<int:pk>/deny/", reviewer.deny, name="deny"),
    path("cases/<int:pk>/letter/status/", reviewer.letter_status, name="letter_status"),
]
