#!/usr/bin/env python3
"""Runs the benches several times and prints each run's ratios, then their medians.

The figures issue 6 asks for are ratios of medians measured in the same run (the SDK against a
baseline). On a shared 2-core machine one run can be off by tens of percent, so this repeats the
whole run and reports every run's ratios and the median of each ratio over the runs: criterion's
(each arm measured in turn, for seconds), and the paired ones (arms alternating in short rounds,
the median of the per-round ratios), which the load of the machine moves much less.

    python3 scripts/bench_ratios.py [RUNS]        # default 3 runs, about 3 minutes each
"""

import json
import os
import re
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CRITERION = os.path.join(ROOT, "target", "criterion")
COMMAND = ["cargo", "bench", "--bench", "signing", "--bench", "call", "--",
           "--warm-up-time", "2", "--measurement-time", "6"]
PAIRED_COMMAND = ["cargo", "bench", "--bench", "call_paired"]

# (label, pattern): ratios the benches print for their paired rounds.
PAIRED = [
    ("paired: sign JDCLOUD2 / crypto floor", r"sign/jdcloud2 / crypto_floor, paired: median of \d+ rounds ([\d.]+)x"),
    ("paired: sign JDCLOUD3 / crypto floor", r"sign/jdcloud3 / crypto_floor, paired: median of \d+ rounds ([\d.]+)x"),
    ("paired: sequential call: SDK / reqwest", r"(?s)call/sequential.*?SDK / reqwest, time per call: median ([\d.]+)x"),
    ("paired: sequential call: SDK / hand-signed", r"(?s)call/sequential.*?SDK / reqwest signing by hand, time per call: median ([\d.]+)x"),
    ("paired: 64 in flight: throughput SDK / reqwest", r"(?s)in_flight_64.*?SDK / reqwest, throughput: median ([\d.]+)x"),
    ("paired: 64 in flight: throughput SDK / hand-signed", r"(?s)in_flight_64.*?SDK / reqwest signing by hand, throughput: median ([\d.]+)x"),
]

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
    table.update({label: [] for label, _ in PAIRED})
    for run in range(1, runs + 1):
        output = subprocess.run(COMMAND, cwd=ROOT, check=True, capture_output=True,
                                text=True).stdout
        output += subprocess.run(PAIRED_COMMAND, cwd=ROOT, check=True, capture_output=True,
                                 text=True).stdout
        for label, pattern in PAIRED:
            table[label].append(float(re.search(pattern, output).group(1)))
        medians = {b: median_ns(b) for _, n, d in RATIOS for b in (n, d)}
        print(f"run {run}: " + ", ".join(f"{b} {v / 1000:.2f} us" for b, v in medians.items()))
        for label, numerator, denominator in RATIOS:
            table[label].append(medians[numerator] / medians[denominator])
    print()
    for label, values in table.items():
        each = " ".join(f"{v:.2f}x" for v in values)
        print(f"{label:52s} runs: {each}   median: {statistics.median(values):.2f}x")


if __name__ == "__main__":
    main()
