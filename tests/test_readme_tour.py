"""README's 60-second tour runs as written: every `synthguard` command of its shell block, in order, in a fresh
folder, on the datasets that ship (issue 24: it ran on a loans.csv that did not).

Only the sizes shrink so the test takes a minute on two CPU cores (``--epochs 300`` -> 1, ``--rows`` -> 200); a
command against a database URL needs that server and is left to tests/test_database.py.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SMALLER = {"--epochs": "1", "--rows": "200"}


def tour_commands() -> list[list[str]]:
    """The `synthguard` commands of the tour's bash block (continuation lines joined, comments dropped)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    tour = readme[readme.index("## A 60-second tour"):]
    block = re.search(r"```bash\n(.*?)```", tour, re.S).group(1).replace("\\\n", " ")
    commands = []
    for line in block.splitlines():
        words = shlex.split(line, comments=True)
        if words[:1] == ["synthguard"] and not any("://" in w for w in words):
            commands.append(words[1:])
    return commands


def shrunk(args: list[str]) -> list[str]:
    return [SMALLER.get(args[i - 1], a) if i else a for i, a in enumerate(args)]


def test_the_tour_names_only_shipped_data():
    commands = tour_commands()
    assert [c[0] for c in commands] == ["plugins", "datasets", "generate", "explain", "fit", "sample", "augment"]
    assert not any("--data" in c for c in commands)  # no file the reader does not have


def test_the_tour_runs_as_written(cli, tmp_path):
    for args in tour_commands():
        proc = cli(*shrunk(args), cwd=tmp_path)
        assert proc.returncode == 0, f"synthguard {' '.join(args)}:\n{proc.stderr}"
    sampled = pd.read_csv(tmp_path / "sampled" / "synthetic.csv")
    assert len(sampled) == 200 and (sampled["Home"] == "owner").all()
    known = sampled.dropna(subset=["Debt", "Assets"])
    assert (known["Debt"] <= known["Assets"]).all()
    assert (tmp_path / "out" / "report.html").is_file() and (tmp_path / "model" / "manifest.json").is_file()
    assert (tmp_path / "aug" / "augmented.parquet").is_file()
    assert (tmp_path / "out" / "explain.json").is_file()
