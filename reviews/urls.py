from django.urls import include, path

urlpatterns = [
    path("clinic/", include("reviews.urls_prescriber")),
    path("review/", include("reviews.urls_reviewer")),
]
