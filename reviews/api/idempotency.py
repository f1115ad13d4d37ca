"""Idempotency-Key: a retried create answers with the case the first attempt made.

The key is stored on the case (Case.idempotency_key, unique per clinic where set), so the
database decides a race: of two identical requests arriving at once, one inserts and the other
hits the unique constraint, rolls back everything it wrote and answers with the winner's case.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.db import IntegrityError
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

from accounts.models import User

from ..models import Case
from ..selectors import cases_visible_to

HEADER = "Idempotency-Key"
# Kept apart from the FHIR door's keys ("pas:..."), which share the column.
PREFIX = "api:"
_KEY = re.compile(r"[\x21-\x7e]{1,80}")  # printable ASCII, no spaces


def key_from(request: Request) -> str | None:
    """The stored form of the request's Idempotency-Key, or None if it sent none."""
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    if not _KEY.fullmatch(raw.strip()):
        raise ValidationError(
            {HEADER: ["Use 1 to 80 printable ASCII characters without spaces, e.g. a UUID."]}
        )
    return PREFIX + raw.strip()


def find(actor: User, key: str) -> Case | None:
    return cases_visible_to(actor).filter(idempotency_key=key).first()


def run_once(actor: User, key: str | None, create: Callable[[], Case]) -> tuple[Case, bool]:
    """(case, created): the case made earlier under this key, else the one create() makes.

    create() must write in one transaction, so a lost race leaves nothing of it behind.
    """
    if key is not None and (existing := find(actor, key)) is not None:
        return existing, False
    try:
        return create(), True
    except IntegrityError:
        # Another request with the same key committed first: answer with its case.
        existing = find(actor, key) if key is not None else None
        if existing is None:
            raise
        return existing, False
