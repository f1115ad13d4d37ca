"""API tokens: random, shown once, stored as SHA-256, with an expiry, revocable per device.

The header is unchanged for integrations: `Authorization: Token <token>`.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from audit.log import record

from .models import ApiToken, User

PREFIX = "pa_"
# last_used_at is written at most this often, not on every API call (one UPDATE saved a call).
TOUCH_SECONDS = 60


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(
    user: User,
    name: str,
    *,
    days: int | None = None,
    request: HttpRequest | None = None,
) -> tuple[ApiToken, str]:
    """A new token for one device of user; the raw token is returned here and never again."""
    raw = PREFIX + secrets.token_urlsafe(32)
    lifetime = timedelta(days=days if days is not None else settings.API_TOKEN_DAYS)
    token = ApiToken.objects.create(
        user=user,
        name=name[:100] or "API client",
        prefix=raw[len(PREFIX) : len(PREFIX) + 8],
        digest=digest(raw),
        expires_at=timezone.now() + lifetime,
    )
    record(
        action="api_token.issued",
        actor=user,
        request=request,
        obj=token,
        detail={
            "user": user.username,
            "device": token.name,
            "expires": token.expires_at.isoformat(),
        },
    )
    return token, raw


def revoke(token: ApiToken, *, request: HttpRequest | None = None, why: str = "") -> bool:
    """Revoke one token; False if it was already revoked."""
    updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if updated:
        record(
            action="api_token.revoked",
            request=request,
            obj=token,
            detail={"user": token.user.username, "device": token.name, "why": why},
        )
    return bool(updated)


class ApiTokenAuthentication(TokenAuthentication):
    """DRF authentication by an ApiToken: unknown, expired, revoked or inactive users get 401."""

    keyword = "Token"

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        token = ApiToken.objects.active().select_related("user").filter(digest=digest(key)).first()
        if token is None or not token.user.is_active:
            raise AuthenticationFailed("Invalid, expired or revoked token.")
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > TOUCH_SECONDS:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token
