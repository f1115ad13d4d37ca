"""Enrolling an authenticator: only through a one-time link issued by an administrator.

The link's secret is random, stored as its SHA-256, valid ENROLMENT_LINK_HOURS (24 h) and used
once. Opening it needs the account's password too (the login comes first), so a leaked password
alone never shows an authenticator's secret. A successful enrolment replaces any earlier
authenticator and backup codes (a lost phone) and shows new backup codes once.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.log import record

from .models import EnrolmentLink, User
from .tokens import digest
from .two_factor import needs_second_factor

BACKUP_CODES = 10
BACKUP_DEVICE_NAME = "Backup codes"


def enrolment_path(raw: str) -> str:
    return reverse("two_factor_enrol", kwargs={"token": raw})


@transaction.atomic
def issue_link(
    user: User, *, issued_by: User | None, request: HttpRequest | None = None
) -> tuple[EnrolmentLink, str]:
    """A new link for user (earlier unused links and their unconfirmed devices are dropped);
    returns the link's path, shown once to the administrator who issued it."""
    if not needs_second_factor(user):
        raise ValueError(f"{user.username} signs in without a second factor")
    stale = EnrolmentLink.objects.filter(user=user, used_at__isnull=True)
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    stale.delete()
    raw = secrets.token_urlsafe(32)
    link = EnrolmentLink.objects.create(
        user=user,
        digest=digest(raw),
        created_by=issued_by,
        expires_at=timezone.now() + timedelta(hours=settings.ENROLMENT_LINK_HOURS),
    )
    record(
        action="auth.enrolment_link_issued",
        actor=issued_by,
        request=request,
        obj=link,
        detail={"user": user.username, "expires": link.expires_at.isoformat()},
    )
    return link, enrolment_path(raw)


def find_link(raw: str, *, for_update: bool = False) -> EnrolmentLink | None:
    links = EnrolmentLink.objects.select_related("user", "device")
    if for_update:
        links = links.select_for_update(of=("self",))
    return links.filter(digest=digest(raw)).first()


def is_open(link: EnrolmentLink) -> bool:
    return link.used_at is None and link.expires_at > timezone.now()


def device_for(link: EnrolmentLink) -> TOTPDevice:
    """The link's own unconfirmed authenticator, made on first use: its secret is new."""
    if link.device is None or link.device.confirmed:
        link.device = TOTPDevice.objects.create(
            user=link.user, name="Authenticator app", confirmed=False
        )
        link.save(update_fields=["device"])
    return link.device


def complete(link: EnrolmentLink, device: TOTPDevice, request: HttpRequest) -> list[str]:
    """Confirm the device, close the link, replace older authenticators and backup codes.

    Call inside a transaction with the link locked (find_link(for_update=True)). Returns the
    new backup codes: the only time they are ever shown.
    """
    user = link.user
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    StaticDevice.objects.filter(user=user).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    backup = StaticDevice.objects.create(user=user, name=BACKUP_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=backup, token=code) for code in codes)
    link.used_at = timezone.now()
    link.save(update_fields=["used_at"])
    record(
        action="auth.2fa_enrolled",
        actor=user,
        request=request,
        obj=device,
        detail={"enrolment_link": link.pk, "backup_codes": len(codes)},
    )
    return codes


def backup_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()
