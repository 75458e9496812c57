"""Shared fixtures: the repository's paths and small runs of the golden
scenario made with the binary that mortgage_sim.binary() finds (the one
installed with the package, or $MORTGAGE_SIM_BIN)."""

from pathlib import Path

import pytest

import mortgage_sim as ms

REPO = next(p for p in Path(__file__).resolve().parents if (p / "Cargo.toml").is_file())
GOLDEN = REPO / "tests" / "data" / "golden.toml"
SWEEP_SMALL = REPO / "tests" / "data" / "sweep_small.toml"

# Seed 7 of the golden scenario: two of three replicas default, one has a
# commercial failure, and a replica seed is above 2^63 (where int64 ends).
WITH_DEFAULTS = ["--seed", "7"]
# The same replicas with funding nobody can exhaust and no commercial
# failure: default_month and commercial_failure_month are empty in every row.
WITHOUT_DEFAULTS = [
    "--seed",
    "7",
    "--set",
    "buyer.initial_funding_usd=1e15",
    "--set",
    "inference.growth.commercial_failure_probability=0",
]


@pytest.fixture(scope="session")
def folders(tmp_path_factory):
    """Results folders written by the CLI: a run with defaults, one without,
    and a sweep."""
    root = tmp_path_factory.mktemp("results")
    out = {
        "with": root / "with_defaults",
        "without": root / "without_defaults",
        "sweep": root / "sweep",
    }
    ms.call(["run", str(GOLDEN), *WITH_DEFAULTS, "--quiet", "--out", str(out["with"])])
    ms.call(["run", str(GOLDEN), *WITHOUT_DEFAULTS, "--quiet", "--out", str(out["without"])])
    ms.call(["sweep", str(SWEEP_SMALL), "--quiet", "--out", str(out["sweep"])])
    return out
