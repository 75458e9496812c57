"""mortgage-sim from Python: run the simulator and load its results as
typed DataFrames.

    import mortgage_sim as ms

    res = ms.run("configs/baseline.toml", replicas=16, out="results/baseline", force=True)
    res.summary.query("metric == 'utilization'")[["point", "mean", "ci95_low", "ci95_high"]]
    res.risk.query("figure == 'p_default_by_year'")[["year", "value", "ci95_low", "ci95_high"]]

    sw = ms.sweep("experiments/growth_x_delay.toml", replicas=4)
    sw.replicas.groupby("inference.growth.drift_per_year")["idle_cost_usd"].mean()

    old = ms.load("results/baseline")              # a folder written earlier (or by a cluster job)
    old = ms.load("results/baseline", engine="polars")   # the same tables in polars

- load(dir) reads every output file present; column types come from one
  table, `mortgage_sim.schema.SCHEMA`, never from the data (seeds are
  uint64, `default_month` a nullable Int64 even when nobody defaulted).
  points.csv's columns (scenario, swept keys) are joined onto every table
  with a `point` column, and risk.csv's figure names are split into
  `figure` + `year` / `quantile` / `threshold`.
- run() and sweep() call the `mortgage-sim` binary installed with this
  package (or $MORTGAGE_SIM_BIN, or the one on PATH) with --quiet, and
  return load() of what it wrote. A failure raises ConfigError (a
  ValueError: bad input, the CLI's exit code 2) or RunError (a
  RuntimeError: anything else), carrying the CLI's message, exit code and
  command.

docs/PYTHON.md in the repository is the guide; README.md's "Output files"
says what every column means.
"""

from ._cli import ConfigError, Error, RunError, binary, call, run, sweep, toml_value, version
from ._load import LoadError, Results, load, split_figure
from .schema import SCHEMA

__all__ = [
    "ConfigError",
    "Error",
    "LoadError",
    "Results",
    "RunError",
    "SCHEMA",
    "binary",
    "call",
    "load",
    "run",
    "split_figure",
    "sweep",
    "toml_value",
    "version",
]
