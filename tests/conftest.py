"""Shared fixtures: a small mixed-type table, a CLI runner that behaves like a user's shell."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def mixed_frame() -> pd.DataFrame:
    """A test table (generated here, not real data) with every column kind and missing values."""
    rng = np.random.default_rng(0)
    n = 120
    income = rng.lognormal(10, 0.5, n).round(2)
    income[rng.random(n) < 0.1] = np.nan
    return pd.DataFrame({
        "age": rng.integers(18, 80, n),
        "income": income,
        "balance": np.where(rng.random(n) < 0.3, 0.0, rng.gamma(2, 500, n).round(2)),
        "segment": rng.choice(["retail", "private", "business"], n),
        "active": rng.random(n) < 0.7,
        "opened": pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 3000, n), unit="D"),
    })


def run_cli(*args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``synthguard ARGS`` in a subprocess, as a user would."""
    full_env = {**os.environ, **(env or {})}
    exe = Path(sys.executable).with_name("synthguard")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "synthguard.cli"]
    return subprocess.run([*cmd, *args], capture_output=True, text=True, env=full_env, cwd=cwd, timeout=600)


@pytest.fixture
def cli():
    return run_cli
