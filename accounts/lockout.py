"""Sign-in throttling that cannot be turned into a lock-out weapon.

django-axes locks a username *at one address* (AXES_LOCKOUT_PARAMETERS [["username",
"ip_address"]]) after AXES_FAILURE_LIMIT (5) failures: a guesser is stopped at their own
address, and the account's owner, at another address, is not.

Guessing one username from many addresses meets a second brake, kept here rather than in axes
(which can only lock, with one threshold for every parameter set): once a username has had
LOGIN_USERNAME_DELAY_AFTER (10) failures from anywhere since its last sign-in (within
LOGIN_USERNAME_WINDOW_HOURS), each further attempt waits LOGIN_DELAY_BASE_SECONDS x 2^(n - 10)
after the latest failure, at most LOGIN_DELAY_MAX_SECONDS. Attempts refused during a wait are
not counted (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False), so hammering does not grow
it, and an address the owner signed in from recently is not delayed at all.

Failures are read from axes' AccessFailureLog (AXES_ENABLE_ACCESS_FAILURE_LOG), which also
feeds the owner's list of recent failed attempts.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from .models import User

KNOWN_ADDRESS_DAYS = 30
PENDING_NOTICE = "_failed_sign_in_notice"


def failures_since(username: str, since: datetime | None) -> QuerySet[AccessFailureLog]:
    start = timezone.now() - timedelta(hours=settings.LOGIN_USERNAME_WINDOW_HOURS)
    if since is not None and since > start:
        start = since
    return AccessFailureLog.objects.filter(username=username, attempt_time__gte=start)


def is_known_address(username: str, address: str | None) -> bool:
    """The account signed in successfully from this address recently."""
    if not address:
        return False
    since = timezone.now() - timedelta(days=KNOWN_ADDRESS_DAYS)
    return AccessLog.objects.filter(
        username=username, ip_address=address, attempt_time__gte=since
    ).exists()


def username_delay(username: str | None, address: str | None) -> int:
    """Seconds this attempt must still wait because of failures for the username; 0 if none."""
    if not username:
        return 0
    last_login = User.objects.filter(username=username).values_list("last_login", flat=True).first()
    failures = failures_since(username, last_login)
    count = failures.count()
    threshold = settings.LOGIN_USERNAME_DELAY_AFTER
    if count < threshold or is_known_address(username, address):
        return 0
    latest = failures.order_by("-attempt_time").values_list("attempt_time", flat=True).first()
    if latest is None:
        return 0
    wait = min(
        settings.LOGIN_DELAY_MAX_SECONDS,
        settings.LOGIN_DELAY_BASE_SECONDS * 2 ** (count - threshold),
    )
    remaining = (latest + timedelta(seconds=wait) - timezone.now()).total_seconds()
    return max(0, math.ceil(remaining))


class PortalAxesHandler(AxesDatabaseHandler):
    """axes' database handler plus the per-username growing delay."""

    def is_locked(self, request: Any, credentials: dict[str, Any] | None = None) -> bool:
        if super().is_locked(request, credentials):
            return True
        wait = username_delay(
            get_client_username(request, credentials), getattr(request, "axes_ip_address", None)
        )
        if wait:
            request.login_retry_after = wait
            return True
        return False


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """429 with Retry-After: the per-username wait, or axes' cool-off for a locked pair."""
    wait = getattr(request, "login_retry_after", None)
    seconds = int(wait or settings.AXES_COOLOFF_TIME.total_seconds())
    context = {"delayed": bool(wait), "seconds": seconds, "minutes": math.ceil(seconds / 60)}
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"detail": "Too many failed sign-in attempts; try again later.", **context},
            status=429,
        )
    else:
        response = render(request, "accounts/locked_out.html", context, status=429)
    response["Retry-After"] = str(seconds)
    return response


def remember_failures(request: HttpRequest, user: User, previous_login: datetime | None) -> None:
    """At the password step: note failed attempts since the user's previous sign-in."""
    failures = failures_since(user.username, previous_login)
    count = failures.count()
    if count:
        latest = failures.order_by("-attempt_time").first()
        request.session[PENDING_NOTICE] = {
            "count": count,
            "address": getattr(latest, "ip_address", "") or "unknown",
            "at": latest.attempt_time.isoformat() if latest else "",
        }


def announce_failures(request: HttpRequest) -> None:
    """Once fully signed in: tell the owner, as a message on the next page."""
    notice = request.session.pop(PENDING_NOTICE, None)
    if not notice:
        return
    at = datetime.fromisoformat(notice["at"]) if notice["at"] else None
    when = f" at {timezone.localtime(at):%Y-%m-%d %H:%M}" if at else ""
    plural = "s" if notice["count"] != 1 else ""
    messages.warning(
        request,
        f"{notice['count']} failed sign-in attempt{plural} on your account since you last "
        f"signed in, the latest from {notice['address']}{when}. If that was not you, tell an "
        f"administrator. The list is on your account page ({reverse('account')}).",
    )


def recent_failures(user: User, days: int = 30, limit: int = 20) -> list[AccessFailureLog]:
    since = timezone.now() - timedelta(days=days)
    return list(
        AccessFailureLog.objects.filter(username=user.username, attempt_time__gte=since).order_by(
            "-attempt_time"
        )[:limit]
    )
