"""The payer's operating rules in force: the administrators' PolicySetting over the env defaults.

Services call current_policy_settings() at the moment they need a rule, so a change made in the
admin applies to the next action without a restart. Within one request (read_once(), which
PolicySettingsPerRequest opens around each), the row is read once: a case page or an approval
asked for it two or three times (issue 20). Saving the row forgets what was read, so the
request that changes the rules sees the new ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db.models.signals import post_save
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from pa_portal import rows

from .models import Decision, PolicySetting

FIELDS = (
    "review_clock_hours_standard",
    "review_clock_hours_expedited",
    "clock_pauses_while_pended",
    "denial_requires_medical_director",
    "authorization_valid_days",
    "appeal_deadline_days",
)


@dataclass(frozen=True)
class PolicySettings:
    review_clock_hours_standard: int
    review_clock_hours_expedited: int
    clock_pauses_while_pended: bool
    denial_requires_medical_director: bool
    authorization_valid_days: int
    appeal_deadline_days: int

    def clock_hours(self, urgency: str) -> int:
        """The review clock for a request's urgency ("standard" or "expedited")."""
        if urgency == "expedited":
            return self.review_clock_hours_expedited
        return self.review_clock_hours_standard

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def default_policy_settings() -> PolicySettings:
    """The environment's values (pa_portal/settings.py)."""
    return PolicySettings(
        review_clock_hours_standard=int(settings.REVIEW_CLOCK_HOURS["standard"]),
        review_clock_hours_expedited=int(settings.REVIEW_CLOCK_HOURS["expedited"]),
        clock_pauses_while_pended=bool(settings.REVIEW_CLOCK_PAUSES_WHILE_PENDED),
        denial_requires_medical_director=bool(settings.DENIAL_REQUIRES_MEDICAL_DIRECTOR),
        authorization_valid_days=int(settings.AUTHORIZATION_VALID_DAYS),
        appeal_deadline_days=int(settings.APPEAL_DEADLINE_DAYS),
    )


# Inside read_once(): what this request has read so far (nothing, or {"rules": ...}).
_read: ContextVar[dict[str, PolicySettings] | None] = ContextVar("policy_read", default=None)


@contextmanager
def read_once() -> Iterator[None]:
    token = _read.set({})
    try:
        yield
    finally:
        _read.reset(token)


class PolicySettingsPerRequest:
    """Middleware: each request reads the rules in force at most once (read_once())."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with read_once():
            return self.get_response(request)


def _forget(**kwargs: Any) -> None:
    if (memo := _read.get()) is not None:
        memo.clear()


post_save.connect(_forget, sender=PolicySetting, dispatch_uid="policy_settings_forget")


def current_policy_settings() -> PolicySettings:
    """The rules in force now: each value set by an administrator, else the env default."""
    memo = _read.get()
    if memo is None:
        return _from_database()
    if "rules" not in memo:
        memo["rules"] = _from_database()
    return memo["rules"]


def _from_database() -> PolicySettings:
    defaults = default_policy_settings()
    # Every request that judges a date or a clock reads this row: one statement written once.
    row = rows.read_one(PolicySetting, '"id" = %s', [1])
    if row is None:
        return defaults
    chosen = {name: getattr(row, name) for name in FIELDS if getattr(row, name) is not None}
    return PolicySettings(**{**defaults.as_dict(), **chosen})


def appeal_window_days(decision: Decision) -> int:
    """The days a decision may be appealed in: the window in force when it was made, which its
    letter states (the decision's snapshot keeps the rules then, services.decisions._snapshot).
    Read from today's rules, a window an administrator shortened later refused appeals the
    letter still allowed. A decision made before snapshots kept the rules: today's window."""
    kept = (decision.snapshot.get("policy_settings") or {}).get("appeal_deadline_days")
    return int(kept) if kept is not None else current_policy_settings().appeal_deadline_days


def appeal_deadline_of(decision: Decision) -> date:
    """The last day the decision may be appealed, as its letter states it."""
    decided_on = timezone.localdate(decision.created_at)
    return decided_on + timedelta(days=appeal_window_days(decision))
