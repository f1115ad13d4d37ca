"""python manage.py evaluate_request FILE.json  (or - to read standard input)

Evaluates one request's facts (the JSON document described by
criteria/schema/facts.schema.json) against the policy version in force on its
evaluation date, and prints the checklist and recommendation as JSON. Malformed input
exits non-zero with one line per problem, each naming its field.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from criteria import NoPolicyInForce, Policy, evaluate, policy_for
from criteria.io import FactsValidationError, facts_from_json


class Command(BaseCommand):
    help = (
        "Evaluate a Hemgenix prior-authorization facts document (JSON file, or - for "
        "stdin) and print the checklist and recommendation as JSON."
    )
    # Pure computation on the given document: no models, no database, no system checks.
    requires_system_checks: list[str] = []
    # call_command(..., stdin=StringIO(...)) lets tests feed "-" without a real stdin.
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="facts JSON document, or - to read standard input")

    def handle(self, *args: Any, **options: Any) -> None:
        name: str = options["file"]
        text = self._read(name, options.get("stdin") or sys.stdin)
        try:
            facts = facts_from_json(text)
            policy = policy_for(facts.evaluation_date)
        except FactsValidationError as exc:
            where = "standard input" if name == "-" else name
            problems = "\n".join(f"  {message}" for _, message in exc.errors)
            raise CommandError(f"invalid facts in {where}:\n{problems}") from exc
        except NoPolicyInForce as exc:
            raise CommandError(str(exc)) from exc
        output = {"evaluation": evaluate(facts, policy).to_dict(), "policy": _summary(policy)}
        self.stdout.write(json.dumps(output, indent=2, ensure_ascii=False))

    def _read(self, name: str, stdin: Any) -> str | bytes:
        if name == "-":
            data: str = stdin.read()
            return data
        try:
            return Path(name).read_bytes()  # json.loads detects the encoding
        except OSError as exc:
            raise CommandError(f"cannot read {name}: {exc.strerror or exc}") from exc


def _summary(policy: Policy) -> dict[str, Any]:
    return {
        "id": policy.id,
        "title": policy.title,
        "payer": policy.payer,
        "effective_from": policy.effective_from.isoformat(),
        "effective_to": policy.effective_to.isoformat() if policy.effective_to else None,
    }
