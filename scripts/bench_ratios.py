#!/usr/bin/env python3
"""Runs the criterion benches several times and prints each run's ratios, then their medians.

The figures issue 6 asks for are ratios of medians measured in the same run (the SDK against a
baseline). On a shared 2-core machine one run can be off by tens of percent, so this repeats the
whole run and reports every run's ratios and the median of each ratio over the runs.

    python3 scripts/bench_ratios.py [RUNS]        # default 3 runs, about 2.5 minutes each
"""

import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CRITERION = os.path.join(ROOT, "target", "criterion")
COMMAND = ["cargo", "bench", "--bench", "signing", "--bench", "call", "--",
           "--warm-up-time", "2", "--measurement-time", "6"]

# (label, numerator, denominator): time ratios, except throughput, which is the inverse.
RATIOS = [
    ("sign JDCLOUD2 / crypto floor", "sign/jdcloud2", "sign/crypto_floor"),
    ("sign JDCLOUD3 / crypto floor", "sign/jdcloud3", "sign/crypto_floor"),
    ("sequential call: SDK / reqwest", "call/sequential_sdk", "call/sequential_reqwest"),
    ("64 in flight: throughput SDK / reqwest", "in_flight_64/reqwest", "in_flight_64/sdk"),
]


def median_ns(bench):
    path = os.path.join(CRITERION, bench, "new", "estimates.json")
    with open(path) as f:
        return json.load(f)["median"]["point_estimate"]


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    table = {label: [] for label, _, _ in RATIOS}
    for run in range(1, runs + 1):
        subprocess.run(COMMAND, cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        medians = {b: median_ns(b) for _, n, d in RATIOS for b in (n, d)}
        print(f"run {run}: " + ", ".join(f"{b} {v / 1000:.2f} us" for b, v in medians.items()))
        for label, numerator, denominator in RATIOS:
            table[label].append(medians[numerator] / medians[denominator])
    print()
    for label, values in table.items():
        each = " ".join(f"{v:.2f}x" for v in values)
        print(f"{label:42s} runs: {each}   median: {statistics.median(values):.2f}x")


if __name__ == "__main__":
    main()
