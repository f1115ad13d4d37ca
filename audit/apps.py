from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        from django.contrib.auth import signals
        from django.db.models.signals import post_migrate

        from . import roles
        from . import signals as receivers

        post_migrate.connect(roles.after_migrate, sender=self, dispatch_uid="audit.roles")

        signals.user_logged_in.connect(receivers.on_login, dispatch_uid="audit.login")
        signals.user_logged_out.connect(receivers.on_logout, dispatch_uid="audit.logout")
        signals.user_login_failed.connect(receivers.on_login_failed, dispatch_uid="audit.failed")
