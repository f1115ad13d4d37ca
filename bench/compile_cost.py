"""What compiling SQL costs the hot paths: python bench/compile_cost.py [--requests 100]

For each of bench/profile.py's paths, in-process on the benchmark's data set: the CPU a request
costs, and of it the CPU Django spends turning querysets into SQL (SQLCompiler.as_sql, timed
again beside each statement it runs), by statement, heaviest first. A prepared read
(pa_portal/prepared.py) runs its planned SQL, so what it saves shows as statements that cost
nothing here. (The timing compiles each statement a second time: the per-request figure
includes that, the per-statement figures are the compilation alone.)
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import stack  # noqa: E402

WARMUP = 20


def _timed(costs: dict[tuple[str, str], list[float]], on: list[bool]) -> None:
    """Wrap the compilers' execute_sql to time an as_sql() beside each statement."""
    from django.db.models.sql import compiler

    def wrap(cls: Any, first: Any) -> None:
        original = cls.execute_sql

        def execute_sql(self: Any, *args: Any, **kwargs: Any) -> Any:
            if on[0]:
                started = time.process_time()
                sql = first(self.as_sql())
                costs[(cls.__name__, sql[:110])].append(time.process_time() - started)
            return original(self, *args, **kwargs)

        cls.execute_sql = execute_sql

    wrap(compiler.SQLCompiler, lambda compiled: compiled[0])
    wrap(compiler.SQLInsertCompiler, lambda compiled: compiled[0][0])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench/compile_cost.py", description=__doc__)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--top", type=int, default=8)
    args = parser.parse_args(argv)
    with ExitStack() as servers:
        pg = stack.start(servers)
        from bench.run import prepare, use_working_copy

        prepare(pg, argparse.Namespace(cases=args.cases, reuse=True))
        use_working_copy(pg)
        from bench.profile import paths

        costs: dict[tuple[str, str], list[float]] = defaultdict(list)
        on = [False]
        _timed(costs, on)
        n = args.requests
        for name, call in paths(3 * n).items():
            for i in range(WARMUP):
                call(i)
            costs.clear()
            on[0] = True
            started = time.process_time()
            for i in range(WARMUP, WARMUP + n):
                call(i)
            total = (time.process_time() - started) * 1000 / n
            on[0] = False
            compiling = sum(sum(v) for v in costs.values()) * 1000 / n
            print(f"\n## {name}: {total:.2f} ms CPU a request, {compiling:.2f} ms of it compiling")
            heaviest = sorted(costs.items(), key=lambda kv: -sum(kv[1]))[: args.top]
            for (kind, sql), times in heaviest:
                each = sum(times) * 1000 / n
                print(f"- {each:.3f} ms, {len(times) / n:.1f} a request: {kind} `{sql}`")
        from django.db import connection

        connection.close()
        stack.drop_working_copy(pg)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
