"""The one table of every output column's type, as `load()` returns it.

It mirrors README.md's "Output files" tables (a test checks that both list
the same columns, and another that a fresh run writes exactly these) and the
binary's own declaration, src/output/columns.rs, which types the Parquet
files (a test checks a fresh run's Parquet schema against the polars dtypes
here). A
column's type is fixed here, never guessed from the data, so a run in which
nobody defaults loads with the same dtypes as one in which everybody does,
and two runs concatenate.

Types (pandas dtype / polars dtype):

- ``int``     whole number, never empty            (int64 / Int64)
- ``int?``    whole number, empty when there is none (Int64, <NA> / Int64, null)
- ``uint64``  a 64-bit seed, read as text and converted exactly (uint64 / UInt64)
- ``float``   number                                (float64 / Float64)
- ``float?``  number, empty when there is none       (float64, NaN / Float64, null)
- ``str``     text                                  (string / String)
- ``str?``    text, empty when there is none         (string, <NA> / String, null)
- ``bool``    ``true`` or ``false``                  (bool / Boolean)

Columns marked ``derived`` are not in the CSV file: the loader adds them.
(None is today: risk.csv carries ``year``, ``quantile`` and ``threshold``
itself; in a risk.csv written before it was tidy, whose figure names hold
the parameter, the loader splits them into these columns.)

The swept keys of ``points.csv`` are not listed: they depend on the
experiment, and each is typed from its values as TOML (all integers: int;
all numbers: float; all true/false: bool; all strings: str, unquoted;
otherwise the TOML text as str, e.g. a distribution table).
"""

from __future__ import annotations

from dataclasses import dataclass

INT = "int"
INT_OPT = "int?"
UINT64 = "uint64"
FLOAT = "float"
FLOAT_OPT = "float?"
STR = "str"
STR_OPT = "str?"
BOOL = "bool"

TYPES = (INT, INT_OPT, UINT64, FLOAT, FLOAT_OPT, STR, STR_OPT, BOOL)


@dataclass(frozen=True)
class Column:
    """One column of a loaded table."""

    name: str
    type: str
    unit: str = ""
    derived: bool = False


def _c(name: str, type_: str, unit: str = "", derived: bool = False) -> Column:
    assert type_ in TYPES, type_
    return Column(name, type_, unit, derived)


_QUANTILES = ("p1", "p5", "p25", "p50", "p75", "p95", "p99")
_BANDS = ("p5", "p25", "p50", "p75", "p95")

#: Every file's columns in file order, by table name (the file is NAME.csv).
SCHEMA: dict[str, tuple[Column, ...]] = {
    "points": (
        _c("point", INT, "id"),
        _c("scenario", STR, "text"),
    ),
    "replicas": (
        _c("point", INT, "id"),
        _c("replica", INT, "id"),
        _c("seed", UINT64, "id"),
        _c("events", INT, "count"),
        _c("delivered_chip_hours", FLOAT, "chip-hours"),
        _c("undelivered_chip_hours", FLOAT, "chip-hours"),
        _c("busy_chip_hours", FLOAT, "chip-hours"),
        _c("down_chip_hours", FLOAT, "chip-hours"),
        _c("idle_chip_hours", FLOAT, "chip-hours"),
        _c("training_useful_chip_hours", FLOAT, "chip-hours"),
        _c("training_rework_chip_hours", FLOAT, "chip-hours"),
        _c("training_overhead_chip_hours", FLOAT, "chip-hours"),
        _c("inference_chip_hours", FLOAT, "chip-hours"),
        _c("research_useful_chip_hours", FLOAT, "chip-hours"),
        _c("research_lost_chip_hours", FLOAT, "chip-hours"),
        _c("utilization", FLOAT, "fraction"),
        _c("useful_utilization", FLOAT, "fraction"),
        _c("idle_fraction", FLOAT, "fraction"),
        _c("idle_cost_usd", FLOAT, "USD"),
        _c("paid_undelivered_usd", FLOAT, "USD"),
        _c("unused_commitment_usd", FLOAT, "USD"),
        _c("buyer_delivered_chip_hours", FLOAT, "chip-hours"),
        _c("buyer_idle_chip_hours", FLOAT, "chip-hours"),
        _c("remarketed_chip_hours", FLOAT, "chip-hours"),
        _c("min_year_utilization", FLOAT_OPT, "fraction"),
        _c("unit_failures", INT, "count"),
        _c("unit_failures_in_place", INT, "count"),
        _c("domain_failures", INT, "count"),
        _c("domain_units_failed", INT, "count"),
        _c("maintenance_windows", INT, "count"),
        _c("maintenance_units", INT, "count"),
        _c("maintenance_chip_hours", FLOAT, "chip-hours"),
        _c("maintenance_interruptions", INT, "count"),
        _c("hazard_failures", INT, "count"),
        _c("lemon_failures", INT, "count"),
        _c("lemons_removed", INT, "count"),
        _c("training_runs_planned", INT, "count"),
        _c("training_runs_cancelled", INT, "count"),
        _c("training_runs_infeasible", INT, "count"),
        _c("training_runs_started", INT, "count"),
        _c("training_runs_completed", INT, "count"),
        _c("training_interruptions", INT, "count"),
        _c("training_mean_delay_days", FLOAT_OPT, "days"),
        _c("training_goodput", FLOAT, "fraction"),
        _c("training_ettr", FLOAT_OPT, "fraction"),
        _c("inference_demand_chip_hours", FLOAT, "baseline chip-hours"),
        _c("inference_served_chip_hours", FLOAT, "baseline chip-hours"),
        _c("inference_unserved_chip_hours", FLOAT, "baseline chip-hours"),
        _c("inference_served_fraction", FLOAT, "fraction"),
        _c("inference_headroom_chip_hours", FLOAT, "baseline chip-hours"),
        _c("commercial_failure_month", FLOAT_OPT, "month"),
        _c("research_jobs_arrived", INT, "count"),
        _c("research_jobs_completed", INT, "count"),
        _c("research_preemptions", INT, "count"),
        _c("research_jobs_reneged", INT, "count"),
        _c("research_wait_mean_hours", FLOAT, "hours"),
        _c("research_wait_p50_hours", FLOAT, "hours"),
        _c("research_wait_p99_hours", FLOAT, "hours"),
        _c("payments_usd", FLOAT, "USD"),
        _c("payments_waived_usd", FLOAT, "USD"),
        _c("revenue_usd", FLOAT, "USD"),
        _c("other_costs_usd", FLOAT, "USD"),
        _c("credit_drawn_usd", FLOAT, "USD"),
        _c("ending_cash_usd", FLOAT, "USD"),
        _c("equity_raised_usd", FLOAT, "USD"),
        _c("funding_rounds", INT, "count"),
        _c("failed_rounds", INT, "count"),
        _c("cost_cut_month", INT_OPT, "month"),
        _c("restructure_month", INT_OPT, "month"),
        _c("restructure_kind", STR_OPT, "text"),
        _c("haircut_usd", FLOAT, "USD"),
        _c("paid_fraction_at_default", FLOAT_OPT, "fraction"),
        _c("default_month", INT_OPT, "month"),
        _c("exposure_at_default_usd", FLOAT, "USD"),
        _c("recovery_usd", FLOAT, "USD"),
        _c("remarketing_recovery_usd", FLOAT, "USD"),
        _c("claim_recovery_usd", FLOAT, "USD"),
        _c("loss_usd", FLOAT, "USD"),
        _c("loss_given_default", FLOAT_OPT, "fraction"),
        _c("pv_payments_usd", FLOAT, "USD"),
        _c("pv_exposure_at_default_usd", FLOAT, "USD"),
        _c("pv_recovery_usd", FLOAT, "USD"),
        _c("pv_loss_usd", FLOAT, "USD"),
        _c("pv_idle_cost_usd", FLOAT, "USD"),
        _c("provider_capex_usd", FLOAT_OPT, "USD"),
        _c("provider_opex_usd", FLOAT_OPT, "USD"),
        _c("provider_opex_saved_usd", FLOAT_OPT, "USD"),
        _c("provider_residual_usd", FLOAT_OPT, "USD"),
        _c("provider_npv_usd", FLOAT_OPT, "USD"),
    ),
    "summary": (
        _c("point", INT, "id"),
        _c("metric", STR, "text"),
        _c("n", INT, "count"),
        _c("mean", FLOAT),
        _c("stderr", FLOAT),
        _c("ci95_low", FLOAT),
        _c("ci95_high", FLOAT),
        *(_c(q, FLOAT) for q in _QUANTILES),
        _c("min", FLOAT),
        _c("max", FLOAT),
    ),
    "timeseries": (
        _c("point", INT, "id"),
        _c("month", FLOAT, "month"),
        _c("metric", STR, "text"),
        _c("mean", FLOAT),
        *(_c(q, FLOAT) for q in _BANDS),
    ),
    "risk": (
        _c("point", INT, "id"),
        _c("figure", STR, "text"),
        _c("year", INT_OPT, "contract year"),
        _c("quantile", FLOAT_OPT, "fraction"),
        _c("threshold", FLOAT_OPT, "fraction"),
        _c("value", FLOAT),
        _c("stderr", FLOAT_OPT),
        _c("ci95_low", FLOAT_OPT),
        _c("ci95_high", FLOAT_OPT),
        _c("n", INT, "count"),
        _c("interval", STR_OPT, "text"),
        _c("reliable", BOOL),
        _c("estimator", STR, "text"),
        _c("effective_n", FLOAT, "count"),
    ),
    "exposure": (
        _c("point", INT, "id"),
        _c("month", INT, "month"),
        _c("ee_usd", FLOAT, "USD"),
        _c("pfe95_usd", FLOAT, "USD"),
        _c("pfe99_usd", FLOAT, "USD"),
        _c("epe_usd", FLOAT, "USD"),
        _c("marginal_pd", FLOAT, "fraction"),
        _c("cumulative_pd", FLOAT, "fraction"),
    ),
    "training_runs": (
        _c("point", INT, "id"),
        _c("replica", INT, "id"),
        _c("run", INT, "id"),
        _c("chips", INT, "chips"),
        _c("generation", STR_OPT, "text"),
        _c("ready_month", FLOAT, "month"),
        _c("start_month", FLOAT_OPT, "month"),
        _c("planned_finish_month", FLOAT, "month"),
        _c("finish_month", FLOAT_OPT, "month"),
        _c("interruptions", INT, "count"),
        _c("outcome", STR, "text"),
        _c("ettr", FLOAT_OPT, "fraction"),
    ),
    "events": (
        _c("point", INT, "id"),
        _c("replica", INT, "id"),
        _c("month", FLOAT, "month"),
        _c("kind", STR, "text"),
        _c("amount_usd", FLOAT_OPT, "USD"),
        _c("detail", STR_OPT, "text"),
    ),
    # --- written by `sensitivity` into the study's results folder --------
    "sensitivity": (
        _c("method", STR, "text"),
        _c("metric", STR, "text"),
        _c("input", STR_OPT, "text"),
        _c("statistic", STR, "text"),
        _c("value", FLOAT),
        _c("ci95_low", FLOAT_OPT),
        _c("ci95_high", FLOAT_OPT),
        _c("n", INT, "count"),
    ),
    "design": (
        _c("point", INT, "id"),
        _c("role", STR, "text"),
        _c("index", INT_OPT, "id"),
        _c("input", STR_OPT, "text"),
    ),
    "evaluations": (
        _c("point", INT, "id"),
        _c("metric", STR, "text"),
        _c("value", FLOAT_OPT),
        _c("ci95_low", FLOAT_OPT),
        _c("ci95_high", FLOAT_OPT),
        _c("n", INT, "count"),
    ),
    # --- written by `stress` (its folder has this file and manifest.json) -
    "stress": (
        _c("step", INT, "id"),
        _c("input", STR, "text"),
        _c("input_value", FLOAT),
        _c("metric", STR, "text"),
        _c("value", FLOAT),
        _c("ci95_low", FLOAT_OPT),
        _c("ci95_high", FLOAT_OPT),
        _c("n", INT, "count"),
        _c("meets_target", BOOL),
    ),
}

#: The tables of every results folder, in the order its files are written
#: (`run`, `sweep`, `merge`).
TABLES = ("points", "replicas", "summary", "timeseries", "risk", "exposure", "training_runs", "events")

#: The tables `sensitivity` adds to its study's results folder.
STUDY_TABLES = ("sensitivity", "design", "evaluations")

#: The table of a `stress` folder.
STRESS_TABLES = ("stress",)

#: Every table `load()` knows.
ALL_TABLES = TABLES + STUDY_TABLES + STRESS_TABLES

PANDAS_DTYPES = {
    INT: "int64",
    INT_OPT: "Int64",
    UINT64: "uint64",
    FLOAT: "float64",
    FLOAT_OPT: "float64",
    STR: "string",
    STR_OPT: "string",
    BOOL: "bool",
}

POLARS_DTYPES = {
    INT: "Int64",
    INT_OPT: "Int64",
    UINT64: "UInt64",
    FLOAT: "Float64",
    FLOAT_OPT: "Float64",
    STR: "String",
    STR_OPT: "String",
    BOOL: "Boolean",
}


def columns(table: str) -> dict[str, Column]:
    """The columns of `table` by name (KeyError for an unknown table)."""
    return {c.name: c for c in SCHEMA[table]}


def markdown() -> str:
    """The schema as Markdown: the types, then one table per file
    (docs/PYTHON.md holds this text; a test checks that it is current;
    `python -m mortgage_sim schema` prints it)."""
    out = ["| type | pandas dtype | polars dtype |", "|---|---|---|"]
    out += [f"| `{t}` | {PANDAS_DTYPES[t]} | {POLARS_DTYPES[t]} |" for t in TYPES]
    out.append("")
    for table, cols in SCHEMA.items():
        out.append(f"#### `{table}` ({table}.csv)\n")
        out.append("| column | type | unit |")
        out.append("|---|---|---|")
        for c in cols:
            name = f"`{c.name}`" + (" (derived)" if c.derived else "")
            out.append(f"| {name} | `{c.type}` | {c.unit} |")
        out.append("")
    return "\n".join(out)
