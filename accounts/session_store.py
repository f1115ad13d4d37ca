"""Django's database sessions, with the one read every request makes written once
(pa_portal/rows.py) instead of a queryset built per request. Writes, expiry and clearing are
Django's own."""

from __future__ import annotations

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.utils import timezone

from pa_portal import rows


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Session | None:
        # As Django's: an unknown or expired key is no session, and forgets the key so that a
        # save makes a new one (never the key the browser sent).
        found = rows.read_one(
            Session, '"session_key" = %s AND "expire_date" > %s', [self.session_key, timezone.now()]
        )
        if found is None:
            self._session_key = None
        return found
