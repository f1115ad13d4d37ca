"""Enrolling an authenticator needs an administrator's one-time link as well as the password
(issue 15): a password alone never shows a secret; the link works once, for 24 hours, audited;
backup codes are shown once and each works once; the session key changes at verification."""

import re
from datetime import timedelta
from io import StringIO

from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.demo import ensure_demo_devices
from accounts.enrolment import issue_link
from accounts.models import EnrolmentLink, User
from audit.models import AuditLog
from tests.accounts.support import current_code, log_in
from tests.conftest import client_for

SECRET = re.compile(r'data-testid="totp-secret">([A-Z2-7]+)<')


def issue_from_admin(admin_user: User, user: User) -> str:
    """The administrator's action on the users list; returns the link's path it shows once."""
    response = client_for(admin_user).post(
        "/admin/accounts/user/",
        {"action": "issue_enrolment_links", "_selected_action": [user.pk]},
    )
    assert response.status_code == 200
    match = re.search(r'data-testid="enrolment-link">https?://[^/]+(/[^<]+)<', response.text)
    assert match, response.text
    return match.group(1)


def enrol(client: Client, path: str) -> tuple[TOTPDevice, list[str], str]:
    """Open the link and confirm the authenticator; the device, backup codes and final page."""
    page = client.get(path)
    assert page.status_code == 200
    assert SECRET.search(page.text)
    device = TOTPDevice.objects.get(user__username=page.context["user"].username, confirmed=False)
    done = client.post(path, {"token": current_code(device), "next": "/review/"})
    assert done.status_code == 200, done.status_code
    codes = re.findall(r"<li>([a-z2-7]{8})</li>", done.text)
    return device, codes, done.text


def test_it_refuses_setup_without_a_link_for_an_unenrolled_payer_account(
    pharmacist: User,
) -> None:
    client = log_in("phil")  # the attacker knows the password, nothing else

    response = client.get("/review/")
    assert response["Location"].startswith("/accounts/two-factor/setup/")
    setup = client.get(response["Location"])
    posted = client.post("/accounts/two-factor/setup/", {"token": "123456"})

    assert setup.status_code == posted.status_code == 403
    assert "enrolment link" in setup.text
    assert not SECRET.search(setup.text) and "<svg" not in setup.text
    assert not TOTPDevice.objects.filter(user=pharmacist).exists()
    assert client.get("/review/").status_code == 302  # still nothing but the refusal


def test_it_enrols_through_an_administrators_link_once_and_audits_it(
    pharmacist: User, portal_admin: User
) -> None:
    path = issue_from_admin(portal_admin, pharmacist)
    link = EnrolmentLink.objects.get(user=pharmacist)
    raw = path.rstrip("/").rsplit("/", 1)[1]
    assert raw not in link.digest  # only its hash is kept
    issued = AuditLog.objects.get(action="auth.enrolment_link_issued")
    assert (issued.actor, issued.detail["user"]) == (portal_admin, "phil")

    # A link is no use without the password: the login comes first.
    assert Client().get(path)["Location"].startswith("/accounts/login/")
    # Nor for another account that knows its own password.
    assert log_in("dana").get(path).status_code == 404

    client = log_in("phil")
    wrong = client.post(path, {"token": "000000"})
    assert "does not match" in wrong.text
    device, _, _ = enrol(client, path)

    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/review/").status_code == 200
    assert AuditLog.objects.filter(actor=pharmacist, action="auth.2fa_enrolled").count() == 1
    # Used: the link shows nothing any more, to anyone.
    again = client.get(path)
    assert again.status_code == 410
    assert not SECRET.search(again.text)
    assert log_in("phil").get(path).status_code == 410


def test_it_expires_a_link_after_24_hours(pharmacist: User) -> None:
    link, path = issue_link(pharmacist, issued_by=None)
    assert abs(link.expires_at - link.created_at - timedelta(hours=24)) < timedelta(seconds=1)
    EnrolmentLink.objects.filter(pk=link.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    response = log_in("phil").get(path)

    assert response.status_code == 410
    assert not SECRET.search(response.text)


def test_it_gives_each_link_a_new_secret_and_voids_the_previous_link(pharmacist: User) -> None:
    _, first = issue_link(pharmacist, issued_by=None)
    client = log_in("phil")
    old_secret = SECRET.search(client.get(first).text)
    _, second = issue_link(pharmacist, issued_by=None)

    assert client.get(first).status_code == 404
    new_secret = SECRET.search(client.get(second).text)
    assert old_secret and new_secret and old_secret.group(1) != new_secret.group(1)


def test_it_shows_backup_codes_once_and_each_works_once(pharmacist: User) -> None:
    _, path = issue_link(pharmacist, issued_by=None)
    client = log_in("phil")
    _, codes, _ = enrol(client, path)
    assert len(codes) == len(set(codes)) == 10

    account = client.get("/accounts/security/")
    assert "Backup codes left: 10" in account.text
    assert not any(code in account.text for code in codes)

    later = log_in("phil")
    used = later.post("/accounts/two-factor/", {"token": codes[0], "next": "/review/"})
    assert used["Location"] == "/review/"
    assert later.get("/review/").status_code == 200
    assert AuditLog.objects.filter(
        action="auth.2fa_verified", detail__method="backup_code"
    ).exists()
    assert StaticToken.objects.filter(device__user=pharmacist).count() == 9

    again = log_in("phil")
    refused = again.post("/accounts/two-factor/", {"token": codes[0], "next": "/review/"})
    assert refused.status_code == 200
    assert "not valid" in refused.text
    assert again.get("/review/").status_code == 302


def test_it_rotates_the_session_key_when_the_second_factor_is_verified(director: User) -> None:
    device = TOTPDevice.objects.create(user=director, name="app", confirmed=True)
    client = log_in("dana")
    before = client.cookies["sessionid"].value

    response = client.post("/accounts/two-factor/", {"token": current_code(device), "next": "/"})

    after = client.cookies["sessionid"].value
    assert response.status_code == 302
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
    assert client.get("/review/").status_code == 200


def test_it_rotates_the_session_key_at_enrolment_too(auditor: User) -> None:
    _, path = issue_link(auditor, issued_by=None)
    client = log_in("audrey")
    before = client.cookies["sessionid"].value
    enrol(client, path)
    assert client.cookies["sessionid"].value != before
    assert not Session.objects.filter(session_key=before).exists()


def test_it_prints_a_link_from_the_command_line_for_the_first_administrator(
    portal_admin: User,
) -> None:
    out = StringIO()
    call_command("enrolment_link", "admin", "--base-url", "https://pa.example.org", stdout=out)
    url = out.getvalue().strip()
    assert url.startswith("https://pa.example.org/accounts/two-factor/enrol/")
    assert AuditLog.objects.filter(action="auth.enrolment_link_issued", actor=None).exists()


def test_it_keeps_the_demo_users_enrolled_out_of_the_box(users: dict[str, User]) -> None:
    ensure_demo_devices(users)  # what seed_demo (./run) does
    out = StringIO()
    call_command("demo_totp", "phil", stdout=out)
    client = log_in("phil")

    response = client.post("/accounts/two-factor/", {"token": out.getvalue()[:6], "next": "/"})

    assert response.status_code == 302
    assert client.get("/review/").status_code == 200
