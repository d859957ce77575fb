"""`make mutation`: mutation testing of the modules that hold the rules (see [tool.mutmut] in
pyproject.toml), then the score per module and every surviving mutant.

    make mutation                    # a full run from scratch (the figures in the README)
    make mutation MUTATION_ARGS=--survivors   # only the last run's survivors again, with any new tests
    make mutation MUTATION_ARGS="--modules newsletter.tokens comments.moderation"   # some modules only
    .venv/bin/python -m bench.mutation --report   # the table again, from the last run

`make mutation` starts from an empty mutants/ folder; --survivors and --modules keep the last
run's results and re-run only what they name (mutmut notices new tests and maps them first).

Not part of CI. The figures go in the README beside the bench's; var/mutation/latest.txt
keeps the last table.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "var" / "mutation"


def results() -> dict[str, Counter]:
    """Mutant outcomes by module, read from `mutmut results --all true`."""
    listing = subprocess.run(
        [sys.executable, "-m", "mutmut", "results", "--all", "true"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    by_module: dict[str, Counter] = defaultdict(Counter)
    for line in listing.splitlines():
        name, _, status = line.strip().rpartition(": ")
        if name:
            module = name.split(".x")[0]  # newsletter.tokens.x_read_token__mutmut_3
            by_module[module][status] += 1
    return by_module


def surviving_names() -> list[str]:
    """The mutants that survived the last run, by name."""
    listing = subprocess.run(
        [sys.executable, "-m", "mutmut", "results"], cwd=ROOT, capture_output=True, text=True
    ).stdout
    return [
        line.strip().rpartition(": ")[0]
        for line in listing.splitlines()
        if line.strip().endswith(": survived")
    ]


def table(by_module: dict[str, Counter]) -> str:
    rows = [
        f"{'module':<24} {'mutants':>8} {'killed':>7} {'survived':>9} {'other':>6} {'score':>6}"
    ]
    for module, counts in sorted(by_module.items()):
        total = sum(counts.values())
        killed, survived = counts["killed"], counts["survived"]
        other = total - killed - survived  # timeouts, no tests, suspicious
        score = 100 * killed / (killed + survived) if killed + survived else 0
        rows.append(f"{module:<24} {total:>8} {killed:>7} {survived:>9} {other:>6} {score:>5.0f}%")
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", action="store_true", help="only report the last run")
    parser.add_argument("--survivors", action="store_true", help="re-run the last survivors")
    parser.add_argument("--modules", nargs="+", metavar="MODULE", help="e.g. newsletter.tokens")
    parser.add_argument(
        "--max-children",
        type=int,
        default=(os.cpu_count() or 2) + 1,
        help="mutants tested at once (default: one more than the cores, as the tests spend a "
        "good part of their time waiting on SMTP servers, sleeps and the disk)",
    )
    args = parser.parse_args()
    started = time.monotonic()
    if not args.report:
        names = [f"{module}.*" for module in args.modules or ()]
        if args.survivors:
            names += surviving_names()
            if not names:
                print("No survivors recorded: nothing to re-run.")
        if not (args.survivors and not names):
            children = ["--max-children", str(args.max_children)]
            subprocess.run(
                [sys.executable, "-m", "mutmut", "run", *children, *names],
                cwd=ROOT,
                check=False,
            )
    elapsed = time.monotonic() - started
    for leftover in (ROOT / "var").glob("test-mutant-*.sqlite3"):  # a mutant killed mid-test
        leftover.unlink(missing_ok=True)
    by_module = results()
    survivors = subprocess.run(
        [sys.executable, "-m", "mutmut", "results"], cwd=ROOT, capture_output=True, text=True
    ).stdout
    took = "" if args.report else f"\n\nThis run took {elapsed / 60:.1f} minutes."
    report = (
        f"{table(by_module)}{took}\n\n"
        f"Surviving mutants (`mutmut show <name>` shows one):\n{survivors}"
    )
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "latest.txt").write_text(report)
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
