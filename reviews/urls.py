from django.urls import include, path

from .views import documents

urlpatterns = [
    path("clinic/", include("reviews.urls_prescriber")),
    path("review/", include("reviews.urls_reviewer")),
    # Shared by every role that may see the case; the views check that through the selectors.
    path("documents/<int:pk>/", documents.document_download, name="document_download"),
    path("documents/<int:pk>/inline/", documents.document_inline, name="document_inline"),
    path("documents/<int:pk>/viewer/", documents.document_viewer, name="document_viewer"),
    path("cases/<int:pk>/letter/", documents.letter_download, name="letter_download"),
]
