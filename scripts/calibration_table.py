#!/usr/bin/env python3
"""The table of docs/CALIBRATION.md: the calibrated scenario's run-rate
revenue and funding rounds beside the public figures it was fitted to.

Usage: scripts/calibration_table.py RESULTS_DIR   (a run of configs/calibrated.toml)

Run-rate revenue in a month = the inference served in it (timeseries.csv,
`inference_served_chips`, baseline chips) x 8,766 hours x the revenue per
served chip-hour at the month's middle ($4 x 0.8^t, as configs/calibrated.toml
says). Quantiles carry over exactly, since the price is the same in every
replica. Only the standard library is used.
"""

import csv
import statistics
import sys
from collections import defaultdict
from pathlib import Path

HOURS_PER_YEAR = 8766.0
PRICE, DECLINE = 4.0, 0.2

# (label, contract month, run-rate in $B); month 0 = 1 January 2025.
RUN_RATE = [
    ("Dec 2024", 0, 1.0),
    ("Dec 2025", 12, 9.0),
    ("Feb 2026", 14, 14.0),
    ("Apr 2026", 16, 30.0),
    ("May 2026", 17, 47.0),
]
# (label, contract month, amount in $B).
ROUNDS = [("Mar 2025", 3, 3.5), ("Sep 2025", 9, 13.0), ("Feb 2026", 14, 30.0), ("May 2026", 17, 65.0)]


def quantile(xs, q):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    pos = q * (len(xs) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def main(folder: Path) -> None:
    served = {}
    with open(folder / "timeseries.csv", newline="") as f:
        for row in csv.DictReader(f):
            if row["point"] == "0" and row["metric"] == "inference_served_chips":
                served[round(float(row["month"]))] = row
    print("| month (contract month) | public run-rate | model median | model p5–p95 |")
    print("|---|---|---|---|")
    for label, month, public in RUN_RATE:
        if month == 0:
            print(f"| {label} (0) | ${public:g}B | $1B (fitted: base demand) | — |")
            continue
        row = served[month]
        price = PRICE * (1 - DECLINE) ** ((month - 0.5) / 12)
        b = lambda key: float(row[key]) * HOURS_PER_YEAR * price / 1e9
        print(f"| {label} ({month}) | ${public:g}B | ${b('p50'):.1f}B | ${b('p5'):.1f}B – ${b('p95'):.1f}B |")

    rounds = defaultdict(list)
    replicas = set()
    with open(folder / "replicas.csv", newline="") as f:
        for row in csv.DictReader(f):
            if row["point"] == "0":
                replicas.add(row["replica"])
    with open(folder / "events.csv", newline="") as f:
        for row in csv.DictReader(f):
            if row["point"] == "0" and row["kind"] == "funding_round":
                rounds[row["replica"]].append((float(row["month"]), float(row["amount_usd"]) / 1e9))
    by17 = [sum(1 for m, _ in rounds[r] if m <= 17) for r in replicas]
    raised17 = [sum(a for m, a in rounds[r] if m <= 17) for r in replicas]
    first = [min(m for m, _ in rounds[r]) for r in replicas if rounds[r]]
    print()
    print("| funding by May 2026 (month 17) | public | model median | model p5–p95 |")
    print("|---|---|---|---|")
    print(
        f"| rounds | {len(ROUNDS)} ({', '.join(f'{l} ${a:g}B' for l, _, a in ROUNDS)}) | "
        f"{statistics.median(by17):g} | {quantile(by17, 0.05):g} – {quantile(by17, 0.95):g} |"
    )
    print(
        f"| equity raised | ${sum(a for *_, a in ROUNDS):g}B | ${statistics.median(raised17):.1f}B | "
        f"${quantile(raised17, 0.05):.1f}B – ${quantile(raised17, 0.95):.1f}B |"
    )
    if first:
        print(
            f"| month of the first round | {ROUNDS[0][1]} | {statistics.median(first):g} | "
            f"{quantile(first, 0.05):g} – {quantile(first, 0.95):g} |"
        )
    print(f"\n{len(replicas)} replicas; {sum(1 for r in replicas if not rounds[r])} raised no round in the term.")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]))
