"""The sign-in flow over real HTTP against the live server (a thread of this process on the
test PostgreSQL): an enrolment link plus the password enrols, the session key changes when the
second factor is verified, and an API token is issued, used and revoked at sign-out."""

import http.cookiejar
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.enrolment import issue_link
from accounts.models import ApiToken, User
from tests.accounts.support import current_code
from tests.conftest import PASSWORD


class Browser:
    """urllib with a cookie jar, following redirects like a browser."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.jar if c.name == name), None)

    def get(self, path: str) -> tuple[int, str, str]:
        return self._open(urllib.request.Request(self.base + path))

    def post_form(self, path: str, page: str, fields: dict[str, str]) -> tuple[int, str, str]:
        """Submit the form on page (its CSRF token included) to path."""
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert match, "no CSRF token on the page"
        data = urllib.parse.urlencode({"csrfmiddlewaretoken": match.group(1), **fields}).encode()
        return self._open(urllib.request.Request(self.base + path, data=data, method="POST"))

    def _open(self, request: urllib.request.Request) -> tuple[int, str, str]:
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.geturl(), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.geturl(), error.read().decode()


def api(base: str, method: str, path: str, token: str = "", body: Any = None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def test_it_enrols_and_signs_in_over_http_with_a_link_the_password_and_a_code(
    live_server: Any, pharmacist: User
) -> None:
    _, link = issue_link(pharmacist, issued_by=None)
    browser = Browser(live_server.url)

    # The password alone: refused at enrolment, no secret.
    status, url, page = browser.get("/accounts/login/")
    status, url, page = browser.post_form(
        "/accounts/login/", page, {"username": "phil", "password": PASSWORD, "next": "/review/"}
    )
    assert (status, urllib.parse.urlsplit(url).path) == (403, "/accounts/two-factor/setup/")
    assert "totp-secret" not in page

    # With the link: the secret, then one code, then the backup codes once.
    status, url, page = browser.get(link)
    assert status == 200 and 'data-testid="totp-secret"' in page
    before = browser.cookie("sessionid")
    device = TOTPDevice.objects.get(user=pharmacist, confirmed=False)
    status, url, page = browser.post_form(
        link, page, {"token": current_code(device), "next": "/review/"}
    )
    assert status == 200 and 'data-testid="backup-codes"' in page
    codes = re.findall(r"<li>([a-z2-7]{8})</li>", page)
    assert browser.cookie("sessionid") not in (None, before)  # rotated at verification
    status, url, _ = browser.get("/review/")
    assert (status, urllib.parse.urlsplit(url).path) == (200, "/review/")
    assert browser.get(link)[0] == 410  # used

    # A later sign-in: password, then a backup code (this 30 s step's code is spent); the
    # session key changes again.
    second = Browser(live_server.url)
    _, _, page = second.get("/accounts/login/")
    status, url, page = second.post_form(
        "/accounts/login/", page, {"username": "phil", "password": PASSWORD, "next": "/review/"}
    )
    assert urllib.parse.urlsplit(url).path == "/accounts/two-factor/"
    before = second.cookie("sessionid")
    status, url, page = second.post_form(
        "/accounts/two-factor/", page, {"token": codes[0], "next": "/review/"}
    )
    assert (status, urllib.parse.urlsplit(url).path) == (200, "/review/")
    assert second.cookie("sessionid") not in (None, before)


def test_it_issues_uses_and_revokes_an_api_token_over_http(
    live_server: Any, riverside: User
) -> None:
    base = live_server.url
    body = {"username": "riverside", "password": PASSWORD, "device": "EHR interface"}
    status, signed_in = api(base, "POST", "/api/auth/token/", body=body)
    assert status == 201
    token = signed_in["token"]
    assert not ApiToken.objects.filter(digest=token).exists()

    assert api(base, "GET", "/api/cases/", token)[0] == 200
    assert api(base, "POST", "/api/auth/sign-out/", token)[0] == 204
    assert api(base, "GET", "/api/cases/", token)[0] == 401
