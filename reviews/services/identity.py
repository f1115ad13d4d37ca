"""Member identity on a case: the reviewer's ruling on a possible same person, the check that
no approval goes ahead while one is open, and the locks that make one person's approvals under
two member keys count against each other."""

from __future__ import annotations

from django.db import connection

from accounts.models import User

from ..models import Case, IdentityRuling
from ..selectors import possible_same_persons
from ..text import is_blank
from ..workflow import Action
from .base import _locked, atomic, record_event
from .errors import ServiceError
from .evaluation import reevaluate
from .review import _reviewer_move


class IdentityUnsettled(ServiceError):
    """A possible same person has no ruling yet."""


def require_identity_settled(case: Case) -> None:
    """Refuse an approval while another member's patient may be this patient, unruled."""
    if open_ones := [p for p in possible_same_persons(case) if p.ruling is None]:
        names = ", ".join(
            f"member {p.patients[0].member_id} at {p.patients[0].organization.name}"
            for p in open_ones
        )
        raise IdentityUnsettled(
            f"Possible same person on file ({names}): same last name, date of birth and sex at "
            "birth. Record whether it is the same person before approving; nothing was changed."
        )


def lock_member_keys(keys: list[str]) -> None:
    """Lock the member keys until the transaction ends, in sorted order (no deadlock), on rows
    only the owner's function may lock (reviews 0023; an advisory lock, which any role may hold
    at session level, let the application's role stall a member's approvals)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reviews_lock_members(%s::text[])", [sorted(set(keys))])


@atomic
def identity_rule(
    *, actor: User, case: Case, other_member_key: str, ruling: str, reason: str
) -> IdentityRuling:
    """Record whether another member is this case's patient; "same person" counts that member's
    approvals against this request (the checklist is evaluated again)."""
    case = _locked(case)
    from_status, to_status = _reviewer_move(case, actor, Action.RULE_IDENTITY)
    if ruling not in IdentityRuling.Ruling.values:
        raise ServiceError("Rule the other member the same person or a different person.")
    if ruling == IdentityRuling.Ruling.DIFFERENT and is_blank(reason):
        raise ServiceError("Say how you know it is a different person (e.g. the plan confirmed).")
    candidates = {p.member_key for p in possible_same_persons(case)}
    if other_member_key not in candidates:
        raise ServiceError("That member is not a possible same person for this case.")
    made = IdentityRuling.objects.create(
        case=case,
        other_member_key=other_member_key,
        ruling=ruling,
        reason=reason.strip(),
        ruled_by=actor,
    )
    fields = reevaluate(case)
    case.save(update_fields=[*fields, "updated_at"])
    record_event(
        case,
        actor,
        Action.RULE_IDENTITY,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        detail={
            "other_member_key": other_member_key,
            "ruling": ruling,
            "recommendation": case.recommendation,
        },
    )
    return made
