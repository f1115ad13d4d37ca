from django.urls import path

from .views import reviewer

app_name = "reviewer"

urlpatterns = [
    path("", reviewer.queue, name="queue"),
]
