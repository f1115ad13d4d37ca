from django.contrib.auth.decorators import login_not_required
from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from . import views

app_name = "api"

# REST framework authenticates these itself (token or session), so the site-wide login redirect
# is lifted; each view's permission classes still refuse anyone not allowed.
urlpatterns = [
    path("schema/", login_not_required(SpectacularAPIView.as_view()), name="schema"),
    path("cases/", login_not_required(views.cases), name="cases"),
    path("cases/<int:pk>/", login_not_required(views.case_detail), name="case_detail"),
    path("cases/<int:pk>/submit/", login_not_required(views.case_submit), name="case_submit"),
    path("cases/<int:pk>/answer/", login_not_required(views.case_answer), name="case_answer"),
    path("cases/<int:pk>/withdraw/", login_not_required(views.case_withdraw), name="case_withdraw"),
    path(
        "cases/<int:pk>/documents/",
        login_not_required(views.case_documents),
        name="case_documents",
    ),
    path("cases/<int:pk>/letter/", login_not_required(views.case_letter), name="case_letter"),
    path("documents/<int:pk>/", login_not_required(views.document_file), name="document_file"),
]
