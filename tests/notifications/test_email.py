"""Notification e-mails sent by the real Celery worker through the outbox, also when Redis is
down at the moment of the event."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from accounts.models import User
from audit.models import AuditLog
from notifications.models import Kind, Notification
from reviews import services
from reviews.models import Case, OutboxMessage
from reviews.outbox import relay_outbox, relay_pending
from tests.factories import make_case
from tests.reliability.servers import start_redis, stop_redis, wait_until

from .conftest import mails_to

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _pend(case: Case, pharmacist: User) -> Case:
    return services.case_pend(
        actor=pharmacist, case=case, items=["The factor IX activity lab report"], message="Please"
    )


def _emailed(case: Case, recipient: User) -> Notification:
    note = Notification.objects.get(case=case, kind=Kind.RFI, recipient=recipient)
    # The audit row is written once the mail is sent; emailed_at is set before (the claim), so
    # waiting for it alone raced the mail's file on a busy machine.
    emailed = AuditLog.objects.filter(action="notification.emailed", object_id=str(note.pk))
    wait_until(emailed.exists, "the e-mail", timeout=60)
    note.refresh_from_db()
    return note


def test_it_emails_the_clinic_once_when_a_case_is_pended(
    celery_worker_process: subprocess.Popen[bytes], riverside: User, pharmacist: User
) -> None:
    case = _pend(make_case(riverside, claim_by=pharmacist), pharmacist)

    note = _emailed(case, riverside)
    # The outbox message may go out a second time (the relay): the e-mail still goes once.
    OutboxMessage.objects.filter(task="notifications.send_email").update(sent_at=None)
    relay_pending()
    time.sleep(1)

    subject = f"{case.reference}: information requested"
    mails = mails_to(riverside.email, subject)
    assert len(mails) == 1
    patient = case.patient
    for phi in (patient.first_name, patient.last_name, patient.member_id, "1985"):
        assert phi not in mails[0]
    assert f"more information to decide request {case.reference}" in mails[0]
    assert AuditLog.objects.filter(action="notification.created", case=case).count() == 1
    assert (
        AuditLog.objects.filter(action="notification.emailed", object_id=str(note.pk)).count() == 1
    )


def test_it_emails_a_pend_made_while_redis_is_down_once_redis_is_back(
    celery_worker_process: subprocess.Popen[bytes],
    riverside: User,
    pharmacist: User,
    tmp_path: Path,
) -> None:
    case = make_case(riverside, claim_by=pharmacist)
    stop_redis()
    try:
        _pend(case, pharmacist)
        note = Notification.objects.get(case=case, kind=Kind.RFI)
        message = OutboxMessage.objects.get(task="notifications.send_email", args=[note.pk])
        assert message.sent_at is None and message.last_error
    finally:
        start_redis(tmp_path)
    # What beat does every 30 s, through the real worker once Redis is back; then again.
    assert relay_outbox.delay().get(timeout=30) >= 1
    _emailed(case, riverside)
    relay_pending()

    assert len(mails_to(riverside.email, f"{case.reference}: information requested")) == 1
