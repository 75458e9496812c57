"""load(): a results folder as typed DataFrames (pandas, or polars)."""

from __future__ import annotations

import csv
import json
import math
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from . import schema as S

ENGINES = ("pandas", "polars")


class LoadError(ValueError):
    """A results folder or one of its files cannot be read as documented
    (missing folder, a cell that does not fit its column's type, a row of a
    table whose point is not in points.csv). The message names the file."""


@dataclass
class Results:
    """A loaded results folder. Each table is a DataFrame, or None when its
    file is absent (folders written by older versions lack some);
    `manifest` is manifest.json as a dict. `results["replicas"]` works too.

    Every table with a `point` column has the columns of points.csv
    (scenario and one column per swept key) joined after `point`.
    """

    path: Path
    engine: str
    points: Any = None
    replicas: Any = None
    summary: Any = None
    timeseries: Any = None
    risk: Any = None
    exposure: Any = None
    training_runs: Any = None
    events: Any = None
    #: A sensitivity study's results folder also has these (after the analysis).
    sensitivity: Any = None
    design: Any = None
    evaluations: Any = None
    #: A `stress` folder has only this table (and the manifest).
    stress: Any = None
    manifest: Optional[dict] = None
    #: What the CLI printed on stderr, for results made by run() or sweep().
    log: str = field(default="", repr=False)

    def keys(self) -> list[str]:
        """The names of the tables and manifest present."""
        return [k for k in (*S.ALL_TABLES, "manifest") if getattr(self, k) is not None]

    def __getitem__(self, name: str) -> Any:
        if name not in (*S.ALL_TABLES, "manifest"):
            raise KeyError(name)
        return getattr(self, name)

    def __contains__(self, name: str) -> bool:
        return name in self.keys()

    def __repr__(self) -> str:
        parts = []
        for k in S.ALL_TABLES:
            t = getattr(self, k)
            if t is not None:
                parts.append(f"{k}: {t.shape[0]}×{t.shape[1]}")
        if self.manifest is not None:
            parts.append("manifest")
        return f"Results({str(self.path)!r}, {self.engine}; {', '.join(parts)})"


def load(results_dir, engine: str = "pandas", join_points: bool = True, parquet: Optional[bool] = None) -> Results:
    """Loads every output file of a results folder written by `run`,
    `sweep` or `merge` (with a study's sensitivity.csv, design.csv and
    evaluations.csv when there), or by `stress` (stress.csv only), with the
    types of `mortgage_sim.schema.SCHEMA`.

    engine: "pandas" (default) or "polars" (needs polars installed).
    join_points: join points.csv's columns onto every other table (on
    `point`); False leaves each table as its file has it.
    parquet: read NAME.parquet rather than NAME.csv where both exist
    (`--format both`). None (default): when a Parquet reader is installed
    (polars, or pyarrow for pandas). The declared columns get the same
    dtypes either way; a swept key whose values are tables (a
    distribution) is a struct from Parquet (dicts in pandas) and TOML text
    from CSV.

    Raises LoadError (a ValueError) naming the file when a folder or file
    does not read as documented, ImportError when the engine is missing.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine={engine!r}: allowed: {', '.join(map(repr, ENGINES))}")
    folder = Path(results_dir)
    if not folder.is_dir():
        raise LoadError(f"{folder}: no such results folder")
    frames = _Pandas() if engine == "pandas" else _Polars()
    if (folder / "stress.csv").is_file() and not (folder / "points.csv").is_file():
        out = Results(path=folder, engine=engine)
        out.stress = frames.read(folder / "stress.csv", S.columns("stress"))
        out.manifest = _manifest(folder)
        return out
    if not (folder / "points.csv").is_file() and not (folder / "points.parquet").is_file():
        hint = " (a shard folder: merge the shards first)" if (folder / "shard.json").is_file() else ""
        raise LoadError(f"{folder}: no points.csv or points.parquet; not a results folder{hint}")
    if parquet is None:
        parquet = frames.reads_parquet()
    out = Results(path=folder, engine=engine)
    files = {t: _file(folder, t, parquet) for t in S.TABLES + S.STUDY_TABLES}
    if files["points"].suffix == ".parquet":
        out.points = frames.read_parquet(files["points"], S.columns("points"), _parquet_reader(frames))
    else:
        out.points = _load_points(files["points"], frames)
    for table in S.TABLES[1:] + S.STUDY_TABLES:
        path = files[table]
        if not path.is_file():
            continue
        if path.suffix == ".parquet":
            df = frames.read_parquet(path, S.columns(table), _parquet_reader(frames))
        else:
            df = frames.read(path, S.columns(table))
        if table == "risk":
            df = _split_risk(df, frames)
        setattr(out, table, df)
    if join_points:
        for table in S.TABLES[1:] + S.STUDY_TABLES:
            df = getattr(out, table)
            if df is not None and "point" in frames.names(df):
                setattr(out, table, _join(df, out.points, files[table], frames))
    out.manifest = _manifest(folder)
    return out


def _manifest(folder: Path) -> Optional[dict]:
    manifest = folder / "manifest.json"
    if not manifest.is_file():
        return None
    try:
        return json.loads(manifest.read_text(encoding="utf-8"))
    except ValueError as e:
        raise LoadError(f"{manifest}: not valid JSON: {e}") from None


def _file(folder: Path, table: str, parquet: bool) -> Path:
    """The file a table is read from: NAME.parquet if `parquet` and it
    exists, or if only it exists; else NAME.csv (which may be absent)."""
    csv_path, pq_path = folder / f"{table}.csv", folder / f"{table}.parquet"
    if pq_path.is_file() and (parquet or not csv_path.is_file()):
        return pq_path
    return csv_path


def _parquet_reader(frames):
    """The module that reads Parquet for `frames` (polars or pyarrow), or a
    LoadError when none is installed."""
    reader = frames.parquet_module()
    if reader is None:
        raise LoadError(
            "this results folder has Parquet files only; reading them needs polars or pyarrow "
            "(pip install polars), or rerun with --format both"
        )
    return reader


# --- points.csv: fixed columns, then one column per swept key (TOML text) ----

_TOML_INT = re.compile(r"[+-]?(0|[1-9](_?[0-9])*)\Z")
_TOML_FLOAT = re.compile(r"[+-]?([0-9_]+(\.[0-9_]+)?([eE][+-]?[0-9_]+)?|inf|nan)\Z")


def _toml_column(texts: list[str]) -> tuple[str, list]:
    """Types a swept key's column from its TOML values: (schema type or
    "bool", values)."""
    if texts and all(_TOML_INT.match(t) for t in texts):
        return S.INT, [int(t.replace("_", "")) for t in texts]
    if texts and all(_TOML_FLOAT.match(t) for t in texts):
        return S.FLOAT, [float(t.replace("_", "")) for t in texts]
    if texts and all(t in ("true", "false") for t in texts):
        return "bool", [t == "true" for t in texts]
    strings = [_toml_string(t) for t in texts]
    if all(s is not None for s in strings):
        return S.STR, strings
    return S.STR, texts


def _toml_string(text: str) -> Optional[str]:
    """The value of a TOML string (basic "…" or literal '…'), or None."""
    if len(text) >= 2 and text[0] == text[-1] == "'" and "'" not in text[1:-1]:
        return text[1:-1]
    if len(text) >= 2 and text[0] == text[-1] == '"':
        try:
            value = json.loads(text)
        except ValueError:
            return None
        return value if isinstance(value, str) else None
    return None


def _load_points(path: Path, frames) -> Any:
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if not rows:
        raise LoadError(f"{path}: empty file (no header)")
    header, body = rows[0], rows[1:]
    fixed = S.columns("points")
    if header[: len(fixed)] != list(fixed):
        raise LoadError(f"{path}: expected the columns to start with {', '.join(fixed)}; found {', '.join(header)}")
    if any(len(r) != len(header) for r in body):
        raise LoadError(f"{path}: a row has a different number of cells from the header")
    data: dict[str, tuple[str, list]] = {}
    for i, name in enumerate(header):
        texts = [r[i] for r in body]
        if name in fixed:
            kind = fixed[name].type
            try:
                values = [int(t) for t in texts] if kind == S.INT else texts
            except ValueError:
                raise LoadError(f"{path}: column {name}: expected whole numbers") from None
            data[name] = (kind, values)
        else:
            data[name] = _toml_column(texts)
    return frames.from_columns(data)


# --- risk.csv: figure names carry a parameter; split it into a column -------

_RISK_PATTERNS = (
    (re.compile(r"p_default_by_year_([0-9]+)\Z"), lambda m: ("p_default_by_year", int(m[1]), None, None)),
    (re.compile(r"(c?var)([0-9]+)_(.+)\Z"), lambda m: (f"{m[1]}_{m[3]}", None, int(m[2]) / 100, None)),
    (re.compile(r"(.+)_p([0-9]+)\Z"), lambda m: (m[1], None, int(m[2]) / 100, None)),
    (
        re.compile(r"p_year_utilization_below_(.+)\Z"),
        lambda m: ("p_year_utilization_below", None, None, float(m[1])),
    ),
)


def split_figure(name: str) -> tuple[str, Optional[int], Optional[float], Optional[float]]:
    """A risk.csv figure name as (figure, year, quantile, threshold):
    `p_default_by_year_3` → ("p_default_by_year", 3, None, None),
    `var95_loss_usd` → ("var_loss_usd", None, 0.95, None),
    `default_month_p50` → ("default_month", None, 0.5, None) (any `NAME_pNN`),
    `p_year_utilization_below_0.5` → ("p_year_utilization_below", None, None, 0.5);
    any other name is a figure without a parameter."""
    for pattern, parts in _RISK_PATTERNS:
        m = pattern.match(name)
        if m:
            try:
                return parts(m)
            except ValueError:
                break
    return (name, None, None, None)


def _split_risk(df, frames):
    names = frames.names(df)
    if "figure" not in names or {"year", "quantile", "threshold"} <= set(names):
        return df  # a tidy risk.csv (written by a later version) is left as it is
    return frames.split_risk(df, {n: split_figure(n) for n in frames.unique(df, "figure")})


def _join(df, points, path: Path, frames):
    missing = frames.missing_points(df, points)
    if missing:
        raise LoadError(f"{path}: rows for point(s) {missing[:5]} that points.csv does not list")
    return frames.join_points(df, points)


def _check_header(path: Path, header: list[str], cols: dict[str, S.Column]) -> None:
    unknown = [h for h in header if h not in cols]
    if unknown:
        warnings.warn(
            f"{path}: column(s) {', '.join(unknown)} are not in mortgage_sim.schema "
            "(written by a newer mortgage-sim?); their types were inferred from the data",
            stacklevel=4,
        )


def _header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as f:
        return next(csv.reader(f), [])


# --- engines: the same schema applied by pandas or by polars ----------------


class _Pandas:
    def __init__(self):
        import numpy as np
        import pandas as pd

        self.pd, self.np = pd, np

    def names(self, df) -> list[str]:
        return list(df.columns)

    def unique(self, df, col) -> list[str]:
        return [x for x in df[col].dropna().unique().tolist()]

    def read(self, path: Path, cols: dict[str, S.Column]):
        pd = self.pd
        header = _header(path)
        _check_header(path, header, cols)
        dtype, na = {}, {}
        for name in header:
            c = cols.get(name)
            if c is None:
                continue
            # seeds are read as text and converted exactly: a float64 parse
            # would round them and lose the key needed to rerun a replica.
            dtype[name] = "object" if c.type == S.UINT64 else S.PANDAS_DTYPES[c.type]
            # Only an empty cell means "no value": a generation called "NA"
            # stays a name. Non-finite numbers are written NaN / inf.
            na[name] = ["", "NaN", "nan"] if c.type in (S.FLOAT, S.FLOAT_OPT) else [""]
        try:
            df = pd.read_csv(path, dtype=dtype, keep_default_na=False, na_values=na)
        except (ValueError, TypeError) as e:
            raise LoadError(f"{path}: a cell does not fit its column's type ({e})") from None
        for name in header:
            c = cols.get(name)
            if c is not None and c.type == S.UINT64:
                df[name] = self._uint64(df[name], path, name)
        return df

    def parquet_module(self):
        for name in ("pyarrow", "polars"):
            try:
                return __import__(name)
            except ImportError:
                continue
        return None

    def reads_parquet(self) -> bool:
        return self.parquet_module() is not None

    def read_parquet(self, path: Path, cols: dict[str, S.Column], reader):
        pd = self.pd
        if reader.__name__ == "pyarrow":
            df = pd.read_parquet(path)
        else:
            df = self._from_polars(reader.read_parquet(path), cols)
        if path.stem != "points":  # points.parquet's swept keys are not declared
            _check_header(path, list(df.columns), cols)
        for name in df.columns:
            c = cols.get(name)
            if c is not None and str(df[name].dtype) != S.PANDAS_DTYPES[c.type]:
                df[name] = df[name].astype(S.PANDAS_DTYPES[c.type])
        return df

    def _from_polars(self, df, cols: dict[str, S.Column]):
        """A polars frame as pandas without pyarrow: numbers through numpy,
        the rest (text, nullable integers, structs) through Python lists."""
        pd = self.pd
        out = {}
        for name in df.columns:
            s = df.get_column(name)
            c = cols.get(name)
            if c is not None and c.type in (S.FLOAT, S.FLOAT_OPT):
                out[name] = pd.Series(s.fill_null(float("nan")).to_numpy(), dtype="float64")
            elif c is not None and c.type in (S.INT, S.UINT64, S.BOOL):
                out[name] = pd.Series(s.to_numpy(), dtype=S.PANDAS_DTYPES[c.type])
            elif c is not None:
                out[name] = pd.Series(s.to_list(), dtype=S.PANDAS_DTYPES[c.type])
            elif s.dtype.is_numeric() and s.null_count() == 0:
                out[name] = pd.Series(s.to_numpy())
            elif str(s.dtype) == "String":
                out[name] = pd.Series(s.to_list(), dtype="string")
            else:
                out[name] = pd.Series(s.to_list(), dtype="object")
        return pd.DataFrame(out)

    def _uint64(self, s, path, name):
        try:
            values = [int(x) for x in s]
        except (TypeError, ValueError):
            raise LoadError(
                f"{path}: column {name}: expected whole numbers (seeds), found an empty or other cell"
            ) from None
        if any(v < 0 or v >= 2**64 for v in values):
            raise LoadError(f"{path}: column {name}: a seed outside 0 … 2^64−1")
        return self.pd.Series(self.np.array(values, dtype=self.np.uint64), index=s.index, name=name)

    def from_columns(self, data: dict[str, tuple[str, list]]):
        pd = self.pd
        cols = {}
        for name, (kind, values) in data.items():
            dtype = "bool" if kind == "bool" else S.PANDAS_DTYPES[kind]
            cols[name] = pd.Series(values, dtype=dtype)
        return pd.DataFrame(cols)

    def split_risk(self, df, parts: dict):
        pd = self.pd
        fig = df["figure"]
        out = df.copy()
        pos = list(out.columns).index("figure")
        out["figure"] = fig.map(lambda n: parts[n][0]).astype("string")
        for i, (name, kind) in enumerate(
            (("year", S.INT_OPT), ("quantile", S.FLOAT_OPT), ("threshold", S.FLOAT_OPT)), start=1
        ):
            values = [parts[n][i] for n in fig]
            if kind == S.INT_OPT:
                col = pd.array(values, dtype="Int64")
            else:
                col = pd.array([math.nan if v is None else v for v in values], dtype="float64")
            out.insert(pos + i, name, col)
        return out

    def missing_points(self, df, points) -> list[int]:
        known = set(points["point"].tolist())
        return sorted(set(df["point"].unique().tolist()) - known)

    def join_points(self, df, points):
        extra = [c for c in points.columns if c != "point" and c not in df.columns]
        if not extra:
            return df
        merged = df.merge(points[["point", *extra]], on="point", how="left", validate="many_to_one", sort=False)
        rest = [c for c in df.columns if c != "point"]
        return merged[["point", *extra, *rest]]


class _Polars:
    def __init__(self):
        try:
            import polars as pl
        except ImportError:
            raise ImportError(
                "load(..., engine='polars') needs polars: pip install polars (or pip install 'mortgage-sim[polars]')"
            ) from None
        self.pl = pl

    def dtype(self, kind: str):
        return getattr(self.pl, S.POLARS_DTYPES[kind])

    def names(self, df) -> list[str]:
        return list(df.columns)

    def unique(self, df, col) -> list[str]:
        return df.get_column(col).drop_nulls().unique(maintain_order=True).to_list()

    def read(self, path: Path, cols: dict[str, S.Column]):
        pl = self.pl
        header = _header(path)
        _check_header(path, header, cols)
        # Declared columns are read as text and cast to their type, so no
        # column's type depends on what the data happen to look like.
        overrides = {name: pl.String for name in header if name in cols}
        try:
            df = pl.read_csv(path, schema_overrides=overrides, infer_schema_length=10_000)
            casts = [self._cast(n, cols[n].type) for n in header if n in cols]
            return df.with_columns(casts)
        except pl.exceptions.PolarsError as e:
            raise LoadError(f"{path}: a cell does not fit its column's type ({e})") from None

    def parquet_module(self):
        return self.pl

    def reads_parquet(self) -> bool:
        return True

    def read_parquet(self, path: Path, cols: dict[str, S.Column], reader):
        pl = self.pl
        try:
            df = pl.read_parquet(path)
        except (pl.exceptions.PolarsError, OSError) as e:
            raise LoadError(f"{path}: not a readable Parquet file ({e})") from None
        if path.stem != "points":  # points.parquet's swept keys are not declared
            _check_header(path, df.columns, cols)
        return df.with_columns([pl.col(n).cast(self.dtype(cols[n].type)) for n in df.columns if n in cols])

    def _cast(self, name: str, kind: str):
        pl = self.pl
        if kind == S.BOOL:
            # polars casts no text to Boolean: map the two spellings.
            return pl.col(name).replace_strict({"true": True, "false": False}, return_dtype=pl.Boolean)
        return pl.col(name).cast(self.dtype(kind), strict=True)

    def from_columns(self, data: dict[str, tuple[str, list]]):
        pl = self.pl
        return pl.DataFrame(
            [
                pl.Series(name, values, dtype=pl.Boolean if kind == "bool" else self.dtype(kind))
                for name, (kind, values) in data.items()
            ]
        )

    def split_risk(self, df, parts: dict):
        pl = self.pl
        keys = list(parts)
        table = pl.DataFrame(
            [
                pl.Series("__name", keys, dtype=pl.String),
                pl.Series("__figure", [parts[k][0] for k in keys], dtype=pl.String),
                pl.Series("year", [parts[k][1] for k in keys], dtype=pl.Int64),
                pl.Series("quantile", [parts[k][2] for k in keys], dtype=pl.Float64),
                pl.Series("threshold", [parts[k][3] for k in keys], dtype=pl.Float64),
            ]
        )
        cols = list(df.columns)
        pos = cols.index("figure")
        order = [*cols[: pos + 1], "year", "quantile", "threshold", *cols[pos + 1 :]]
        joined = (
            df.with_row_index("__row")
            .join(table, left_on="figure", right_on="__name", how="left")
            .sort("__row")
            .with_columns(pl.col("__figure").alias("figure"))
        )
        return joined.select(order)

    def missing_points(self, df, points) -> list[int]:
        known = set(points.get_column("point").to_list())
        return sorted(set(df.get_column("point").unique().to_list()) - known)

    def join_points(self, df, points):
        extra = [c for c in points.columns if c != "point" and c not in df.columns]
        if not extra:
            return df
        rest = [c for c in df.columns if c != "point"]
        joined = df.with_row_index("__row").join(points.select(["point", *extra]), on="point", how="left").sort("__row")
        return joined.select(["point", *extra, *rest])
