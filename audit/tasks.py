"""The audit log's nightly check (scheduled in pa_portal/celery.py)."""

from typing import Any

from celery import shared_task

from .chain import verify_and_record


@shared_task(name="audit.verify_chain")
def verify_chain() -> dict[str, Any]:
    result = verify_and_record()
    return {"ok": result.ok, "rows": result.rows, "problem": result.problem}
