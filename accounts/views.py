from base64 import b32encode
from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice

from audit.log import record

from . import enrolment, lockout
from .context_processors import NAVIGATION, home_url_for
from .forms import ApiTokenForm, EnrolForm, TokenForm
from .inputs import id_or_none
from .models import ApiToken, Role, User
from .tokens import issue_token, revoke
from .two_factor import confirmed_device, needs_second_factor, qr_svg, safe_next


def home(request: HttpRequest) -> HttpResponse:
    """Send each role to its own home page."""
    role = getattr(request.user, "role", "")
    if role not in NAVIGATION:
        raise PermissionDenied("Your account has no role; ask an administrator.")
    return redirect(home_url_for(role))


@login_not_required
def healthz(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})


class LoginView(auth_views.LoginView):
    """Django's login, plus: the owner hears about failed attempts since their last sign-in
    (once fully signed in, so after the second factor where the role needs one)."""

    def form_valid(self, form: Any) -> HttpResponse:
        user: User = form.get_user()
        previous_login = user.last_login
        response = super().form_valid(form)
        lockout.remember_failures(self.request, user, previous_login)
        if not needs_second_factor(user):
            lockout.announce_failures(self.request)
        return response


def _second_factor_passed(request: HttpRequest, device: Device) -> None:
    otp_login(request, device)
    # A new session key for the fully signed-in session: a key seen before (fixed or stolen
    # between the password and the code) is worth nothing afterwards.
    request.session.cycle_key()
    lockout.announce_failures(request)


def _checked_code(user: User, device: Device, token: str, backup: bool) -> Device | None:
    """The device that accepts token, or None. Its row is locked while it checks: django-otp
    reads the device (a backup code, the last code used) before it writes it, so two requests
    sending one code at once were both let in; now the second reads what the first wrote."""
    # One set of backup codes a user (enrolment replaces it).
    backups = StaticDevice.objects.filter(user=user, confirmed=True)
    mine = backups if backup else type(device).objects.filter(pk=device.pk)
    with transaction.atomic():
        checker: Device | None = mine.select_for_update().first()
        return checker if checker is not None and checker.verify_token(token) else None


def two_factor_verify(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    device = confirmed_device(user) if needs_second_factor(user) else None
    if device is None:
        return redirect("two_factor_setup")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        checker = _checked_code(user, device, form.cleaned_data["token"], form.is_backup_code)
        if checker is not None:
            _second_factor_passed(request, checker)
            method = "backup_code" if form.is_backup_code else "authenticator"
            record(action="auth.2fa_verified", request=request, detail={"method": method})
            return redirect(safe_next(request))
        record(action="auth.2fa_failed", request=request)
        form.add_error("token", "That code is not valid now. Wait for the next code and try again.")
    return render(
        request, "accounts/two_factor_verify.html", {"form": form, "next": safe_next(request)}
    )


def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Where payer staff without an authenticator land: enrolment needs an administrator's link,
    so a password alone never shows an authenticator's secret."""
    user: User = request.user  # type: ignore[assignment]
    if not needs_second_factor(user):
        return redirect("home")
    if confirmed_device(user):
        return redirect("two_factor_verify")
    return render(request, "accounts/two_factor_setup.html", status=403)


def two_factor_enrol(request: HttpRequest, token: str) -> HttpResponse:
    """Enrol an authenticator with a one-time link: scan, prove it with one code, keep the
    backup codes (shown on this page once)."""
    user: User = request.user  # type: ignore[assignment]
    link = enrolment.find_link(token)
    if link is None or link.user_id != user.pk:
        return render(request, "accounts/enrolment_link_invalid.html", status=404)
    if not enrolment.is_open(link):
        return render(request, "accounts/enrolment_link_invalid.html", status=410)
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            # Locked: two tabs posting a good code at once still use the link once.
            locked = enrolment.find_link(token, for_update=True)
            if locked is None or not enrolment.is_open(locked):
                return render(request, "accounts/enrolment_link_invalid.html", status=410)
            device = locked.device
            if device is not None and device.verify_token(form.cleaned_data["token"]):
                codes = enrolment.complete(locked, device, request)
                _second_factor_passed(request, device)
                done = {"codes": codes, "next": safe_next(request)}
                return render(request, "accounts/backup_codes.html", done)
        form.add_error("token", "That code does not match. Check the app's clock and try again.")
    device = enrolment.device_for(link)
    context: dict[str, object] = {
        "form": form,
        "next": safe_next(request),
        # The SVG is generated by us from our own data, never from user input.
        "qr": mark_safe(qr_svg(device)),  # noqa: S308
        "secret": b32encode(device.bin_key).decode(),
        "expires": link.expires_at,
    }
    return render(request, "accounts/two_factor_enrol.html", context)


def account(request: HttpRequest) -> HttpResponse:
    """The signed-in user's own security page: recent failed sign-ins, their second factor,
    and (clinic staff) their API tokens, each revocable."""
    user: User = request.user  # type: ignore[assignment]
    new_token = ""
    form = ApiTokenForm()
    if request.method == "POST":
        if user.role != Role.PRESCRIBER:
            raise PermissionDenied("API tokens are for clinic staff.")
        action = request.POST.get("action")
        if action in ("revoke", "revoke_all"):
            tokens = ApiToken.objects.active().filter(user=user)
            if action == "revoke":
                tokens = tokens.filter(pk=id_or_none(request.POST.get("token")) or 0)
            for token in tokens:
                if revoke(token, request=request, why="revoked by its owner"):
                    messages.success(request, f"Revoked the token for {token.name}.")
            return redirect("account")
        form = ApiTokenForm(request.POST)
        if form.is_valid():
            _, new_token = issue_token(user, form.cleaned_data["name"], request=request)
            form = ApiTokenForm()
    context = {
        "failures": lockout.recent_failures(user),
        "second_factor": needs_second_factor(user),
        "backup_codes_left": enrolment.backup_codes_left(user),
        "tokens": ApiToken.objects.filter(user=user) if user.role == Role.PRESCRIBER else None,
        "form": form,
        "new_token": new_token,
    }
    return render(request, "accounts/account.html", context)
