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


# --------------------------------------------------------------------------- a real Postgres server


class PostgresServer:
    """A throwaway Postgres cluster: initdb into a temporary folder, started on a unix socket there and a free
    TCP port on 127.0.0.1, password authentication (scram-sha-256) for user ``synthguard``."""

    user = "synthguard"
    password = "s3cret-Pw_for-tests"

    def __init__(self, bindir: Path):
        import socket
        import tempfile

        self.bindir = bindir
        self.dir = Path(tempfile.mkdtemp(prefix="synthguard-pg-"))  # not under pytest's 0700 folder: postgres reads it
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.as_user = []
        if os.geteuid() == 0:  # Postgres refuses to run as root: run it as the postgres system user
            import pwd

            owner = pwd.getpwnam("postgres")
            os.chown(self.dir, owner.pw_uid, owner.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        (self.dir / "pw").write_text(self.password)
        if self.as_user:
            os.chown(self.dir / "pw", owner.pw_uid, owner.pw_gid)

    def _run(self, tool: str, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*self.as_user, str(self.bindir / tool), *args], capture_output=True, text=True,
                              timeout=120)

    def start(self) -> str | None:
        """Start the cluster; None, or why it could not start."""
        data = self.dir / "data"
        proc = self._run("initdb", "-D", str(data), "-U", self.user, f"--pwfile={self.dir / 'pw'}", "-A",
                         "scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync")
        if proc.returncode:
            return f"initdb failed: {proc.stderr.strip()[-300:]}"
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        proc = self._run("pg_ctl", "-D", str(data), "-l", str(self.dir / "log"), "-o", opts, "-w", "-t", "60", "start")
        if proc.returncode:
            log = (self.dir / "log").read_text() if (self.dir / "log").exists() else ""
            return f"pg_ctl start failed: {(proc.stderr + log).strip()[-300:]}"
        return None

    def stop(self) -> None:
        import shutil

        self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, database: str = "postgres", password: str | None = None) -> str:
        return f"postgresql://{self.user}:{password or self.password}@127.0.0.1:{self.port}/{database}"


def _postgres_bindir() -> Path | None:
    import shutil

    found = shutil.which("pg_ctl")
    if found:
        return Path(os.path.realpath(found)).parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    return versions[-1].parent if versions else None


@pytest.fixture(scope="session")
def postgres_server():
    """A real Postgres server for this test session (stopped and removed after); skips with the reason
    when Postgres is not installed or cannot start (``.ci/run`` installs it)."""
    bindir = _postgres_bindir()
    if bindir is None or not (bindir / "initdb").exists():
        pytest.skip("Postgres is not installed (pg_ctl/initdb not found; .ci/run installs the postgresql package)")
    server = PostgresServer(bindir)
    why = server.start()
    if why:
        server.stop()
        pytest.skip(f"Postgres could not be started: {why}")
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres_server, request) -> str:
    """A URL (with its password) of a fresh, empty database on the session's server."""
    import re

    import sqlalchemy as sa

    name = "t_" + re.sub(r"\W", "_", request.node.name.lower())[:50]
    admin = sa.create_engine(postgres_server.url().replace("postgresql://", "postgresql+psycopg://"),
                             isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return postgres_server.url(name)
