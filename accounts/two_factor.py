"""Two-factor authentication (TOTP) for payer staff: reviewers, directors, auditors, admins.

Clinic staff sign in with a password; everyone who can see every clinic's cases also proves
possession of an authenticator. The middleware sends an unverified session to enrol or verify.
"""

from __future__ import annotations

from collections.abc import Callable
from io import BytesIO

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django_otp.middleware import OTPMiddleware
from django_otp.plugins.otp_totp.models import TOTPDevice

from pa_portal import rows

from .models import PAYER_STAFF_ROLES, User

SECOND_FACTOR_ROLES = PAYER_STAFF_ROLES


def needs_second_factor(user: User) -> bool:
    return user.role in SECOND_FACTOR_ROLES


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def qr_svg(device: TOTPDevice) -> str:
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    buffer = BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode()


def safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if allowed else reverse("home")


class VerifiedDeviceMiddleware(OTPMiddleware):
    """django_otp's OTPMiddleware, reading the session's authenticator as every payer staff
    request does with one statement written once (pa_portal/rows.py). OTPMiddleware still checks
    that the device is the user's own and confirmed; a device of another kind is read by it."""

    TOTP_PREFIX = f"{TOTPDevice._meta.label_lower}/"

    def _device_from_persistent_id(self, persistent_id: str) -> object | None:
        if not persistent_id.startswith(self.TOTP_PREFIX):
            return super()._device_from_persistent_id(persistent_id)
        device_id = persistent_id.removeprefix(self.TOTP_PREFIX)
        if not device_id.isascii() or not device_id.isdigit() or len(device_id) > 18:
            return None  # as Device.from_persistent_id: not an id, no device
        return rows.read_one(TOTPDevice, '"id" = %s', [int(device_id)])


class SecondFactorRequiredMiddleware:
    """After django_otp's OTPMiddleware: payer staff must have a verified session."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.exempt = (
            reverse("two_factor_verify"),
            reverse("two_factor_setup"),
            reverse("logout"),
            reverse("healthz"),
            settings.STATIC_URL
            if settings.STATIC_URL.startswith("/")
            else f"/{settings.STATIC_URL}",
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            isinstance(user, User)
            and needs_second_factor(user)
            # OTPMiddleware gives the user is_verified(); unseen by the type stubs.
            and not user.is_verified()  # type: ignore[attr-defined]
            and not request.path.startswith(self.exempt)
        ):
            target = "two_factor_verify" if confirmed_device(user) else "two_factor_setup"
            return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
