"""The append-only audit log (PostgreSQL itself refuses UPDATE and DELETE on it, see 0002; the
application's role may only INSERT and SELECT, see 0006)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.fields.json import KT
from django.db.models.functions import Upper


class AuditLog(models.Model):
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    # actor and case have no index of their own: audit_actor_at and audit_case_at lead with them.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    # Copied at write time so the row still says who it was if the user is renamed later.
    actor_username = models.CharField(max_length=150, blank=True)
    actor_role = models.CharField(max_length=20, blank=True)
    organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=40)  # indexed with the time: audit_action_at below
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.CharField(max_length=40, blank=True)
    case = models.ForeignKey(
        "reviews.Case",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_rows",
        db_index=False,
    )
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    # The hash chain (audit/chain.py): PostgreSQL's BEFORE INSERT trigger (migration 0006) sets all
    # three under a lock, whatever the INSERT says; db_default makes Django read them back.
    chain_seq = models.BigIntegerField("chain position", db_default=0, editable=False)
    prev_hash = models.CharField(max_length=64, db_default="", editable=False)
    row_hash = models.CharField(max_length=64, db_default="", editable=False)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["actor", "-at"], name="audit_actor_at"),
            models.Index(fields=["case", "-at"], name="audit_case_at"),
            # Bench indexes (issue 9): one action's rows newest first, a page deep or shallow;
            models.Index(fields=["action", "-at", "-id"], name="audit_action_at"),
            # the log's user search is case-insensitive and also finds failed logins by the
            # username tried (bench/README.md, issue 9).
            models.Index(Upper("actor_username"), name="audit_username_upper"),
            models.Index(
                Upper(KT("detail__username")),
                condition=Q(action="auth.login_failed"),
                name="audit_failed_username",
            ),
        ]
        constraints = [
            # Also the index the trigger reads the chain's head from.
            models.UniqueConstraint(fields=["chain_seq"], name="audit_chain_seq_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_username or 'system'} {self.action}"
