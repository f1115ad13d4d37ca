"""A user's inbox and e-mails: their own messages, about cases they may see now."""

from __future__ import annotations

from django.core import mail

from accounts.models import User
from audit.models import AuditLog
from notifications import mail as notification_mail
from notifications.models import Delivery, Kind, Notification, Preference
from notifications.templatetags.notifications_extras import unread_count
from reviews import services
from tests.conftest import client_for
from tests.factories import make_case


def test_it_shows_a_user_moved_to_another_clinic_nothing_of_the_old_clinics_cases(
    riverside: User, lakeside: User, pharmacist: User
) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    services.case_pend(actor=pharmacist, case=case, items=["HIV status"], message="Send HIV.")
    note = Notification.objects.get(recipient=riverside, case=case)
    # Moved to Lakeside: a Lakeside prescriber must not learn of Riverside's cases.
    riverside.organization = lakeside.organization
    riverside.save()
    client = client_for(riverside)

    inbox = client.get("/notifications/")
    assert inbox.status_code == 200
    assert case.reference not in inbox.content.decode()
    assert unread_count(riverside) == 0
    opened = client.post("/notifications/read/", {"id": note.pk})
    assert opened.status_code == 302 and opened["Location"] == "/notifications/"
    note.refresh_from_db()
    assert note.read_at is None
    # "Mark all read" touches only what the inbox shows.
    assert client.post("/notifications/read/", {"all": "1"}).status_code == 302
    note.refresh_from_db()
    assert note.read_at is None


def test_it_still_shows_a_user_the_messages_about_their_own_clinics_cases(
    riverside: User, pharmacist: User
) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    services.case_pend(actor=pharmacist, case=case, items=["HIV status"], message="Send HIV.")
    client = client_for(riverside)
    assert case.reference in client.get("/notifications/").content.decode()
    assert unread_count(riverside) == 1


def test_it_emails_a_user_moved_to_another_clinic_nothing_of_the_old_clinics_cases(
    riverside: User, lakeside: User, pharmacist: User
) -> None:
    Preference.objects.create(user=riverside, kind=Kind.RFI, delivery=Delivery.DIGEST)
    waiting = make_case(riverside, claim_by=pharmacist)
    services.case_pend(actor=pharmacist, case=waiting, items=["Lab report"])
    Preference.objects.filter(user=riverside).delete()  # the next one goes out at once
    at_once = make_case(riverside, claim_by=pharmacist)
    services.case_pend(actor=pharmacist, case=at_once, items=["Lab report"])
    immediate = Notification.objects.get(recipient=riverside, case=at_once)
    riverside.organization = lakeside.organization
    riverside.save()

    assert notification_mail.send_immediate(immediate.pk) is False
    immediate.refresh_from_db()
    assert immediate.emailed_at is None  # not sent, so not marked e-mailed
    assert notification_mail.send_digest(riverside) == 0
    assert mail.outbox == []
    assert (
        not AuditLog.objects.filter(action__startswith="notification.")
        .exclude(action="notification.created")
        .exists()
    )


def test_it_still_emails_a_user_the_messages_about_their_own_clinics_cases(
    riverside: User, pharmacist: User
) -> None:
    Preference.objects.create(user=riverside, kind=Kind.RFI, delivery=Delivery.DIGEST)
    case = make_case(riverside, claim_by=pharmacist)
    services.case_pend(actor=pharmacist, case=case, items=["Lab report"])
    assert notification_mail.send_digest(riverside) == 1
    [message] = mail.outbox
    assert case.reference in message.body


def test_it_emails_a_deactivated_user_nothing_queued_before_they_left(
    riverside: User, pharmacist: User
) -> None:
    """The e-mail task may run long after the message was written (the outbox waits out a Redis
    outage, a failed send retries for most of an hour): by then its recipient may have left."""
    case = make_case(riverside, claim_by=pharmacist)
    services.case_pend(actor=pharmacist, case=case, items=["Lab report"])
    note = Notification.objects.get(recipient=riverside, case=case)
    riverside.is_active = False
    riverside.save()

    assert notification_mail.send_immediate(note.pk) is False
    note.refresh_from_db()
    assert note.emailed_at is None
    assert mail.outbox == []
    assert not AuditLog.objects.filter(action="notification.emailed").exists()
