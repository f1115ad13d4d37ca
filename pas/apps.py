from django.apps import AppConfig
from django.db.models.signals import post_save


class PasConfig(AppConfig):
    name = "pas"
    verbose_name = "FHIR (Da Vinci PAS)"

    def ready(self) -> None:
        from reviews.models import CaseEvent

        from .subscriptions import on_case_event

        # A decision's CaseEvent queues the Subscriptions' notifications in its transaction.
        post_save.connect(on_case_event, sender=CaseEvent, dispatch_uid="pas.subscriptions")
