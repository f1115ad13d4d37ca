"""Two versions of the portal side by side, in one run: python bench/compare.py BEFORE [AFTER]

BEFORE and AFTER are git revisions (AFTER defaults to this working tree). Each is checked out in
its own worktree under .local/compare/, and both are measured against the same servers and the
same data set (bench/run.py generates it; both versions must share its schema), in alternating
rounds so that whatever else the machine is doing falls on both alike:

  pages   in-process (Django's test Client), each version in its own process: the reviewer
          queue and the admin changelist with the same 25 cases, the case page, the clinic's
          list, the API create-and-submit; p50 wall time and CPU ms per request (process
          time, which other processes' load does not inflate as much);
  api     API create-and-submit through gunicorn (2 sync workers, 4 client threads), per second;
  load    bench/load.py (this tree's, the servers from each version's checkout): clinics and
          reviewers at once, requests per second and CPU per process group, and its integrity
          lines.

Prints a table of each figure for both versions and their ratio; writes bench/compare.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import stack  # noqa: E402
from pa_portal.devstack import log  # noqa: E402

WORKTREES = stack.LOCAL / "compare"
OUT = ROOT / "bench" / "compare.md"
SAVED = stack.LOCAL / "compare" / "results.json"  # each round as it ends (--resume)


def checkout(revision: str) -> Path:
    """A worktree of the revision (reused if it is there), sharing this tree's virtualenv."""
    sha = subprocess.run(
        ["git", "rev-parse", "--short", revision],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    path = WORKTREES / sha
    if not path.exists():
        WORKTREES.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "worktree", "add", "--detach", str(path), sha], cwd=ROOT, check=True)
    if not (path / ".venv").exists():
        (path / ".venv").symlink_to(ROOT / ".venv")
    return path


def run_worker(tree: Path, what: str, **options: Any) -> dict[str, Any]:
    """bench/compare_worker.py of this tree, importing the portal from `tree`."""
    command = [sys.executable, str(ROOT / "bench" / "compare_worker.py"), str(tree), what]
    command.append(json.dumps(options))
    done = subprocess.run(command, cwd=tree, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{what} in {tree} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def run_load(tree: Path, seconds: float) -> dict[str, Any]:
    command = [sys.executable, str(ROOT / "bench" / "load.py"), "--seconds", str(seconds)]
    command += ["--tree", str(tree), "--json"]
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"load test of {tree} failed:\n{(done.stdout + done.stderr)[-3000:]}")
    # load.py ends with its figures as one JSON line, before its servers' stop messages.
    return dict(json.loads(next(x for x in reversed(done.stdout.splitlines()) if x[:1] == "{")))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench/compare.py", description=__doc__.split("\n")[0])
    parser.add_argument("before")
    parser.add_argument("after", nargs="?", default="")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--iterations", type=int, default=60, help="requests per page a round")
    parser.add_argument("--api-seconds", type=float, default=15)
    parser.add_argument("--load-seconds", type=float, default=40)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--skip", action="append", default=[], help="pages, api or load")
    parser.add_argument("--resume", action="store_true", help="keep the rounds already measured")
    args = parser.parse_args(argv)
    trees = {"before": checkout(args.before), "after": checkout(args.after) if args.after else ROOT}
    results: dict[str, dict[str, list[dict[str, Any]]]] = {n: {} for n in trees}
    if args.resume and SAVED.exists():  # the rounds a stopped run had finished
        results = json.loads(SAVED.read_text())
    started, load_before = time.monotonic(), os.getloadavg()[0]
    with ExitStack() as servers:
        pg = stack.start(servers)
        from bench.run import prepare, use_working_copy

        prepare(pg, argparse.Namespace(cases=args.cases, reuse=True))
        use_working_copy(pg)
        from django.db import connection

        connection.close()
        for round_ in range(args.rounds):
            order = list(trees) if round_ % 2 == 0 else list(reversed(trees))
            for name in order:
                tree = trees[name]
                if "pages" not in args.skip and _todo(results, name, "pages", round_):
                    log(f"round {round_ + 1}: pages, {name}")
                    page = run_worker(tree, "pages", iterations=args.iterations)
                    _keep(results, name, "pages", page)
                if "api" not in args.skip and _todo(results, name, "api", round_):
                    log(f"round {round_ + 1}: API through gunicorn, {name}")
                    api = run_worker(tree, "api", seconds=args.api_seconds)
                    _keep(results, name, "api", api)
        stack.drop_working_copy(pg)
    if "load" not in args.skip:
        for round_ in range(args.rounds):
            for name in trees if round_ % 2 == 0 else reversed(list(trees)):
                log(f"round {round_ + 1}: load test, {name}")
                results[name].setdefault("load", []).append(
                    run_load(trees[name], args.load_seconds)
                )
    text = report(trees, results, args, time.monotonic() - started, load_before)
    OUT.write_text(text)
    print(text)
    return 0


def _todo(results: dict[str, Any], name: str, section: str, round_: int) -> bool:
    return len(results[name].get(section, [])) <= round_


def _keep(results: dict[str, Any], name: str, section: str, figures: dict[str, Any]) -> None:
    results[name].setdefault(section, []).append(figures)
    SAVED.write_text(json.dumps(results, indent=1))


def _median(rounds: list[dict[str, Any]], key: str) -> float:
    return statistics.median(float(r[key]) for r in rounds)


def report(
    trees: dict[str, Path],
    results: dict[str, dict[str, list[dict[str, Any]]]],
    args: argparse.Namespace,
    seconds: float,
    load_before: float,
) -> str:
    revs = {n: _rev(p) for n, p in trees.items()}
    lines = [
        f"Before {revs['before']}, after {revs['after']}; {args.rounds} alternating rounds, "
        f"medians of the rounds; {args.cases:,} cases; load average {load_before:.2f} at the "
        f"start, {os.getloadavg()[0]:.2f} at the end; {seconds:.0f} s.",
        "",
        "| figure | before | after | after ÷ before |",
        "|---|---:|---:|---:|",
    ]
    before, after = results["before"], results["after"]
    for section in ("pages", "api", "load"):
        if section not in before:
            continue
        for key in before[section][0]:
            if isinstance(before[section][0][key], (int, float)):
                b, a = _median(before[section], key), _median(after[section], key)
                ratio = f"{a / b:.2f}" if b else ""
                lines.append(f"| {section}: {key} | {b:,.1f} | {a:,.1f} | {ratio} |")
    for name in ("before", "after"):
        for run in results[name].get("load", []):
            lines.append("")
            lines.append(f"Load test integrity, {name}: " + "; ".join(run["integrity"]))
    return "\n".join(lines) + "\n"


def _rev(tree: Path) -> str:
    done = subprocess.run(
        ["git", "describe", "--always", "--dirty"], cwd=tree, capture_output=True, text=True
    )
    return done.stdout.strip()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
