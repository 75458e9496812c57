"""run() and sweep(): the installed `mortgage-sim` binary, called as the
CLI is, with its errors raised as Python exceptions that carry its message."""

from __future__ import annotations

import json
import math
import numbers
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Optional, Union

from ._load import Results, load

BINARY_NAME = "mortgage-sim"
ENV_VAR = "MORTGAGE_SIM_BIN"

PathLike = Union[str, "os.PathLike[str]"]


class Error(Exception):
    """The CLI failed. `message` is what it said (its `error: …` text),
    `exit_code` its exit status, `command` the argument list it ran with,
    `stderr` everything it printed on stderr."""

    def __init__(self, message: str, exit_code: int, command: list[str], stderr: str = ""):
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        self.command = command
        self.stderr = stderr

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, exit_code={self.exit_code})"


class ConfigError(Error, ValueError):
    """Bad input (the CLI's exit code 2): a config, an override, an
    experiment, an option, an existing results folder without force=True,
    a run beyond the resource ceilings. Fix the input named in `message`."""


class RunError(Error, RuntimeError):
    """The run failed for another reason (exit code 1, e.g. a file could not
    be written; or the binary was killed)."""


def binary() -> str:
    """The `mortgage-sim` executable that run() and sweep() call: $MORTGAGE_SIM_BIN
    if set, else the one installed with this package (pip install . puts it in
    the environment's bin/, which need not be on PATH in a notebook kernel),
    else the first on PATH. FileNotFoundError says how to get one."""
    env = os.environ.get(ENV_VAR)
    if env:
        found = shutil.which(env)
        if found is None:
            raise FileNotFoundError(f"{ENV_VAR}={env}: no such executable")
        return found
    bundled = _bundled()
    if bundled is not None:
        return bundled
    found = shutil.which(BINARY_NAME)
    if found is not None:
        return found
    raise FileNotFoundError(
        f"cannot find the {BINARY_NAME} binary: install it with `pip install .` (or "
        f"`cargo install --path .`) from the repository, or set {ENV_VAR}=/path/to/{BINARY_NAME}"
    )


def _bundled() -> Optional[str]:
    exe = BINARY_NAME + (".exe" if sys.platform == "win32" else "")
    candidates = []
    try:
        from importlib import metadata

        dist = metadata.distribution(BINARY_NAME)
        candidates += [Path(dist.locate_file(f)) for f in (dist.files or []) if f.name == exe]
    except Exception:  # not installed as a distribution (e.g. run from the source tree)
        pass
    for scheme in (None, f"{os.name}_user"):
        try:
            scripts = sysconfig.get_path("scripts", scheme) if scheme else sysconfig.get_path("scripts")
        except KeyError:
            continue
        if scripts:
            candidates.append(Path(scripts) / exe)
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return str(c.resolve())
    return None


def toml_value(value: Any) -> str:
    """A Python value as TOML text for `--set KEY=VALUE`: str → a quoted
    string, bool → true/false, numbers as numbers (inf, nan), dict → an inline
    table (e.g. a distribution), list/tuple → an array."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        x = float(value)
        if math.isnan(x):
            return "nan"
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        return repr(x)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        items = ", ".join(f"{_toml_key(str(k))} = {toml_value(v)}" for k, v in value.items())
        return "{ " + items + " }" if items else "{}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} ({type(value).__name__}) as a TOML value")


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def _overrides(set_: Union[None, Mapping, list, tuple, str]) -> list[str]:
    if set_ is None:
        return []
    if isinstance(set_, str):
        set_ = [set_]
    args: list[str] = []
    if isinstance(set_, Mapping):
        for key, value in set_.items():
            args += ["--set", f"{key}={toml_value(value)}"]
    else:  # "KEY=VALUE" strings, as on the command line
        for item in set_:
            args += ["--set", str(item)]
    return args


def _flags(options: Mapping[str, Any]) -> list[str]:
    """Keyword options as CLI flags: allow_huge=True → --allow-huge,
    target_ci="utilization=0.002" (or {"utilization": 0.002}) → --target-ci …,
    max_replicas=500 → --max-replicas 500; None and False are left out."""
    args: list[str] = []
    for key, value in options.items():
        if key == "quiet" or value is None or value is False:
            continue
        flag = "--" + key.replace("_", "-")
        if value is True:
            args.append(flag)
        elif isinstance(value, Mapping):
            for k, v in value.items():
                args += [flag, f"{k}={v}"]
        elif isinstance(value, (list, tuple)):
            for v in value:
                args += [flag, str(v)]
        else:
            args += [flag, str(value)]
    return args


def _exec_args(replicas, seed, set_, out, force, threads, options) -> list[str]:
    args: list[str] = []
    if replicas is not None:
        args += ["--replicas", str(int(replicas))]
    if seed is not None:
        args += ["--seed", str(int(seed))]
    args += _overrides(set_)
    if out is not None:
        args += ["--out", os.fspath(out)]
    if force:
        args.append("--force")
    if threads is not None:
        args += ["--threads", str(int(threads))]
    return args + _flags(options) + ["--quiet"]


def call(args: list[str]) -> subprocess.CompletedProcess:
    """Runs `mortgage-sim ARGS...` and returns the finished process; raises
    ConfigError (exit code 2) or RunError (any other failure) carrying the
    CLI's message."""
    command = [binary(), *args]
    proc = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True, errors="replace")
    if proc.returncode != 0:
        raise _error(proc.returncode, command, proc.stderr)
    return proc


def _error(code: int, command: list[str], stderr: str) -> Error:
    text = stderr.strip()
    # The CLI prints its message once, as `error: …` (clap's usage errors too).
    m = re.search(r"^error: ", text, flags=re.MULTILINE)
    message = text[m.end() :] if m else text
    if not message:
        message = f"{BINARY_NAME} exited with code {code} and printed nothing on stderr"
        if code < 0:
            message = f"{BINARY_NAME} was killed by signal {-code}"
    cls = ConfigError if code == 2 else RunError
    return cls(message, code, command, stderr)


def _destination(stderr: str, out, command: list[str]) -> Path:
    if out is not None:
        return Path(out)
    # Without --out the CLI picks results/<name>/ and says where: the first
    # "… -> DIR" line (a later one is the report's path).
    m = re.search(r" -> (.+)$", stderr, flags=re.MULTILINE)
    if m is None:
        raise RunError(
            "the run finished but did not say where it wrote its results; pass out=…",
            0,
            command,
            stderr,
        )
    return Path(m.group(1).strip())


def run(
    config: Optional[PathLike] = None,
    replicas: Optional[int] = None,
    seed: Optional[int] = None,
    set: Union[None, Mapping, list, tuple, str] = None,  # noqa: A002 - the CLI's name
    out: Optional[PathLike] = None,
    force: bool = False,
    threads: Optional[int] = None,
    engine: str = "pandas",
    **options: Any,
) -> Results:
    """`mortgage-sim run` on a scenario file (None: the embedded baseline),
    then `load()` of its results folder.

    set: overrides, {"inference.base_demand_chips": 200000,
    "cluster.tranches.1.delivery_delay_months": {"dist": "fixed", "value": 6}}
    (values become TOML: a str is a quoted string), or a list of "KEY=VALUE"
    strings as on the command line. out: the results folder (default, as the
    CLI: results/<scenario name>/ under the current directory); an existing
    one is replaced only with force=True. Other CLI options as keywords:
    target_ci="utilization=0.002", max_replicas=500, allow_huge=True,
    report=True, stats=True.

    Raises ConfigError (a ValueError) for bad input, RunError (a
    RuntimeError) for other failures, each with the CLI's message.
    """
    args = ["run"]
    if config is not None:
        args.append(os.fspath(config))
    args += _exec_args(replicas, seed, set, out, force, threads, options)
    proc = call(args)
    results = load(_destination(proc.stderr, out, list(proc.args)), engine=engine)
    results.log = proc.stderr
    return results


def sweep(
    experiment: PathLike,
    replicas: Optional[int] = None,
    seed: Optional[int] = None,
    set: Union[None, Mapping, list, tuple, str] = None,  # noqa: A002 - the CLI's name
    out: Optional[PathLike] = None,
    force: bool = False,
    threads: Optional[int] = None,
    engine: str = "pandas",
    **options: Any,
) -> Union[Results, Path]:
    """`mortgage-sim sweep` on an experiment file, then `load()` of its
    results folder (default results/<experiment name>/). Options as for
    run(); with shard="I/N" (or shard_count=N) it runs one shard and returns
    the shard folder's path, which `mortgage-sim merge` combines.

    Raises ConfigError or RunError with the CLI's message.
    """
    args = ["sweep", os.fspath(experiment)]
    args += _exec_args(replicas, seed, set, out, force, threads, options)
    proc = call(args)
    where = _destination(proc.stderr, out, list(proc.args))
    if options.get("shard") is not None or options.get("shard_count") is not None:
        return where
    results = load(where, engine=engine)
    results.log = proc.stderr
    return results


def version() -> str:
    """The binary's version line, e.g. "mortgage-sim 0.1.0"."""
    return call(["--version"]).stdout.strip()
