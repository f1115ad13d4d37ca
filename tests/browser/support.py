"""Helpers for the browser tests: log in like a person, run axe-core, save screenshots.

The `browser` (one Chromium for the whole run) and `page` fixtures live in tests/conftest.py.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django_otp.oath import totp
from playwright.sync_api import FloatRect, Locator, Page

from accounts.models import User
from accounts.two_factor import needs_second_factor
from tests.conftest import PASSWORD, totp_device_for

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SCREENSHOTS = Path(os.environ.get("PA_SCREENSHOT_DIR", "/tmp/pa-screenshots"))


def log_in(page: Page, user: User) -> None:
    """Log in through the form like a person, with the second factor where the role needs it."""
    device = totp_device_for(user) if needs_second_factor(user) else None
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    if device is not None:
        code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
        page.get_by_label("Six-digit code from your authenticator app").fill(f"{code:06d}")
        page.get_by_role("button", name="Verify").click()
    page.wait_for_load_state()


def axe_violations(page: Page, impacts: tuple[str, ...] = ("serious", "critical")) -> list[Any]:
    """Run axe-core in the page; returns the violations of the given impacts."""
    # Evaluated through the DevTools protocol: the page's CSP (rightly) refuses injected tags.
    page.evaluate(AXE.read_text())
    result = page.evaluate("async () => await axe.run(document)")
    return [v for v in result["violations"] if v["impact"] in impacts]


def describe(violations: list[Any]) -> str:
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in violations
    )


def screenshot(
    page: Page, name: str, *, full_page: bool = True, down_to: Locator | None = None
) -> Path:
    """Save a PNG of the page: all of it, the window only, or from the top down to an element
    (a long page kept small, ending where the interesting part does)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    clip: FloatRect | None = None
    if down_to is not None and (box := down_to.bounding_box()) is not None:
        bottom = box["y"] + box["height"] + page.evaluate("window.scrollY") + 16
        width = page.evaluate("document.documentElement.clientWidth")
        clip = FloatRect(x=0, y=0, width=width, height=bottom)
    page.screenshot(path=str(path), full_page=full_page, clip=clip)
    return path
