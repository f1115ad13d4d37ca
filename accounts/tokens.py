"""API tokens: random, shown once, stored as SHA-256, with an expiry, revocable per device.

The header is unchanged for integrations: `Authorization: Token <token>`.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest
from django.utils import timezone
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from audit.log import record
from pa_portal import rows

from .models import ApiToken, User

PREFIX = "pa_"
# last_used_at is written at most this often, not on every API call.
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
        organization_id=user.organization_id,
        role=user.role,
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


def revoke_all(user: User, *, request: HttpRequest | None = None, why: str) -> int:
    """Revoke every active token of user; how many."""
    tokens = ApiToken.objects.active().filter(user=user)
    return sum(revoke(token, request=request, why=why) for token in tokens)


def _find_and_touch(raw: str) -> ApiToken | None:
    """The active token with this secret, and its user, in one statement (as DRF's own token
    lookup was); the same statement records the use, at most once a minute per token. A token
    whose user has since moved to another clinic or role is no token."""
    user_columns, token_columns = rows.columns(User, "u"), rows.columns(ApiToken, "t")
    columns = f"{user_columns.sql}, {token_columns.sql}"
    tokens, users = ApiToken._meta.db_table, User._meta.db_table
    # The final SELECT reads the snapshot before the UPDATE in the same statement.
    sql = f"""
        WITH hit AS (
            SELECT t.id FROM {tokens} t JOIN {users} u ON u.id = t.user_id
            WHERE t.digest = %(digest)s AND t.revoked_at IS NULL AND t.expires_at > %(now)s
              AND u.organization_id IS NOT DISTINCT FROM t.organization_id AND u.role = t.role
        ), touched AS (
            UPDATE {tokens} SET last_used_at = %(now)s
            WHERE id IN (SELECT id FROM hit)
              AND (last_used_at IS NULL OR last_used_at < %(stale)s)
        )
        SELECT {columns} FROM {tokens} t JOIN {users} u ON u.id = t.user_id
        WHERE t.id IN (SELECT id FROM hit)
    """  # noqa: S608 (table and column names from the models, the values are parameters)
    with connection.cursor() as cursor:
        now = timezone.now()  # the application's clock, as everywhere else expiry is judged
        stale = now - timedelta(seconds=TOUCH_SECONDS)
        cursor.execute(sql, {"digest": digest(raw), "now": now, "stale": stale})
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(user_columns.attnames)
    user = rows.instance(User, row[:split], connection.alias)
    token = rows.instance(ApiToken, row[split:], connection.alias)
    token.user = user
    return token


class ApiTokenAuthentication(TokenAuthentication):
    """DRF authentication by an ApiToken: unknown, expired, revoked or inactive users get 401."""

    keyword = "Token"

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        token = _find_and_touch(key)
        if token is None or not token.user.is_active:
            raise AuthenticationFailed("Invalid, expired or revoked token.")
        return token.user, token
