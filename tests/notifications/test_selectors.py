"""A user's inbox: their own messages, about cases they may see now."""

from __future__ import annotations

from accounts.models import User
from notifications.models import Notification
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


def test_it_still_shows_a_user_the_messages_about_their_own_clinics_cases(
    riverside: User, pharmacist: User
) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    services.case_pend(actor=pharmacist, case=case, items=["HIV status"], message="Send HIV.")
    client = client_for(riverside)
    assert case.reference in client.get("/notifications/").content.decode()
    assert unread_count(riverside) == 1
