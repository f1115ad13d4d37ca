from django.urls import path

from .views import reviewer

app_name = "reviewer"

urlpatterns = [
    path("", reviewer.queue, name="queue"),
    path("cases/<int:pk>/", reviewer.case_detail, name="case"),
    path("cases/<int:pk>/claim/", reviewer.claim, name="claim"),
    # assign, release, pend, escalate, override, approve, deny: one POST view, one URL each.
    *[
        path(f"cases/<int:pk>/{action}/", reviewer.case_action, {"action": action}, name=action)
        for action in reviewer.ACTIONS
    ],
    path("cases/<int:pk>/lines/<slug:criterion>/rule/", reviewer.rule_line, name="rule_line"),
    path("cases/<int:pk>/letter/status/", reviewer.letter_status, name="letter_status"),
    path("cases/<int:pk>/notes/", reviewer.note_add, name="note_add"),
]
