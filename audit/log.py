"""record(): the one way to write an audit row."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.http import HttpRequest

from .models import AuditLog


def client_ip(request: HttpRequest) -> str | None:
    """The client's address. X-Forwarded-For is read only through the configured number of
    trusted proxies (AUDIT_PROXY_HOPS): a client can put anything in that header itself."""
    meta = getattr(request, "META", {})
    hops = int(getattr(settings, "AUDIT_PROXY_HOPS", 0))
    candidate = meta.get("REMOTE_ADDR", "")
    forwarded = [h.strip() for h in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    if hops > 0 and forwarded:
        candidate = forwarded[-min(hops, len(forwarded))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None  # PostgreSQL's inet column would refuse it and take the request down with it


def _request_user(request: HttpRequest | None) -> Any:
    # A request built outside the middleware (test client logins, signals) may carry no user.
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def _role(actor: Any, request: HttpRequest | None) -> str:
    if actor is not None:
        return getattr(actor, "role", "") or ""
    # No actor: a web request came from someone not logged in; otherwise the system acted.
    return "anonymous" if request is not None else "system"


def claim_actor(actor: Any) -> None:
    """Name, for the rest of this transaction, the person the application acts for, in what
    PostgreSQL audits by itself (the users table's trigger, accounts 0007 writes it as
    "claimed_by"). It is the application's word: the database records it beside the database role
    it does know, and cannot check it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('pa.actor', %s, true)", [actor.get_username()])


class _FromRequest:
    """Default for record(actor=...): the request's logged-in user, if any."""


FROM_REQUEST: Any = _FromRequest()


def record(
    *,
    action: str,
    actor: Any = FROM_REQUEST,
    request: HttpRequest | None = None,
    case: Any = None,
    obj: models.Model | None = None,
    detail: Mapping[str, Any] | None = None,
) -> AuditLog:
    """Write one audit row. actor defaults to the request's logged-in user (None if anonymous);
    pass actor=None to record no actor whoever is logged in (a failed login proves nobody).

    PostgreSQL gives the row its place in the hash chain (migration 0006, audit/chain.py) and
    holds the chain's lock until this transaction ends: write the row late in a long one."""
    if actor is FROM_REQUEST:
        actor = _request_user(request)
    target = obj if obj is not None else case
    meta = getattr(request, "META", {}) if request is not None else {}
    row = AuditLog(
        actor=actor,
        actor_username=getattr(actor, "username", "") or "",
        actor_role=_role(actor, request),
        organization_id=getattr(actor, "organization_id", None),
        action=action,
        object_type=(target._meta.model_name or "") if target is not None else "",
        object_id=str(target.pk) if target is not None else "",
        case=case,
        ip=client_ip(request) if request is not None else None,
        user_agent=meta.get("HTTP_USER_AGENT", "")[:300],
        detail=dict(detail or {}),
    )
    waiting = _deferred.get()
    if waiting is not None and len(transaction.get_connection().atomic_blocks) == waiting[0]:
        waiting[1].append(row)
    else:
        row.save(force_insert=True)
    return row


# (atomic depth of the deferring block, its rows waiting to be written)
_deferred: ContextVar[tuple[int, list[AuditLog]] | None] = ContextVar(
    "audit_deferred", default=None
)


@contextmanager
def deferred() -> Iterator[None]:
    """Inside a transaction: write the block's audit rows in one INSERT when it ends, still in
    the transaction, instead of each as it is recorded.

    Why: the first audit INSERT takes the hash chain's lock (migration 0006) and holds it until
    the commit, so every other writer of audit rows waits from there. A service that writes its
    rows last holds the lock for the INSERT and the commit only, not for its whole transaction
    (issue 20, bench/README.md), and saves a round trip per row. If the block raises, nothing is
    written (the transaction rolls back anyway). A row recorded inside a nested atomic block
    (a savepoint, which may roll back alone) is written at once, as without this."""
    if _deferred.get() is not None:  # an outer block writes them
        yield
        return
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("audit.log.deferred() needs a transaction around it")
    pending: list[AuditLog] = []
    token = _deferred.set((len(connection.atomic_blocks), pending))
    try:
        yield
        if pending:
            AuditLog.objects.bulk_create(pending)
    finally:
        _deferred.reset(token)
