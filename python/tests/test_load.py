"""load(): typed tables whose dtypes never depend on the data."""

import shutil
import warnings

import pandas as pd
import pytest

import mortgage_sim as ms
from mortgage_sim import schema as S

TABLES = ("points", "replicas", "summary", "timeseries", "risk", "training_runs")


def dtypes(df):
    return {c: str(t) for c, t in df.dtypes.items()}


def test_a_run_with_defaults_and_one_without_load_with_the_same_dtypes(folders):
    a = ms.load(folders["with"])
    b = ms.load(folders["without"])
    # The premise: some replicas of `a` default and have a commercial
    # failure, none of `b`'s do (a CSV reader would guess other types).
    assert a.replicas["default_month"].notna().sum() == 2
    assert a.replicas["commercial_failure_month"].notna().sum() == 1
    assert b.replicas["default_month"].isna().all()
    assert b.replicas["commercial_failure_month"].isna().all()
    for table in TABLES:
        assert dtypes(a[table]) == dtypes(b[table]), table
    assert str(a.replicas["default_month"].dtype) == "Int64"
    assert str(a.replicas["commercial_failure_month"].dtype) == "float64"
    # ...so two runs concatenate without a type changing.
    both = pd.concat([a.replicas, b.replicas], ignore_index=True)
    assert dtypes(both) == dtypes(a.replicas)


def test_every_declared_column_has_its_schema_dtype(folders):
    for name in ("with", "without", "sweep"):
        res = ms.load(folders[name])
        for table in TABLES:
            df = res[table]
            for col in S.SCHEMA[table]:
                assert col.name in df.columns, (table, col.name)
                assert str(df[col.name].dtype) == str(pd.Series([], dtype=S.PANDAS_DTYPES[col.type]).dtype), (
                    name,
                    table,
                    col.name,
                    df[col.name].dtype,
                )


def test_seeds_are_exact_uint64(folders):
    res = ms.load(folders["with"])
    seeds = res.replicas["seed"]
    assert seeds.dtype == "uint64"
    # manifest.json lists every replica seed as an exact JSON integer.
    assert [int(s) for s in seeds] == res.manifest["replica_seeds"]
    assert int(seeds.max()) >= 2**63, "the test needs a seed that int64 and float64 cannot hold"


def test_points_are_joined_onto_every_table_after_point(folders):
    res = ms.load(folders["sweep"])
    axes = ["inference.growth.drift_per_year", "research.arrivals_per_hour", "research.chips"]
    assert list(res.points.columns) == ["point", "scenario", *axes]
    for table in TABLES[1:]:
        df = res[table]
        assert list(df.columns[:5]) == ["point", "scenario", *axes], table
        merged = df[["point", *axes]].drop_duplicates().sort_values("point").reset_index(drop=True)
        pd.testing.assert_frame_equal(merged, res.points[["point", *axes]], check_dtype=True)
    # Row order is the file's.
    raw = ms.load(folders["sweep"], join_points=False)
    assert list(raw.replicas.columns[:3]) == ["point", "replica", "seed"]
    assert res.replicas["replica"].tolist() == raw.replicas["replica"].tolist()
    assert res.replicas["point"].tolist() == raw.replicas["point"].tolist()


def test_swept_keys_are_typed_from_their_toml_values(folders):
    pts = ms.load(folders["sweep"]).points
    assert pts["inference.growth.drift_per_year"].dtype == "float64"
    assert pts["inference.growth.drift_per_year"].tolist() == [0.0, 0.0, 0.8, 0.8]
    assert pts["research.arrivals_per_hour"].dtype == "int64"
    assert pts["research.chips"].dtype == "string"
    assert pts["research.chips"].iloc[1] == '{ dist = "fixed", value = 128 }'


def test_risk_figures_are_split_into_figure_and_parameter(folders):
    res = ms.load(folders["with"])
    risk = res.risk.set_index(["figure", "year", "quantile", "threshold"], drop=False)
    assert set(res.risk["figure"]) == {
        "p_default_by_year",
        "expected_loss_usd",
        "var_loss_usd",
        "cvar_loss_usd",
        "expected_idle_cost_usd",
        "var_idle_cost_usd",
        "cvar_idle_cost_usd",
        "default_month",
        "p_year_utilization_below",
        "expected_pv_loss_usd",
        "mean_loss_given_default",
        "loss_given_default",
        "recovery_rate",
        "cva_usd",
    }
    by_year = res.risk[res.risk["figure"] == "p_default_by_year"]
    assert by_year["year"].tolist() == [1]
    defaulted = (res.replicas["default_month"] <= 12).sum()
    assert by_year["value"].iloc[0] == pytest.approx(defaulted / len(res.replicas))
    var = res.risk[res.risk["figure"] == "var_loss_usd"]
    assert var["quantile"].tolist() == [0.95, 0.99]
    assert res.risk.loc[res.risk["figure"] == "default_month", "quantile"].tolist() == [0.05, 0.5, 0.95]
    below = res.risk[res.risk["figure"] == "p_year_utilization_below"]
    assert below["threshold"].tolist() == [0.6]  # golden.toml's risk.utilization_threshold
    assert len(risk) == len(res.risk)


@pytest.mark.parametrize(
    "name, parts",
    [
        ("p_default_by_year_3", ("p_default_by_year", 3, None, None)),
        ("p_default_by_year_15", ("p_default_by_year", 15, None, None)),
        ("var95_loss_usd", ("var_loss_usd", None, 0.95, None)),
        ("var99_idle_cost_usd", ("var_idle_cost_usd", None, 0.99, None)),
        ("cvar95_loss_usd", ("cvar_loss_usd", None, 0.95, None)),
        ("default_month_p5", ("default_month", None, 0.05, None)),
        ("loss_given_default_p95", ("loss_given_default", None, 0.95, None)),
        ("provider_npv_usd_p50", ("provider_npv_usd", None, 0.5, None)),
        ("p_year_utilization_below_0.5", ("p_year_utilization_below", None, None, 0.5)),
        ("p_year_utilization_below_1", ("p_year_utilization_below", None, None, 1.0)),
        ("expected_loss_usd", ("expected_loss_usd", None, None, None)),
        ("some_future_figure", ("some_future_figure", None, None, None)),
    ],
)
def test_split_figure(name, parts):
    assert ms.split_figure(name) == parts


def test_a_tidy_risk_csv_is_left_as_written(folders, tmp_path):
    folder = shutil.copytree(folders["with"], tmp_path / "tidy")
    (folder / "risk.csv").write_text(
        "point,figure,year,quantile,threshold,value,stderr,ci95_low,ci95_high,n\n"
        "0,p_default_by_year,1,,,0.5,0.1,0.3,0.7,3\n"
        "0,var_loss_usd,,0.95,,10,,,,3\n"
    )
    risk = ms.load(folder).risk
    assert risk["figure"].tolist() == ["p_default_by_year", "var_loss_usd"]
    assert risk["year"].dtype == "Int64" and risk["quantile"].dtype == "float64"


def test_a_risk_csv_from_before_it_was_tidy_is_split(folders, tmp_path):
    folder = shutil.copytree(folders["with"], tmp_path / "old_risk")
    (folder / "risk.csv").write_text(
        "point,figure,value,stderr,ci95_low,ci95_high,n\n"
        "0,p_default_by_year_1,0.5,0.1,0.3,0.7,3\n"
        "0,var95_loss_usd,10,,,,3\n"
        "0,p_year_utilization_below_0.6,0.25,0.1,0.05,0.45,3\n"
    )
    for engine in ("pandas", "polars"):
        risk = ms.load(folder, engine=engine).risk
        column = (lambda c: risk[c].tolist()) if engine == "pandas" else (lambda c: risk.get_column(c).to_list())
        assert column("figure") == ["p_default_by_year", "var_loss_usd", "p_year_utilization_below"]
        assert column("year")[0] == 1 and column("quantile")[1] == 0.95
        assert column("threshold")[2] == 0.6


def test_reliable_and_interval_load_typed(folders):
    for engine in ("pandas", "polars"):
        risk = ms.load(folders["with"], engine=engine).risk
        if engine == "polars":
            import polars as pl

            assert risk.schema["reliable"] == pl.Boolean and risk.schema["interval"] == pl.String
            intervals = set(risk.get_column("interval").drop_nulls().to_list())
        else:
            assert risk["reliable"].dtype == "bool" and risk["interval"].dtype == "string"
            intervals = set(risk["interval"].dropna())
        assert {"wilson", "t", "order_statistic", "bootstrap"} <= intervals


def test_absent_files_are_none(folders, tmp_path):
    folder = shutil.copytree(folders["with"], tmp_path / "old")
    for name in ("risk.csv", "exposure.csv", "training_runs.csv", "events.csv", "manifest.json"):
        (folder / name).unlink()
    res = ms.load(folder)
    assert res.risk is None and res.exposure is None and res.training_runs is None and res.manifest is None
    assert res.events is None
    assert res.keys() == ["points", "replicas", "summary", "timeseries"]
    assert "risk" not in res


def test_what_is_not_a_results_folder_is_named(tmp_path, folders):
    with pytest.raises(ms.LoadError, match="no such results folder"):
        ms.load(tmp_path / "nothing")
    (tmp_path / "shard").mkdir()
    (tmp_path / "shard" / "shard.json").write_text("{}")
    with pytest.raises(ms.LoadError, match="merge the shards first"):
        ms.load(tmp_path / "shard")
    with pytest.raises(ValueError, match="engine="):
        ms.load(folders["with"], engine="spark")


def test_a_cell_that_does_not_fit_its_type_names_the_file(folders, tmp_path):
    folder = shutil.copytree(folders["with"], tmp_path / "bad")
    text = (folder / "replicas.csv").read_text().splitlines()
    cells = text[1].split(",")
    cells[3] = "many"  # events
    text[1] = ",".join(cells)
    (folder / "replicas.csv").write_text("\n".join(text) + "\n")
    with pytest.raises(ms.LoadError, match="replicas.csv"):
        ms.load(folder)


def test_an_unknown_column_loads_with_a_warning(folders, tmp_path):
    folder = shutil.copytree(folders["with"], tmp_path / "newer")
    lines = (folder / "summary.csv").read_text().splitlines()
    lines = [lines[0] + ",new_column"] + [line + ",1.5" for line in lines[1:]]
    (folder / "summary.csv").write_text("\n".join(lines) + "\n")
    with pytest.warns(UserWarning, match="new_column"):
        res = ms.load(folder)
    assert res.summary["new_column"].iloc[0] == 1.5


def test_loading_a_current_folder_warns_of_nothing(folders):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in folders:
            ms.load(folders[name])


def test_results_read_like_a_dict(folders):
    res = ms.load(folders["with"])
    assert res["replicas"] is res.replicas
    assert res["manifest"]["tool"] == "mortgage-sim"
    with pytest.raises(KeyError):
        res["nothing"]
    assert "replicas: 3×" in repr(res)


# --- polars: the same schema, when polars is installed ----------------------


def test_polars_dtypes_do_not_depend_on_the_data(folders):
    pl = pytest.importorskip("polars")
    a = ms.load(folders["with"], engine="polars")
    b = ms.load(folders["without"], engine="polars")
    for table in TABLES:
        assert a[table].schema == b[table].schema, table
        for col in S.SCHEMA[table]:
            assert a[table].schema[col.name] == getattr(pl, S.POLARS_DTYPES[col.type]), (table, col.name)
    assert a.replicas["seed"].to_list() == a.manifest["replica_seeds"]
    assert b.replicas["default_month"].null_count() == 3
    # The failure: concatenating two runs.
    assert pl.concat([a.replicas, b.replicas]).height == 6


def test_polars_and_pandas_hold_the_same_values(folders):
    pytest.importorskip("polars")
    for name in folders:
        pd_res = ms.load(folders[name])
        pl_res = ms.load(folders[name], engine="polars")
        for table in TABLES:
            left = pd_res[table]
            right = pl_res[table]
            assert list(left.columns) == right.columns, table
            for col in left.columns:
                l_values = [None if pd.isna(v) else v for v in left[col].tolist()]
                r_values = [None if v != v else v for v in right[col].to_list()]  # NaN -> None
                assert l_values == r_values, (name, table, col)


def test_without_polars_the_polars_engine_says_how_to_get_it(folders, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "polars", None)  # import polars now fails
    with pytest.raises(ImportError, match="pip install polars"):
        ms.load(folders["with"], engine="polars")
    assert ms.load(folders["with"]).replicas is not None


@pytest.mark.parametrize("engine", ["pandas", "polars"])
def test_a_file_with_only_its_header_has_the_schema_dtypes(folders, tmp_path, engine):
    if engine == "polars":
        pytest.importorskip("polars")
    folder = shutil.copytree(folders["with"], tmp_path / "empty")
    for table in ("replicas", "risk", "training_runs"):
        path = folder / f"{table}.csv"
        path.write_text(path.read_text().splitlines()[0] + "\n")
    empty = ms.load(folder, engine=engine)
    full = ms.load(folders["with"], engine=engine)
    for table in ("replicas", "risk", "training_runs"):
        assert len(empty[table]) == 0
        if engine == "pandas":
            assert dtypes(empty[table]) == dtypes(full[table]), table
        else:
            assert empty[table].schema == full[table].schema, table
