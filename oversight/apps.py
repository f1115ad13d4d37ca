from django.apps import AppConfig


class OversightConfig(AppConfig):
    """The auditors' pages: the audit log searched, a case's timeline and decision snapshot,
    CSV exports, the metrics and the public report. It reads the audit log (audit) and the cases
    (reviews); neither imports it."""

    name = "oversight"
    verbose_name = "Oversight"
