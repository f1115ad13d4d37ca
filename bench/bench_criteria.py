"""Time full criteria evaluations in-process: python bench/bench_criteria.py [iterations]

For each example request (approve, pend, deny) it runs ``evaluate`` many times with
time.perf_counter, takes the best of several rounds (the least disturbed by other
work on the machine), and prints microseconds per evaluation and evaluations per
second; also ``evaluate`` plus ``to_dict`` (what storing an evaluation costs) and
reading the JSON document (``facts_from_json``).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from criteria import Facts, evaluate, facts_from_json  # noqa: E402

EXAMPLES = ROOT / "criteria" / "schema" / "examples"
ROUNDS = 5
GOAL_US = 50.0


def best_us(work: Callable[[], object], iterations: int) -> float:
    """Best-of-ROUNDS mean time of one call, in microseconds."""
    best = float("inf")
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for _ in range(iterations):
            work()
        best = min(best, (time.perf_counter() - start) / iterations)
    return best * 1e6


def evaluate_and_store(facts: Facts) -> dict[str, Any]:
    return evaluate(facts).to_dict()


def main(iterations: int) -> int:
    print(f"Python {sys.version.split()[0]}, {iterations} iterations x best of {ROUNDS}")
    print(
        f"{'case':<8}{'result':<9}{'µs/eval':>9}{'evals/s':>11}{'+to_dict µs':>13}{'parse µs':>10}"
    )
    worst = 0.0
    for name in ("approve", "pend", "deny"):
        text = (EXAMPLES / f"{name}.json").read_text(encoding="utf-8")
        facts: Facts = facts_from_json(text)
        result = evaluate(facts).recommendation
        assert result == name, f"{name}.json evaluated to {result}"
        per_eval = best_us(partial(evaluate, facts), iterations)
        with_dict = best_us(partial(evaluate_and_store, facts), iterations)
        parse = best_us(partial(facts_from_json, text), iterations // 4 or 1)
        worst = max(worst, per_eval)
        print(
            f"{name:<8}{result:<9}{per_eval:>9.1f}{1e6 / per_eval:>11,.0f}"
            f"{with_dict:>13.1f}{parse:>10.1f}"
        )
    verdict = "within" if worst < GOAL_US else "OVER"
    print(f"slowest full evaluation {worst:.1f} µs: {verdict} the {GOAL_US:.0f} µs goal")
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000))
