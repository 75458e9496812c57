"""Load every CSV of a results folder with pandas, as a notebook user would,
and check the columns and their types. Usage: python3 scripts/check_csv.py DIR"""
import json
import sys
from pathlib import Path

import pandas as pd
from pandas.api import types

folder = Path(sys.argv[1])
failures = []


def expect(cond, what):
    if not cond:
        failures.append(what)


points = pd.read_csv(folder / "points.csv")
expect(list(points.columns[:2]) == ["point", "scenario"], "points.csv starts with point,scenario")
expect(types.is_integer_dtype(points["point"]), "points.point is integer")

replicas = pd.read_csv(folder / "replicas.csv")
for col in ["point", "replica", "events", "unit_failures", "training_runs_completed", "research_jobs_arrived"]:
    expect(types.is_integer_dtype(replicas[col]), f"replicas.{col} is integer")
for col in replicas.columns:
    expect(types.is_numeric_dtype(replicas[col]), f"replicas.{col} is numeric")
balance = (replicas["busy_chip_hours"] + replicas["remarketed_chip_hours"] + replicas["down_chip_hours"]
           + replicas["idle_chip_hours"])
expect(((balance - replicas["delivered_chip_hours"]).abs() <= 1e-9 * replicas["delivered_chip_hours"]).all(),
       "delivered = busy + remarketed + down + idle in every row")
for col in ["commercial_failure_month", "default_month", "training_mean_delay_days", "min_year_utilization"]:
    expect(types.is_float_dtype(replicas[col]), f"replicas.{col} is float (NaN when empty)")
expect(replicas["point"].isin(points["point"]).all(), "every replica row belongs to a point")

summary = pd.read_csv(folder / "summary.csv")
expected = ["point", "metric", "n", "mean", "stderr", "ci95_low", "ci95_high",
            "p1", "p5", "p25", "p50", "p75", "p95", "p99", "min", "max"]
expect(list(summary.columns) == expected, f"summary.csv columns {list(summary.columns)}")
expect(types.is_object_dtype(summary["metric"]) or types.is_string_dtype(summary["metric"]), "summary.metric is text")
for col in expected[2:]:
    expect(types.is_numeric_dtype(summary[col]), f"summary.{col} is numeric")
expect("utilization" in set(summary["metric"]), "summary has utilization")

series = pd.read_csv(folder / "timeseries.csv")
expect(list(series.columns) == ["point", "month", "metric", "mean", "p5", "p25", "p50", "p75", "p95"],
       f"timeseries.csv columns {list(series.columns)}")
for col in ["month", "mean", "p5", "p25", "p50", "p75", "p95"]:
    expect(types.is_float_dtype(series[col]), f"timeseries.{col} is float")

risk = pd.read_csv(folder / "risk.csv")
# Tidy (README "risk.csv"): the figure's parameter in year/quantile/threshold.
expect(list(risk.columns) == ["point", "figure", "year", "quantile", "threshold", "value", "stderr",
                              "ci95_low", "ci95_high", "n", "interval", "reliable", "estimator", "effective_n"],
       f"risk.csv columns {list(risk.columns)}")
for col in ["value", "stderr", "ci95_low", "ci95_high"]:
    expect(types.is_float_dtype(risk[col]), f"risk.{col} is float")
expect(types.is_integer_dtype(risk["n"]), "risk.n is integer")
expect((risk["figure"] == "p_default_by_year").any(), "risk.csv has default probabilities")
expect(risk.loc[risk["figure"] == "p_default_by_year", "year"].notna().all(), "each default probability has its year")

manifest = json.loads((folder / "manifest.json").read_text())
expect(manifest["tool"] == "mortgage-sim", "manifest names the tool")

if failures:
    print("CSV check FAILED:\n  " + "\n  ".join(failures))
    sys.exit(1)
print(f"CSV check OK: {len(points)} points, {len(replicas)} replica rows, "
      f"{len(summary)} summary rows, {len(series)} time-series rows")
