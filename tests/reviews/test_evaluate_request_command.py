"""manage.py evaluate_request: a file or stdin in, the checklist as JSON out."""

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "criteria" / "schema" / "examples"


def run(*args: str, stdin: str | None = None) -> dict[str, Any]:
    out = StringIO()
    options: dict[str, Any] = {"stdout": out}
    if stdin is not None:
        options["stdin"] = StringIO(stdin)
    call_command("evaluate_request", *args, **options)
    result: dict[str, Any] = json.loads(out.getvalue())
    return result


def manage(*args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        input=stdin,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_evaluates_a_file_and_prints_the_checklist() -> None:
    output = run(str(EXAMPLES / "approve.json"))
    evaluation = output["evaluation"]
    assert evaluation["recommendation"] == "approve"
    assert evaluation["policy_id"] == "fep-hemgenix-2024-01"
    assert evaluation["evaluated_on"] == "2024-03-15"
    assert len(evaluation["lines"]) == 14
    assert {line["status"] for line in evaluation["lines"]} == {"met"}
    assert output["policy"]["effective_from"] == "2024-01-01"


def test_it_reads_standard_input_for_a_dash() -> None:
    document = (EXAMPLES / "pend.json").read_text(encoding="utf-8")
    evaluation = run("-", stdin=document)["evaluation"]
    assert evaluation["recommendation"] == "pend"
    assert evaluation["missing"] == [
        "liver_assessment",
        "prescriber",
        "excl_inhibitor_titer",
        "excl_hepatitis",
    ]
    assert len(evaluation["requests_for_information"]) == 4


def test_it_names_every_bad_field_in_the_error() -> None:
    document = {
        "evaluation_date": "2024-02-30",
        "hiv_status": "positive",
        "labs": [{"code": "ALT", "value": -1, "unit": "U/L"}],
        "colour": "blue",
    }
    with pytest.raises(CommandError) as raised:
        run("-", stdin=json.dumps(document))
    message = str(raised.value)
    assert message.startswith("invalid facts in standard input:")
    for text in (
        "evaluation_date: 2024-02-30 is not a real calendar date",
        "hiv_status: must be one of",
        "labs[0].value: must not be negative",
        "colour: unknown field",
    ):
        assert text in message


def test_it_reports_malformed_json() -> None:
    with pytest.raises(CommandError, match=r"\$: not valid JSON"):
        run("-", stdin='{"evaluation_date": "2024-03-01",')


def test_it_reports_a_date_with_no_policy_in_force() -> None:
    with pytest.raises(CommandError, match="in force on 2023-12-31"):
        run("-", stdin='{"evaluation_date": "2023-12-31"}')


def test_it_reports_a_file_it_cannot_read(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    with pytest.raises(CommandError, match=f"cannot read {missing}"):
        run(str(missing))


def test_it_runs_as_a_real_process_reading_stdin() -> None:
    result = manage("evaluate_request", "-", stdin=(EXAMPLES / "deny.json").read_text("utf-8"))
    assert result.returncode == 0, result.stderr
    evaluation = json.loads(result.stdout)["evaluation"]
    assert evaluation["recommendation"] == "deny"
    assert evaluation["failing"] == [
        "fix_activity",
        "excl_inhibitor_history",
        "excl_inhibitor_titer",
        "lifetime_limit",
    ]
    assert "  " in result.stdout  # indented for people


def test_it_exits_non_zero_with_the_errors_on_stderr() -> None:
    result = manage("evaluate_request", "-", stdin='{"evaluation_date": "2024-03-01", "sex_assigned_at_birth": "M"}')  # fmt: skip
    assert result.returncode != 0
    assert result.stdout == ""
    assert "sex_assigned_at_birth: must be one of male, female, intersex, unknown" in result.stderr
