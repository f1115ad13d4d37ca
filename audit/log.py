"""record(): the one way to write an audit row."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import models
from django.http import HttpRequest

from .models import AuditLog


def client_ip(request: HttpRequest) -> str | None:
    # Behind the deployment's proxy the client is the first X-Forwarded-For hop.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    ip = forwarded.split(",")[0].strip() if forwarded else request.META.get("REMOTE_ADDR")
    return ip or None


def record(
    *,
    action: str,
    actor: Any = None,
    request: HttpRequest | None = None,
    case: Any = None,
    obj: models.Model | None = None,
    detail: Mapping[str, Any] | None = None,
) -> AuditLog:
    """Write one audit row. actor defaults to the request's user; anonymous means None."""
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    target = obj if obj is not None else case
    return AuditLog.objects.create(
        actor=actor,
        actor_username=getattr(actor, "username", "") or "",
        actor_role=getattr(actor, "role", "") or ("system" if actor is None else ""),
        organization_id=getattr(actor, "organization_id", None),
        action=action,
        object_type=(target._meta.model_name or "") if target is not None else "",
        object_id=str(target.pk) if target is not None else "",
        case=case,
        ip=client_ip(request) if request is not None else None,
        user_agent=(request.META.get("HTTP_USER_AGENT", "")[:300] if request is not None else ""),
        detail=dict(detail or {}),
    )
