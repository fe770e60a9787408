"""The documentation: the site builds with no warning, the hook reference covers every hook, README stays short."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README_MAX_LINES = 250


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """``mkdocs build --strict`` into a temporary folder (strict: any warning, e.g. a broken link, fails)."""
    out = tmp_path_factory.mktemp("site")
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stdout}\n{proc.stderr}"
    return out


def hooks() -> list[str]:
    """Every function decorated with ``@hookspec`` in hookspecs.py."""
    tree = ast.parse((ROOT / "core" / "synthguard" / "hookspecs.py").read_text(encoding="utf-8"))
    return [node.name for node in tree.body if isinstance(node, ast.FunctionDef)
            and any(isinstance(d, ast.Name) and d.id == "hookspec" for d in node.decorator_list)]


def test_site_builds_strict(site):
    for page in ("index.html", "reference/hooks/index.html", "reference/contract/index.html",
                 "reference/cli/index.html", "reference/api/index.html", "plugin-guide/index.html",
                 "benchmarks/index.html", "experiments/index.html"):
        assert (site / page).is_file(), page


def test_hook_reference_lists_every_hook(site):
    names = hooks()
    assert len(names) >= 7, names
    page = (site / "reference" / "hooks" / "index.html").read_text(encoding="utf-8")
    missing = [name for name in names if f'id="synthguard.hookspecs.{name}"' not in page]
    assert not missing, f"hooks without an entry in the hook reference: {missing}"


def test_cli_reference_lists_every_command(site):
    from synthguard.cli import main

    page = (site / "reference" / "cli" / "index.html").read_text(encoding="utf-8")
    missing = [name for name in main.commands if f"synthguard {name}" not in page]
    assert not missing, f"commands missing from the CLI reference: {missing}"


def test_plugin_guide_includes_the_example_plugin(site):
    page = (site / "plugin-guide" / "index.html").read_text(encoding="utf-8")
    assert "MarginalsGenerator" in page and "project.entry-points.synthguard" in page


def test_readme_is_short():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines (at most {README_MAX_LINES})"
