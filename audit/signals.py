"""Logins, logouts and failed logins, from Django's auth signals (connected in AuditConfig)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .log import record

USERNAME_MAX = 150


def on_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    record(action="auth.login", actor=user, request=request)


def on_logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    # Logging out without a session sends user=None: nobody was logged in, nothing to record.
    if user is not None:
        record(action="auth.logout", actor=user, request=request)


def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # Only the attempted username is kept; Django has already masked the password, and we do
    # not store even the mask. No actor: the attempt proves nobody's identity.
    username = str(credentials.get("username", ""))[:USERNAME_MAX]
    record(action="auth.login_failed", actor=None, request=request, detail={"username": username})
