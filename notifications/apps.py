from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from reviews.models import CaseEvent

        from .receivers import on_case_event

        post_save.connect(on_case_event, sender=CaseEvent, dispatch_uid="notifications.case_event")
