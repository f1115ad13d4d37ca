"""The Django admin never shows an API token, its hash, a TOTP secret or a backup code: every
admin page that lists or shows them is rendered and searched for the secret's text."""

from base64 import b32encode

from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.enrolment import issue_link
from accounts.models import ApiToken, EnrolmentLink, User
from accounts.tokens import issue_token
from tests.conftest import client_for


def test_it_never_shows_a_token_or_a_totp_secret_in_the_admin(
    riverside: User, pharmacist: User, portal_admin: User
) -> None:
    token, raw = issue_token(riverside, "EHR")
    device = TOTPDevice.objects.create(user=pharmacist, name="phone", confirmed=True)
    backup = StaticDevice.objects.create(user=pharmacist, name="Backup codes", confirmed=True)
    StaticToken.objects.create(device=backup, token="abcdefgh")
    link, path = issue_link(portal_admin, issued_by=None)
    secrets = {
        "token": raw,
        "token hash": token.digest,
        "TOTP key (hex)": device.key,
        "TOTP key (base32)": b32encode(device.bin_key).decode(),
        "backup code": "abcdefgh",
        "enrolment link": path.rstrip("/").rsplit("/", 1)[1],
        "enrolment link hash": link.digest,
    }
    pages = [
        "/admin/",
        "/admin/accounts/apitoken/",
        f"/admin/accounts/apitoken/{token.pk}/change/",
        "/admin/otp_totp/totpdevice/",
        f"/admin/otp_totp/totpdevice/{device.pk}/change/",
        "/admin/otp_static/staticdevice/",
        f"/admin/otp_static/staticdevice/{backup.pk}/change/",
        "/admin/accounts/enrolmentlink/",
        f"/admin/accounts/enrolmentlink/{EnrolmentLink.objects.get().pk}/change/",
        f"/admin/accounts/user/{pharmacist.pk}/change/",
        f"/admin/accounts/user/{riverside.pk}/change/",
    ]
    admin = client_for(portal_admin)
    for url in pages:
        response = admin.get(url)
        assert response.status_code == 200, url
        for name, secret in secrets.items():
            assert secret not in response.text, (url, name)
    assert "EHR" in admin.get("/admin/accounts/apitoken/").text  # the rows are there
    # Nothing can be added here: a new secret would be shown on its page.
    for url in (
        "/admin/accounts/apitoken/add/",
        "/admin/otp_totp/totpdevice/add/",
        "/admin/otp_static/staticdevice/add/",
        f"/admin/otp_totp/totpdevice/{device.pk}/config/",
        f"/admin/otp_totp/totpdevice/{device.pk}/qrcode/",
    ):
        assert admin.get(url).status_code in (302, 403, 404), url


def test_it_lets_an_administrator_revoke_tokens(riverside: User, portal_admin: User) -> None:
    token, _ = issue_token(riverside, "EHR")
    admin = client_for(portal_admin)
    admin.post(
        "/admin/accounts/apitoken/", {"action": "revoke_tokens", "_selected_action": [token.pk]}
    )
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert ApiToken.objects.active().count() == 0
