"""--format parquet|both: the Parquet files' column types are schema.py's,
and load() reads them (preferring them to the CSV files) into the same
dtypes and values as from CSV."""

import shutil

import pandas as pd
import pytest

import mortgage_sim as ms
from mortgage_sim import schema as S
from conftest import GOLDEN, SWEEP_SMALL, WITH_DEFAULTS

pl = pytest.importorskip("polars")


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    """A run with defaults (a seed above 2^63) and a sweep with a
    distribution-valued axis, each with CSV and Parquet files."""
    root = tmp_path_factory.mktemp("parquet")
    out = {"run": root / "run", "sweep": root / "sweep"}
    ms.call(["run", str(GOLDEN), *WITH_DEFAULTS, "--format", "both", "--quiet", "--out", str(out["run"])])
    ms.call(["sweep", str(SWEEP_SMALL), "--format", "both", "--quiet", "--out", str(out["sweep"])])
    return out


def test_the_parquet_column_types_are_the_schema_types(both):
    for folder in both.values():
        for table in S.TABLES:
            schema = pl.read_parquet_schema(folder / f"{table}.parquet")
            declared = [c for c in S.SCHEMA[table] if not c.derived]
            names = list(schema)
            if table == "points":
                names = names[: len(declared)]
            assert names == [c.name for c in declared], (folder.name, table)
            for c in declared:
                assert str(schema[c.name]) == S.POLARS_DTYPES[c.type], (folder.name, table, c.name)


def test_a_distribution_axis_is_a_struct_and_numbers_are_typed(both):
    schema = pl.read_parquet_schema(both["sweep"] / "points.parquet")
    assert schema["research.chips"] == pl.Struct({"dist": pl.String, "value": pl.Int64})
    assert schema["inference.growth.drift_per_year"] == pl.Float64
    assert schema["research.arrivals_per_hour"] == pl.Int64
    points = pl.read_parquet(both["sweep"] / "points.parquet")
    assert points["research.chips"].struct.field("value").to_list() == [32, 128, 32, 128]


def test_seeds_are_exact_unsigned_64_bit(both):
    seeds = pl.read_parquet(both["run"] / "replicas.parquet")["seed"]
    manifest = ms.load(both["run"], parquet=False).manifest
    assert seeds.dtype == pl.UInt64
    assert seeds.to_list() == manifest["replica_seeds"]
    assert max(seeds.to_list()) >= 2**63


def _tables(res):
    return {t: res[t] for t in S.TABLES if res[t] is not None}


@pytest.mark.parametrize("engine", ["pandas", "polars"])
def test_load_reads_parquet_with_the_dtypes_and_values_of_csv(both, engine, tmp_path):
    for name, folder in both.items():
        from_csv = _tables(ms.load(folder, engine=engine, parquet=False, join_points=False))
        # Parquet only (the CSV files removed), so load() cannot read CSV.
        only = tmp_path / name
        shutil.copytree(folder, only)
        for table in S.TABLES:
            (only / f"{table}.csv").unlink()
        from_pq = _tables(ms.load(only, engine=engine, join_points=False))
        assert set(from_csv) == set(from_pq) == set(S.TABLES)
        for table in S.TABLES:
            a, b = from_csv[table], from_pq[table]
            if table == "points":  # swept keys: TOML text from CSV, typed from Parquet
                fixed = [c.name for c in S.SCHEMA["points"]]
                a, b = a[fixed], b[fixed]
            if engine == "pandas":
                assert dict(a.dtypes) == dict(b.dtypes), (name, table)
                pd.testing.assert_frame_equal(a, b, check_exact=True, obj=f"{name}/{table}")
            else:
                assert a.schema == b.schema, (name, table)
                assert a.equals(b, null_equal=True), (name, table)


def test_load_prefers_parquet_when_both_are_there(both):
    res = ms.load(both["sweep"], engine="pandas")
    # From Parquet the distribution axis is a struct (dicts), from CSV its TOML text.
    assert res.points["research.chips"].tolist()[0] == {"dist": "fixed", "value": 32}
    assert ms.load(both["sweep"], parquet=False).points["research.chips"].tolist()[0].startswith("{")
    # The joined tables carry it too.
    assert res.replicas["research.chips"].tolist()[0] == {"dist": "fixed", "value": 32}
