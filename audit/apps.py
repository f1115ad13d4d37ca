from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        from django.contrib.auth import signals

        from . import signals as receivers

        signals.user_logged_in.connect(receivers.on_login, dispatch_uid="audit.login")
        signals.user_logged_out.connect(receivers.on_logout, dispatch_uid="audit.logout")
        signals.user_login_failed.connect(receivers.on_login_failed, dispatch_uid="audit.failed")
