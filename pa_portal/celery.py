"""Celery application. Beat uses Celery's own schedule (django-celery-beat pins Django<6.1)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pa_portal.settings")

app = Celery("pa_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
