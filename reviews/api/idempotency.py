"""Idempotency-Key: a retried create answers with the case the first attempt made.

The key and a fingerprint of the request are kept in IntakeKey (reviews.services.intake), whose
unique key decides a race between twins; the same key with other content is refused (422).
"""

from __future__ import annotations

import re

from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

from ..models import IntakeKey
from ..services import ClientKey

HEADER = "Idempotency-Key"
_KEY = re.compile(r"[\x21-\x7e]{1,80}")  # printable ASCII, no spaces


def key_from(request: Request) -> ClientKey | None:
    """The request's Idempotency-Key, or None if it sent none."""
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    if not _KEY.fullmatch(raw.strip()):
        raise ValidationError(
            {HEADER: ["Use 1 to 80 printable ASCII characters without spaces, e.g. a UUID."]}
        )
    return ClientKey(IntakeKey.Door.API, raw.strip())
