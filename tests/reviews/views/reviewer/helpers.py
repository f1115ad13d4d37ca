"""Facts and documents for the reviewer workbench's view tests."""

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import User
from reviews import services
from reviews.models import Case, Document
from tests.factories import approvable_facts


def failing_facts() -> dict[str, Any]:
    """Facts whose factor IX activity (5 %) is above the policy's 2 % maximum: one line not met."""
    return {**approvable_facts(), "fix_activity_value": "5"}


def missing_hiv_facts() -> dict[str, Any]:
    """Facts without the HIV result: one line unknown, so the engine recommends a pend."""
    facts = approvable_facts()
    del facts["hiv_status"]
    return facts


def attach_pdf(clinic_user: User, case: Case, supports: list[str]) -> Document:
    upload = SimpleUploadedFile("factor-ix-lab.pdf", b"%PDF-1.4\n% lab report\n%%EOF\n")
    return services.document_attach(
        actor=clinic_user, case=case, upload=upload, kind="lab_report", supports=supports
    )
