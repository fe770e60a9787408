"""`synthguard generate` itself stopped by SIGTERM while it writes --out (issue 24): what a user finds afterwards is
no output, or the complete earlier one — never a partial directory that looks complete, never a hidden sibling.

tests/test_atomic.py kills a small writer at every point of ``atomic_directory``; this runs the real command
end to end (read, fit SDV's Gaussian copula on 300 rows, sample, gate, audit, report) and stops it at the
``SYNTHGUARD_TEST_PAUSE_AT`` points its writers pass.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import synthguard as sg


@pytest.fixture(scope="module")
def loans(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("data") / "loans.csv"
    sg.Engine().dataset("credit_data").load().frame.iloc[:300].to_csv(path, index=False)
    return path


def generate(loans: Path, out: Path, pause: str, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "SYNTHGUARD_TEST_PAUSE_AT": pause, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-m", "synthguard.cli", "generate", "finance-gaussian-copula", "--data",
                             str(loans), "--rows", "30", "--out", str(out), "--seed", "0", *extra], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def stop_at(proc: subprocess.Popen, point: str) -> str:
    """SIGTERM ``proc`` once it pauses at ``point``; its stderr."""
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if f"paused at {point}" in line:
            proc.send_signal(signal.SIGTERM)
            break
    else:
        raise AssertionError(f"generate ended before pausing at {point!r} (rc {proc.wait()}): {''.join(seen)}")
    rest = proc.communicate(timeout=120)[1]
    return "".join(seen) + rest


def tree(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_sigterm_while_generate_writes_a_first_output_leaves_nothing(loans, tmp_path):
    out = tmp_path / "run"
    proc = generate(loans, out, "writing")
    err = stop_at(proc, "writing")
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "terminated (SIGTERM): nothing written" in err
    assert list(tmp_path.iterdir()) == []  # no --out, no .run.tmp-* sibling


def test_sigterm_before_generate_swaps_in_its_output_keeps_the_earlier_one_whole(loans, tmp_path):
    point = "before-swap"  # the new output is complete beside --out: the last instant before it replaces the old
    out = tmp_path / "run"
    out.mkdir()
    earlier = {"synthetic.parquet": b"earlier rows", "report.json": b'{"earlier": true}'}
    for name, data in earlier.items():
        (out / name).write_bytes(data)
    proc = generate(loans, out, point, "--overwrite")
    err = stop_at(proc, point)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert tree(out) == earlier
    assert [p.name for p in tmp_path.iterdir()] == ["run"]
