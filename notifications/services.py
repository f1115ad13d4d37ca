"""notify(): one inbox row per person, its audit row, and its e-mail queued through the outbox.

Called by the services where the events happen (reviews.services.review, .decisions, the letter
task, the SLA sweep), inside their transaction: the message exists exactly when the change does,
and the e-mail task is sent after the commit or later by the outbox relay (Redis down).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import DIRECTOR_ROLES, REVIEWER_ROLES, Role, User
from audit.log import record as audit_record
from reviews import outbox
from reviews.models import Case

from .models import Delivery, Kind, Notification, Preference
from .selectors import shown_to

# What each kind says. Only the case reference and the event: never a name, member ID or fact.
SUBJECTS: dict[str, str] = {
    Kind.RFI: "{ref}: information requested",
    Kind.DECISION: "{ref}: a decision has been made",
    Kind.LETTER_READY: "{ref}: determination letter ready",
    Kind.APPEAL_RECEIVED: "{ref}: appeal received",
    Kind.APPEAL_DECIDED: "{ref}: appeal decided",
    Kind.ASSIGNED: "{ref}: assigned to you",
    Kind.DUE_SOON: "{ref}: review due soon",
    Kind.OVERDUE: "{ref}: review overdue",
    Kind.ESCALATION: "{ref}: escalated to the medical director",
}
BODIES: dict[str, str] = {
    Kind.RFI: "The reviewer needs more information to decide request {ref}.",
    Kind.DECISION: "A determination has been made on request {ref}.",
    Kind.LETTER_READY: "The determination letter for request {ref} can be downloaded.",
    Kind.APPEAL_RECEIVED: "Appeal {ref} has been received and will be reviewed.",
    Kind.APPEAL_DECIDED: "A decision has been made on appeal {ref}.",
    Kind.ASSIGNED: "Request {ref} has been assigned to you.",
    Kind.DUE_SOON: "Request {ref} is due {due}.",
    Kind.OVERDUE: "Request {ref} was due {due} and is not yet decided.",
    Kind.ESCALATION: "Request {ref} has been escalated to the medical director.",
}
SIGN_IN = "Sign in to the portal to read the details."


def active_users(roles: Iterable[str]) -> QuerySet[User]:
    return User.objects.filter(role__in=list(roles), is_active=True).order_by("pk")


def clinic_staff(case: Case) -> QuerySet[User]:
    return active_users([Role.PRESCRIBER]).filter(organization_id=case.organization_id)


def directors() -> QuerySet[User]:
    return active_users(DIRECTOR_ROLES)


def reviewers() -> QuerySet[User]:
    return active_users(REVIEWER_ROLES)


def deliveries(users: Iterable[User], kind: str) -> dict[int, str]:
    """Each user's chosen delivery of this kind, read at once (no row: immediate)."""
    chosen = Preference.objects.filter(user__in=[u.pk for u in users], kind=kind)
    return dict(chosen.values_list("user_id", "delivery"))


def notify(
    kind: str, case: Case, recipients: Iterable[User], *, due: str = "", exclude: User | None = None
) -> list[Notification]:
    """A message of this kind about case to each recipient (once each, never to exclude).

    The messages and their e-mails' outbox rows are each written in one INSERT, and the
    preferences read in one query, whatever the number of recipients (issue 20)."""
    users = list({u.pk: u for u in recipients if exclude is None or u.pk != exclude.pk}.values())
    if not users:
        return []
    words = {"ref": case.reference, "due": due}
    chosen = deliveries(users, kind)
    notes = Notification.objects.bulk_create(
        Notification(
            recipient=user,
            kind=kind,
            case=case,
            subject=SUBJECTS[kind].format(**words),
            body=f"{BODIES[kind].format(**words)} {SIGN_IN}",
            delivery=chosen.get(user.pk, Delivery.IMMEDIATE),
        )
        for user in users
    )
    for note, user in zip(notes, users, strict=True):
        # Inside a service these wait for its one INSERT of audit rows (audit.log.deferred).
        audit_record(
            action="notification.created",
            actor=None,
            case=case,
            obj=note,
            detail={"kind": kind, "recipient": user.username, "delivery": note.delivery},
        )
    mailed = zip(notes, users, strict=True)
    emailed = [note for note, user in mailed if note.delivery == Delivery.IMMEDIATE and user.email]
    outbox.enqueue_many("notifications.send_email", [[note.pk] for note in emailed])
    return notes


# The triggers, one per event, called from the case history (receivers.py).


def case_pended(case: Case) -> None:
    notify(Kind.RFI, case, clinic_staff(case))


def case_assigned(case: Case, reviewer: User, actor: User) -> None:
    notify(Kind.ASSIGNED, case, [reviewer], exclude=actor)


def case_escalated(case: Case, actor: User) -> None:
    notify(Kind.ESCALATION, case, directors(), exclude=actor)


def case_decided(case: Case) -> None:
    kind = Kind.APPEAL_DECIDED if case.appeal_of_id is not None else Kind.DECISION
    notify(kind, case, clinic_staff(case))


def appeal_received(appeal: Case) -> None:
    """The clinic's receipt, and the medical directors who may decide it."""
    notify(Kind.APPEAL_RECEIVED, appeal, [*clinic_staff(appeal), *directors()])


def letter_ready(case: Case) -> None:
    notify(Kind.LETTER_READY, case, clinic_staff(case))


# --- the user's own inbox and preferences ------------------------------------------------------


def notifications_mark_read(*, actor: User, note: Notification | None = None) -> int:
    """Mark one of the actor's messages read, or (note None) all of them; how many changed."""
    # What the inbox shows (selectors.shown_to), not the messages of a clinic left behind.
    mine = shown_to(actor).filter(read_at__isnull=True)
    if note is not None:
        mine = mine.filter(pk=note.pk)
    return mine.update(read_at=timezone.now())


@transaction.atomic
def preferences_set(
    *, actor: User, changes: dict[str, str], request: HttpRequest | None = None
) -> None:
    """Save the actor's delivery choices that changed, with one audit row."""
    if not changes:
        return
    for kind, delivery in changes.items():
        Preference.objects.update_or_create(user=actor, kind=kind, defaults={"delivery": delivery})
    audit_record(action="notification.preferences", request=request, obj=actor, detail=changes)
