from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts import api as account_api
from accounts import views as account_views

urlpatterns = [
    path("", account_views.home, name="home"),
    path("healthz", account_views.healthz, name="healthz"),
    path("accounts/login/", account_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/two-factor/", account_views.two_factor_verify, name="two_factor_verify"),
    path("accounts/two-factor/setup/", account_views.two_factor_setup, name="two_factor_setup"),
    path(
        "accounts/two-factor/enrol/<str:token>/",
        account_views.two_factor_enrol,
        name="two_factor_enrol",
    ),
    path("accounts/security/", account_views.account, name="account"),
    path("api/auth/token/", account_api.token_sign_in, name="api_token_sign_in"),
    path("api/auth/sign-out/", account_api.token_sign_out, name="api_token_sign_out"),
    path("admin/", admin.site.urls),
    path("audit/", include("oversight.urls")),
    path("api/", include("reviews.api.urls")),
    path("fhir/", include("pas.urls")),
    path("notifications/", include("notifications.urls")),
    path("", include("reviews.urls")),
]
