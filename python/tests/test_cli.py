"""run() and sweep() drive the binary; its failures arrive as ConfigError or
RunError carrying the CLI's own message."""

import os
import subprocess
from pathlib import Path

import pytest

import mortgage_sim as ms
from conftest import GOLDEN, SWEEP_SMALL


def test_the_binary_is_found_and_answers():
    path = Path(ms.binary())
    assert path.is_file() and os.access(path, os.X_OK)
    assert ms.version().startswith("mortgage-sim ")


def test_run_returns_the_loaded_results(tmp_path):
    res = ms.run(GOLDEN, replicas=2, seed=7, set={"buyer.initial_funding_usd": 1e15}, out=tmp_path / "r", threads=1)
    assert isinstance(res, ms.Results)
    assert res.path == tmp_path / "r"
    assert len(res.replicas) == 2
    assert res.manifest["master_seed"] == 7
    assert res.replicas["default_month"].isna().all()
    assert "2 replicas over 1 point(s)" in res.log
    assert "--quiet" in res.manifest["command"]


def test_run_without_out_writes_where_the_cli_does(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = ms.run(GOLDEN, replicas=1)
    assert res.path == Path("results/golden")
    assert (tmp_path / "results" / "golden" / "manifest.json").is_file()
    # A second run into the same folder needs force, as on the command line.
    with pytest.raises(ms.ConfigError, match="already exists"):
        ms.run(GOLDEN, replicas=1)
    assert len(ms.run(GOLDEN, replicas=2, force=True).replicas) == 2


def test_keyword_options_become_flags(tmp_path):
    res = ms.run(GOLDEN, replicas=2, out=tmp_path / "r", report=True, target_ci={"utilization": 0.5}, max_replicas=4)
    assert (tmp_path / "r" / "report.html").is_file()
    assert res.manifest["precision_target"] is not None
    assert res.path == tmp_path / "r"


def test_sweep_returns_the_loaded_sweep(tmp_path):
    res = ms.sweep(SWEEP_SMALL, replicas=1, out=tmp_path / "s", set=["simulation.timeseries_step_months=2"])
    assert res.points["point"].tolist() == [0, 1, 2, 3]
    assert len(res.replicas) == 4
    assert "research.chips" in res.summary.columns


def test_a_sweep_shard_returns_its_folder(tmp_path):
    where = ms.sweep(SWEEP_SMALL, replicas=1, out=tmp_path / "shard0", shard="0/2")
    assert where == tmp_path / "shard0"
    assert (where / "shard.json").is_file()


def test_a_bad_override_raises_config_error_with_the_cli_message(tmp_path):
    bad = ["--set", 'buyer.initial_funding_usd="lots"']
    direct = subprocess.run(
        [ms.binary(), "run", str(GOLDEN), *bad, "--quiet", "--out", str(tmp_path / "x")],
        capture_output=True,
        text=True,
    )
    assert direct.returncode == 2
    with pytest.raises(ms.ConfigError) as caught:
        ms.run(GOLDEN, set={"buyer.initial_funding_usd": "lots"}, out=tmp_path / "x")
    e = caught.value
    assert isinstance(e, ValueError) and not isinstance(e, subprocess.CalledProcessError)
    assert e.exit_code == 2
    assert e.message == direct.stderr.strip().removeprefix("error: ")
    assert str(e) == e.message
    assert "buyer.initial_funding_usd" in e.message and "allowed: a number" in e.message
    assert e.command[1:5] == ["run", str(GOLDEN), *bad]
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"set": {"nope.key": 1}}, "no table `nope`"),
        ({"set": ["no_equals_sign"]}, "expected KEY=VALUE"),
        ({"frobnicate": True}, "unexpected argument '--frobnicate'"),
        ({"target_ci": "utilization"}, "expected METRIC=HALF_WIDTH"),
    ],
)
def test_bad_input_is_a_config_error(tmp_path, kwargs, words):
    with pytest.raises(ms.ConfigError, match=words) as caught:
        ms.run(GOLDEN, out=tmp_path / "x", **kwargs)
    assert caught.value.exit_code == 2


def test_a_missing_config_is_a_config_error(tmp_path):
    with pytest.raises(ValueError, match="cannot read"):
        ms.run(tmp_path / "missing.toml", out=tmp_path / "x")
    with pytest.raises(ms.ConfigError):
        ms.sweep(tmp_path / "missing.toml", out=tmp_path / "x")


def test_a_failure_to_write_is_a_run_error(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    with pytest.raises(ms.RunError) as caught:
        ms.run(GOLDEN, replicas=1, out=blocker / "results")
    e = caught.value
    assert isinstance(e, RuntimeError)
    assert e.exit_code == 1
    assert "a_file" in e.message


def test_mortgage_sim_bin_chooses_the_binary(monkeypatch, tmp_path):
    real = ms.binary()
    monkeypatch.setenv("MORTGAGE_SIM_BIN", real)
    assert ms.binary() == real
    monkeypatch.setenv("MORTGAGE_SIM_BIN", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="MORTGAGE_SIM_BIN"):
        ms.binary()


@pytest.mark.parametrize(
    "value, text",
    [
        (True, "true"),
        (3, "3"),
        (0.1, "0.1"),
        (1e15, "1000000000000000.0"),
        (float("inf"), "inf"),
        ("partitioned", '"partitioned"'),
        ('say "hi"', '"say \\"hi\\""'),
        ({"dist": "lognormal", "median": 12, "sigma": 0.5}, '{ dist = "lognormal", median = 12, sigma = 0.5 }'),
        ([16, 64], "[16, 64]"),
    ],
)
def test_python_values_become_toml(value, text):
    assert ms.toml_value(value) == text


def test_a_distribution_override_reaches_the_scenario(tmp_path):
    res = ms.run(
        GOLDEN,
        replicas=1,
        out=tmp_path / "r",
        set={"scheduler": {"policy": "partitioned", "training_fraction": 0.4}},
    )
    assert res.manifest["points"][0]["resolved_config"]["scheduler"] == {
        "policy": "partitioned",
        "training_fraction": 0.4,
    }


@pytest.mark.skipif(
    os.environ.get("MORTGAGE_SIM_EXPECT_INSTALLED") != "1", reason="CI sets it when testing the installed wheel"
)
def test_the_installed_package_and_binary_are_the_ones_tested():
    import sys

    assert "MORTGAGE_SIM_BIN" not in os.environ
    prefix = Path(sys.prefix).resolve()
    assert prefix in Path(ms.__file__).resolve().parents, ms.__file__
    assert prefix in Path(ms.binary()).resolve().parents, ms.binary()
