"""Lambda cold starts: importing each handler module against importing boto3 alone.

A Lambda's init phase imports the handler module before its first invocation; the handlers
defer the container, boto3, icalendar and FastAPI to their first call, so importing one
should cost about what boto3 alone does, or less. Each measurement is a fresh interpreter
running `import <module>`, minus a fresh interpreter that imports nothing; the targets are
alternated round by round (so a busy moment hits them all alike), and medians are compared.
Target: each handler's import within 2x of boto3's.
Usage: python -m bench.handlers [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

HANDLERS = ("inbound", "bounces", "work", "projections", "http")
ROOT = Path(__file__).resolve().parents[1]


def cold_import_seconds(module: str | None) -> float:
    """Return the wall-clock seconds of a fresh interpreter importing ``module`` (or nothing)."""
    code = f"import {module}" if module else "pass"
    began = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
    return time.perf_counter() - began


def measure(rounds: int) -> dict[str | None, float]:
    """Return the median seconds per target (None: the bare interpreter), rounds alternated."""
    targets: list[str | None] = [None, "boto3", *(f"entrypoints.aws.{h}" for h in HANDLERS)]
    for target in targets:  # one untimed pass: compiled bytecode and the OS cache are warm
        cold_import_seconds(target)
    times: dict[str | None, list[float]] = {target: [] for target in targets}
    for _ in range(rounds):
        for target in targets:
            times[target].append(cold_import_seconds(target))
    return {target: statistics.median(found) for target, found in times.items()}


def main() -> None:
    """Print each handler's median import time and its ratio to boto3's."""
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--rounds", type=int, default=15)
    args = options.parse_args()
    rounds = max(1, args.rounds)
    medians = measure(rounds)
    bare = medians[None]
    boto3 = medians["boto3"] - bare
    width = len("import entrypoints.aws.projections")
    print(f"{'bare interpreter':{width}} {bare * 1e3:7.1f} ms (median of {rounds} rounds)")
    print(f"{'import boto3':{width}} {boto3 * 1e3:7.1f} ms")
    for handler in HANDLERS:
        cost = medians[f"entrypoints.aws.{handler}"] - bare
        label = f"import entrypoints.aws.{handler}"
        print(f"{label:{width}} {cost * 1e3:7.1f} ms: {cost / boto3:.2f}x boto3 (target <= 2x)")


if __name__ == "__main__":
    main()
