"""Shared fixtures: the named users and a real Celery worker on the test database.

./test starts a throwaway PostgreSQL and Redis and passes them in DATABASE_URL / REDIS_URL.
"""

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import pytest
from django.db import connection
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, Page, sync_playwright

from accounts.demo import ensure_demo_users
from accounts.models import User
from accounts.two_factor import needs_second_factor

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]
PASSWORD = "correct-horse-battery-staple-42"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    # Hashing is not under test; PBKDF2's deliberate slowness would dominate the suite's time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def users(db: None) -> dict[str, User]:
    return ensure_demo_users(PASSWORD)


@pytest.fixture
def riverside(users: dict[str, User]) -> User:
    """Prescriber-office staff at Riverside Hematology Associates."""
    return users["riverside"]


@pytest.fixture
def lakeside(users: dict[str, User]) -> User:
    """Prescriber-office staff at Lakeside Hemophilia Treatment Center (the other clinic)."""
    return users["lakeside"]


@pytest.fixture
def pharmacist(users: dict[str, User]) -> User:
    return users["phil"]


@pytest.fixture
def director(users: dict[str, User]) -> User:
    return users["dana"]


@pytest.fixture
def auditor(users: dict[str, User]) -> User:
    return users["audrey"]


@pytest.fixture
def portal_admin(users: dict[str, User]) -> User:
    return users["admin"]


def client_for(user: User) -> Client:
    """A client logged in as user; payer staff also have their second factor verified."""
    client = Client()
    client.force_login(user)
    if needs_second_factor(user):
        device = totp_device_for(user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def totp_device_for(user: User) -> TOTPDevice:
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, confirmed=True, defaults={"name": "test authenticator"}
    )
    return device


def worker_database_url() -> str:
    """The URL of the database pytest-django created, for processes outside this one: as the
    application's role, as in ./run and production (the session itself is the owner)."""
    s = connection.settings_dict
    user, password = app_role_credentials()
    return f"postgresql://{quote(user)}:{quote(password)}@/{s['NAME']}?host={s['HOST']}" + (
        f"&port={s['PORT']}" if s["PORT"] else ""
    )


def app_role_credentials() -> tuple[str, str]:
    """The application's role (./test passes its URL in PA_APP_DATABASE_URL); the session's own
    user when run on a single external role."""
    app = urlsplit(os.environ.get("PA_APP_DATABASE_URL", ""))
    if app.username:
        return unquote(app.username), unquote(app.password or "")
    s = connection.settings_dict
    return s["USER"], s["PASSWORD"]


@pytest.fixture(scope="session")
def celery_worker_process(
    django_db_setup: None, django_db_blocker: pytest.FixtureRequest
) -> Iterator[subprocess.Popen[bytes]]:
    """A real `celery worker` process on the real Redis, reading and writing the test database.

    Tests that use it must be `django_db(transaction=True)` so the worker sees their rows.
    """
    from pa_portal.celery import app

    env = {**os.environ, "DATABASE_URL": worker_database_url(), "DB_CONN_MAX_AGE": "0"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "pa_portal", "worker", "--pool=solo",
         "--without-gossip", "--without-mingle", "-l", "warning", "-n", f"test-{os.getpid()}@%h"],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not app.control.ping(timeout=0.5):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("the Celery worker did not start")
    WORKER_RUNNING.set()
    yield proc
    WORKER_RUNNING.clear()
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(30)


WORKER_RUNNING = threading.Event()


@pytest.fixture(autouse=True)
def settled_background_work(request: pytest.FixtureRequest) -> Iterator[None]:
    """Let the session's Celery worker finish what a test queued before its tables are emptied.

    The worker outlives each test; a transaction=True test ends by truncating the tables, and a
    letter being written at that moment deadlocks or leaves rows behind for the next test.
    """
    marker = request.node.get_closest_marker("django_db")
    committed = "live_server" in request.fixturenames or bool(
        marker and marker.kwargs.get("transaction")
    )
    if committed:
        request.getfixturevalue("transactional_db")  # set up first, so emptied after we wait
    yield
    if committed and WORKER_RUNNING.is_set():
        wait_for_sent_letters()


def wait_for_sent_letters(timeout: float = 60) -> None:
    """Until every decision whose letter task reached the broker has its letter, and every
    notification whose e-mail task did is e-mailed and audited."""
    from audit.models import AuditLog
    from notifications.models import Notification
    from reviews.models import Decision, OutboxMessage

    def sent(task: str) -> set[int]:
        messages = OutboxMessage.objects.filter(task=task, sent_at__isnull=False)
        return {args[0] for args in messages.values_list("args", flat=True) if args}

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        letters = sent("reviews.generate_letter")
        mails = Notification.objects.filter(pk__in=sent("notifications.send_email"))
        emailed = AuditLog.objects.filter(
            action="notification.emailed",
            object_id__in=[str(pk) for pk in mails.values_list("pk", flat=True)],
        )
        if (
            not Decision.objects.filter(pk__in=letters, letter="").exists()
            and emailed.count() >= mails.count()
        ):
            return
        time.sleep(0.1)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One real Chromium (Debian's) for the whole run, driven by Playwright.

    Every browser test shares it: Playwright's sync API allows one instance per thread.
    """
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: ./test installs Debian's chromium package when it can")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # between browser steps are still plain synchronous code.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, live_server: Any) -> Iterator[Page]:
    """A fresh browser context at desktop size on the live server (a thread of this process)."""
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
