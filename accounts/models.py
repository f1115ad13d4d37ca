from typing import Any

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.crypto import salted_hmac

from .spelling import username_key
from .validators import validate_npi


class Organization(models.Model):
    """A prescriber clinic. Clinic staff see only their own organization's patients and cases."""

    name = models.CharField(max_length=200, unique=True)
    npi = models.CharField(
        "organization NPI", max_length=10, unique=True, validators=[validate_npi]
    )
    phone = models.CharField(max_length=30, blank=True)
    fax = models.CharField(max_length=30, blank=True)
    address = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    PRESCRIBER = "prescriber", "Prescriber office staff"
    PHARMACIST = "pharmacist", "Pharmacist reviewer"
    MEDICAL_DIRECTOR = "medical_director", "Medical director"
    AUDITOR = "auditor", "Auditor"
    ADMIN = "admin", "Administrator"


# The role sets, defined here once; every rule that names a group of roles uses these.
CLINIC_ROLES = frozenset({Role.PRESCRIBER})
REVIEWER_ROLES = frozenset({Role.PHARMACIST, Role.MEDICAL_DIRECTOR})
DIRECTOR_ROLES = frozenset({Role.MEDICAL_DIRECTOR})
OVERSIGHT_ROLES = frozenset({Role.AUDITOR, Role.ADMIN})
# Everyone on the payer's side: they see every clinic's submitted cases.
PAYER_STAFF_ROLES = REVIEWER_ROLES | OVERSIGHT_ROLES


class PortalUserManager(UserManager["User"]):
    def create_superuser(
        self, username: str, email: str | None = None, password: str | None = None, **extra: object
    ) -> "User":
        extra.setdefault("role", Role.ADMIN)
        return super().create_superuser(username, email, password, **extra)


class User(AbstractUser):
    role = models.CharField(max_length=20, choices=Role.choices)
    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
        help_text="Required for prescriber office staff; empty for payer staff.",
    )
    credentials = models.CharField(
        max_length=100, blank=True, help_text="Shown on determination letters, e.g. PharmD, BCPS."
    )
    # The username as it reads (accounts.spelling.username_key), unique: the audit log names
    # people by username, so no two may differ only in case or in look-alike letters.
    username_key = models.CharField(max_length=150, unique=True, editable=False)

    objects = PortalUserManager()  # type: ignore[misc]

    class Meta:
        constraints = [
            # Clinic staff belong to exactly one clinic; payer staff belong to none.
            models.CheckConstraint(
                condition=(Q(role=Role.PRESCRIBER) & Q(organization__isnull=False))
                | (~Q(role=Role.PRESCRIBER) & Q(organization__isnull=True)),
                name="user_clinic_matches_role",
            ),
            # One of the roles (no role, "", is none of them).
            models.CheckConstraint(condition=Q(role__in=Role.values), name="user_role_valid"),
            # The Django admin is the administrators' alone: its flags on another role let clinic
            # staff in with a password alone (no second factor) or an auditor write there.
            models.CheckConstraint(
                condition=Q(role=Role.ADMIN) | Q(is_staff=False, is_superuser=False),
                name="user_admin_flags_administrators_only",
                violation_error_message=(
                    "Only administrators may use the Django admin: give this user the role "
                    "Administrator, or leave staff and superuser status off."
                ),
            ),
        ]

    def clean(self) -> None:
        super().clean()
        twin = (
            User.objects.filter(username_key=username_key(self.username))
            .exclude(pk=self.pk)
            .values_list("username", flat=True)
            .first()
        )
        if twin is not None:
            raise ValidationError(
                {"username": f"This username reads the same as {twin}'s; choose another."}
            )

    # set_unusable_password() since this user was read (Django marks set_password() itself).
    _password_dropped = False

    def set_unusable_password(self) -> None:
        super().set_unusable_password()
        self._password_dropped = True

    def _new_password(self) -> bool:
        """A saved user given a new password, or none, since it was read. A sign-in that only
        rehashes the same password clears Django's mark first (AbstractBaseUser.check_password)."""
        marked = getattr(self, "_password", None) is not None or self._password_dropped
        return marked and not self._state.adding

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.username_key = username_key(self.username)
        fields = kwargs.get("update_fields")
        if fields is not None and "username" in fields:
            kwargs["update_fields"] = {*fields, "username_key"}
        # A new password ends every session (the session hash covers it), and every API token
        # too: a stolen password must not stay worth a 30-day token.
        new_password, self._password_dropped = self._new_password(), False
        super().save(*args, **kwargs)
        if new_password:
            from .tokens import revoke_all  # accounts.tokens reads this module

            revoke_all(self, why="password changed")

    @property
    def is_prescriber(self) -> bool:
        return self.role == Role.PRESCRIBER

    @property
    def is_reviewer(self) -> bool:
        return self.role in REVIEWER_ROLES

    @property
    def is_medical_director(self) -> bool:
        return self.role == Role.MEDICAL_DIRECTOR

    @property
    def is_oversight(self) -> bool:
        return self.role in OVERSIGHT_ROLES

    @property
    def display_name(self) -> str:
        name = self.get_full_name() or self.username
        return f"{name}, {self.credentials}" if self.credentials else name

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        """Django's check that a session still belongs to this account (it ends the session when
        the password changes), extended to the clinic and role: a user moved to another clinic
        or role is signed out everywhere, instead of carrying the old one's access along."""
        return salted_hmac(
            "accounts.User.session_auth_hash",
            f"{self.password}|{self.organization_id or ''}|{self.role}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()


class EnrolmentLink(models.Model):
    """A one-time link an administrator gives payer staff to enrol an authenticator.

    Only the SHA-256 of the link's secret is stored; the link itself is shown once, to whoever
    issued it. Opening it still needs the account's password (the site-wide login comes first),
    so neither the password nor the link alone reaches the authenticator's secret.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="enrolment_links")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    # The unconfirmed authenticator made for this link: its secret is new with every link.
    device = models.ForeignKey(
        "otp_totp.TOTPDevice", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"enrolment link for {self.user} issued {self.created_at:%Y-%m-%d %H:%M}"


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def active(self) -> "ApiTokenQuerySet":
        from django.utils import timezone

        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class ApiToken(models.Model):
    """An API credential for one device of one user: stored as its SHA-256, never in clear.

    `prefix` (the first characters, after "pa_") lets its owner tell their tokens apart.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    # Whom the token was issued to act for: a token answers only while its user still has this
    # clinic and role (a user moved to another clinic must not take a device's access along).
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    name = models.CharField("device", max_length=100)
    prefix = models.CharField(max_length=12, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"
        constraints = [
            models.CheckConstraint(condition=Q(role__in=Role.values), name="api_token_role_valid")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"

    @property
    def is_active(self) -> bool:
        from django.utils import timezone

        return self.revoked_at is None and self.expires_at > timezone.now()
