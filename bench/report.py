"""The results table: bench/results.md (for people) and bench/results.json (for diffs)."""

from __future__ import annotations

import json
import os
import platform
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from .pages import GOAL_P95_MS, PageResult
from .throughput import LoadResult


def _ms(value: float) -> str:
    return f"{value:,.2f}" if value < 1 else f"{value:,.1f}"


def page_table(results: list[PageResult]) -> list[str]:
    lines = [
        "| page | example | p50 ms | p95 ms | max ms | SQL queries | goal |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for r in results:
        goal = "yes" if r.meets_goal else "**no**"
        lines.append(
            f"| {r.name} | `{r.url}` | {_ms(r.p50_ms)} | {_ms(r.p95_ms)} | {_ms(r.max_ms)} "
            f"| {r.queries} | {goal} |"
        )
    return lines


def comparison_table(pairs: list[tuple[PageResult, PageResult]]) -> list[str]:
    lines = [
        "| same cases, same filter | queue p50 / p95 ms | admin p50 / p95 ms | queries (queue / admin) | admin ÷ queue (p50) |",
        "|---|---:|---:|---:|---:|",
    ]
    for queue, admin in pairs:
        label = queue.name.removeprefix("Queue: ")
        lines.append(
            f"| {label} | {_ms(queue.p50_ms)} / {_ms(queue.p95_ms)} "
            f"| {_ms(admin.p50_ms)} / {_ms(admin.p95_ms)} | {queue.queries} / {admin.queries} "
            f"| {admin.p50_ms / queue.p50_ms:.1f}x |"
        )
    return lines


def load_table(load: LoadResult | None) -> list[str]:
    if load is None:
        return ["(not run: --skip-load)"]
    return [
        "| gunicorn workers | client threads | seconds | submissions | errors | per second | p50 ms | p95 ms |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {load.workers} | {load.threads} | {load.seconds:.1f} | {load.requests} | {load.errors} "
        f"| {load.rps:.1f} | {_ms(load.p50_ms)} | {_ms(load.p95_ms)} |",
    ]


def dataset_lines(dataset: dict[str, Any]) -> list[str]:
    counts = dataset.get("counts") or {}
    if isinstance(counts, str):  # read back from the marker table's jsonb column
        counts = json.loads(counts)
    parts = ", ".join(f"{table.split('_', 1)[1]} {n:,}" for table, n in counts.items())
    seconds = dataset.get("seconds")
    made = f" (generated in {seconds:.0f} s)" if seconds else ""
    return [f"Data set: {dataset['cases']:,} cases{made}: {parts}."]


def write(
    path_md: Path,
    path_json: Path,
    *,
    dataset: dict[str, Any],
    pages: list[PageResult],
    pairs: list[tuple[PageResult, PageResult]],
    load: LoadResult | None,
    explain: list[dict[str, Any]],
    load_before: tuple[float, float, float],
) -> str:
    load_after = os.getloadavg()
    stamp = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    machine = f"{os.cpu_count()} cores, Python {platform.python_version()}"
    lines = [
        f"# Benchmark results ({stamp})",
        "",
        f"Machine: {machine}; load average {load_before[0]:.2f} before, {load_after[0]:.2f} "
        "after (other engineers' test suites share the two cores, so these are upper bounds).",
        "",
        *dataset_lines(dataset),
        "",
        f"## Pages (server side, in-process; goal: p95 under {GOAL_P95_MS:.0f} ms)",
        "",
        *page_table(pages),
        "",
        "## Reviewer queue against the Django admin changelist",
        "",
        *comparison_table(pairs),
        "",
        "## API submissions through gunicorn over loopback",
        "",
        *load_table(load),
        "",
    ]
    if explain:
        lines += [
            "## EXPLAIN ANALYZE with and without the bench indexes",
            "",
            "| query | index | without ms | with ms |",
            "|---|---|---:|---:|",
            *(
                f"| {e['name']} | `{e['index']}` | {_ms(e['without_ms'])} | {_ms(e['with_ms'])} |"
                for e in explain
            ),
            "",
        ]
    text = "\n".join(lines)
    path_md.write_text(text)
    path_json.write_text(
        json.dumps(
            {
                "at": stamp,
                "machine": machine,
                "load_average": {"before": load_before, "after": load_after},
                "dataset": dataset,
                "pages": [asdict(p) for p in pages],
                "queue_vs_admin": [[asdict(q), asdict(a)] for q, a in pairs],
                "load": load.as_dict() if load else None,
                "explain": explain,
            },
            indent=2,
        )
        + "\n"
    )
    return text
