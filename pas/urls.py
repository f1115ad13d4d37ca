from django.contrib.auth.decorators import login_not_required
from django.urls import path

from . import views

app_name = "fhir"

# DRF authenticates these itself (token or session), so the login redirect must not step in.
urlpatterns = [
    path("metadata", login_not_required(views.CapabilityView.as_view()), name="metadata"),
    path("Claim/$submit", login_not_required(views.ClaimSubmitView.as_view()), name="submit"),
    path("Claim/$inquire", login_not_required(views.ClaimInquireView.as_view()), name="inquire"),
    path(
        "Subscription",
        login_not_required(views.SubscriptionsView.as_view()),
        name="subscriptions",
    ),
    path(
        "Subscription/<str:subscription_id>",
        login_not_required(views.SubscriptionView.as_view()),
        name="subscription",
    ),
    path(
        "Questionnaire/hemgenix",
        login_not_required(views.QuestionnaireView.as_view()),
        name="questionnaire",
    ),
    path(
        "CodeSystem/<slug:system_id>",
        login_not_required(views.CodeSystemView.as_view()),
        name="codesystem",
    ),
]
