"""The session's user, read as every request reads it: one statement written once
(pa_portal/rows.py), not a queryset built per request. Sign-in itself is Django's ModelBackend."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError

from pa_portal import rows

from .models import User


class SessionUserBackend(ModelBackend):
    def get_user(self, user_id: Any) -> User | None:
        # The id comes from the session; a value that is not one (an old or forged session)
        # is no user, as ModelBackend's DoesNotExist is.
        try:
            pk = User._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        user = rows.read_one(User, '"id" = %s', [pk])
        return user if user is not None and self.user_can_authenticate(user) else None
