"""The suite's Celery worker inherits this process's environment when it starts (after
collection): its e-mails (the file backend, the default outside production) go to a fresh
directory the tests here read. Only the directory is set: a subprocess run under
PA_ENV=production (the deploy checks) must still get SMTP."""

import email
import email.policy
import os
import tempfile
from pathlib import Path

MAIL_DIR = Path(tempfile.mkdtemp(prefix="pa-mail-"))
os.environ["EMAIL_FILE_PATH"] = str(MAIL_DIR)


def mails_to(address: str, subject: str) -> list[str]:
    """The text of each message the worker wrote to address with this subject (a file each)."""
    found = []
    for path in sorted(MAIL_DIR.glob("*.log")):
        raw = path.read_bytes().rsplit(b"-" * 79, 1)[0]
        message = email.message_from_bytes(raw, policy=email.policy.default)
        if message["To"] == address and message["Subject"] == subject:
            body = message.get_body()
            assert body is not None
            found.append(f"{subject}\n{body.get_content()}")
    return found
