"""The append-only audit log (PostgreSQL itself refuses UPDATE and DELETE on it, see 0002; the
application's role may only INSERT and SELECT, see 0006) and the administrators' policy settings."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
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


class PolicySetting(models.Model):
    """The payer's operating rules, edited by administrators. One row at most (id 1).

    An empty field means "use the environment's default" (pa_portal/settings.py), so a fresh
    install behaves as configured. Read the effective values with
    audit.policy.current_policy_settings(), never from this model directly.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    review_clock_hours_standard = models.PositiveSmallIntegerField(
        "review clock, standard requests (hours)",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 30)],
    )
    review_clock_hours_expedited = models.PositiveSmallIntegerField(
        "review clock, expedited requests (hours)",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 30)],
    )
    clock_pauses_while_pended = models.BooleanField(
        "review clock pauses while a request is pended", null=True, blank=True
    )
    denial_requires_medical_director = models.BooleanField(
        "only the medical director may deny", null=True, blank=True
    )
    authorization_valid_days = models.PositiveSmallIntegerField(
        "authorization valid for (days)",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(3660)],
    )
    appeal_deadline_days = models.PositiveSmallIntegerField(
        "appeal deadline (days after the decision)",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(3660)],
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )

    class Meta:
        verbose_name = "policy settings"
        verbose_name_plural = "policy settings"
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="policy_setting_single_row")
        ]

    def __str__(self) -> str:
        return "Policy settings"
