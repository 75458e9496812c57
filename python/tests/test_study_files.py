"""A sensitivity study's files (sensitivity.csv, design.csv, evaluations.csv)
and a stress test's stress.csv: written with exactly the declared columns,
loaded with the schema's dtypes."""

import csv

import pandas as pd
import pytest

import mortgage_sim as ms
from mortgage_sim import schema as S
from conftest import REPO

STUDY = REPO / "tests" / "data" / "study_small.toml"
STRESS = REPO / "tests" / "data" / "stress_small.toml"


@pytest.fixture(scope="module")
def study_and_stress(tmp_path_factory):
    root = tmp_path_factory.mktemp("studies")
    study, stress = root / "study", root / "stress"
    ms.call(["sensitivity", str(STUDY), "--quiet", "--out", str(study)])
    ms.call(["stress", str(STRESS), "--quiet", "--out", str(stress)])
    return study, stress


def header(path):
    with path.open(newline="") as f:
        return next(csv.reader(f))


def schema_dtype(kind, engine):
    if engine == "pandas":
        return str(pd.Series([], dtype=S.PANDAS_DTYPES[kind]).dtype)
    return S.POLARS_DTYPES[kind]


def test_fresh_files_have_exactly_the_declared_columns(study_and_stress):
    study, stress = study_and_stress
    for table in S.STUDY_TABLES:
        assert header(study / f"{table}.csv") == [c.name for c in S.SCHEMA[table]], table
    assert header(stress / "stress.csv") == [c.name for c in S.SCHEMA["stress"]]


@pytest.mark.parametrize("engine", ["pandas", "polars"])
def test_study_and_stress_files_load_with_the_schema_dtypes(study_and_stress, engine):
    if engine == "polars":
        pytest.importorskip("polars")
    study, stress = study_and_stress
    res = ms.load(study, engine=engine)
    loaded = {t: res[t] for t in S.STUDY_TABLES}
    stress_res = ms.load(stress, engine=engine)
    loaded["stress"] = stress_res.stress
    assert stress_res.points is None and stress_res.manifest is not None
    for table, df in loaded.items():
        assert df is not None and df.shape[0] > 0, table
        dtypes = dict(zip(df.columns, map(str, df.dtypes)))
        for c in S.SCHEMA[table]:
            assert dtypes[c.name] == schema_dtype(c.type, engine), (engine, table, c.name)
    # The study's 5 tornado evaluations x 2 metrics, joined to their points.
    evaluations = loaded["evaluations"]
    assert evaluations.shape[0] == 10
    assert "buyer.initial_funding_usd" in evaluations.columns
    roles = list(loaded["design"]["role"])
    assert roles == ["base", "low", "high", "low", "high"]
    assert set(loaded["stress"]["meets_target"]) <= {True, False}
