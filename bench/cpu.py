"""CPU seconds used by groups of processes over a window, from /proc (Linux).

A load test on a 2-core machine is bounded by CPU, not by any one process: gunicorn's workers,
the Celery worker, PostgreSQL's backends and the load generator all share the two cores. Knowing
how many CPU milliseconds each group spends per request says where a request's cost goes (and
that the generator's own share is not charged to the portal).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds of the process itself, user + system), or None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()  # the command name may hold spaces
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICKS


def _tree(roots: set[int]) -> set[int]:
    """The roots and every living descendant."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _stat(int(entry))) is not None:
            parents[int(entry)] = stat[0]
    found = set(roots)
    changed = True
    while changed:
        changed = False
        for pid, parent in parents.items():
            if parent in found and pid not in found:
                found.add(pid)
                changed = True
    return found & (set(parents) | roots)


@dataclass
class CpuMeter:
    """CPU seconds per named group of process trees between the first take() and the last. A
    process belongs to the first group whose tree holds it (so a group rooted at this process
    counts only what the others do not); one that exits inside the window is counted up to its
    last sample, and one that starts inside it from its first (call take() every second or so)."""

    groups: dict[str, set[int]]
    seen: dict[int, tuple[str, float, float]] = field(
        default_factory=dict
    )  # pid: group, first, last
    started: bool = False

    def take(self) -> None:
        claimed: set[int] = set()
        first_take, self.started = not self.started, True
        for name, roots in self.groups.items():
            for pid in _tree(roots) - claimed:
                claimed.add(pid)
                stat = _stat(pid)
                if stat is None:
                    continue
                # A process first seen after the start began inside the window: count it all.
                start = stat[1] if first_take else 0.0
                group, first, _ = self.seen.get(pid, (name, start, stat[1]))
                self.seen[pid] = (group, first, stat[1])

    def seconds(self) -> dict[str, float]:
        totals = dict.fromkeys(self.groups, 0.0)
        for group, first, last in self.seen.values():
            totals[group] += last - first
        return totals
