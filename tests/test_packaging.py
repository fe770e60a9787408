"""Packaging: every distribution declares what its code imports, and its licence as an SPDX string.

A package that imports a library it does not declare works only while another package happens to pull that
library in (plotly arrived through sdmetrics); installing the core with one plugin in a clean environment
then fails at the first report. This test reads each ``pyproject.toml`` and every module of its package,
and names each import that no requirement covers.
"""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

ROOT = Path(__file__).resolve().parents[1]

#: Each distribution's pyproject and the package directory it ships.
DISTRIBUTIONS = {
    "synthguard": (ROOT / "pyproject.toml", ROOT / "core" / "synthguard"),
    **{f"synthguard-{p}": (ROOT / "plugins" / p / "pyproject.toml", ROOT / "plugins" / p / f"synthguard_{p}")
       for p in ("finance", "sensor", "traffic", "imaging", "sequence")},
    "synthguard-example": (ROOT / "examples" / "synthguard-example-plugin" / "pyproject.toml",
                           ROOT / "examples" / "synthguard-example-plugin" / "synthguard_example.py"),
}

#: Imports that an optional extra may declare instead of the dependencies: (module file suffix, import) -> why.
OPTIONAL = {
    ("synthguard/testing.py", "pytest"): "the conformance helpers run inside the plugin author's pytest",
    ("synthguard/privacy/distance.py", "faiss"): "optional fast search, guarded by ImportError (the 'fast' extra)",
    ("synthguard/scale/index.py", "faiss"): "chunked gating's shared index, guarded by ImportError (the 'scale' extra)",
    ("synthguard/scale/runner.py", "dask"): "--scheduler runs on Dask, guarded by ImportError (the 'scale' extra)",
    ("synthguard/scale/runner.py", "distributed"): "--scheduler runs on Dask, guarded by ImportError (the 'scale' extra)",
}


def _name(requirement: str) -> str:
    """The normalised distribution name of a PEP 508 requirement ('psycopg[binary]>=3' -> 'psycopg')."""
    return re.sub(r"[-_.]+", "-", re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement).group(1)).lower()


def _imports(path: Path) -> set[str]:
    """Top-level names of every absolute import in a module, at any depth (lazy imports count too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def _modules(package: Path) -> list[Path]:
    if package.is_file():
        return [package]
    return [p for p in package.rglob("*.py") if "tests" not in p.relative_to(package).parts]


@pytest.mark.parametrize("dist", sorted(DISTRIBUTIONS))
def test_every_import_is_declared(dist):
    pyproject, package = DISTRIBUTIONS[dist]
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    required = {_name(r) for r in project.get("dependencies", [])}
    extras = {_name(r) for reqs in project.get("optional-dependencies", {}).values() for r in reqs}
    providers = packages_distributions()
    own = package.stem if package.is_file() else package.name
    missing = []
    for module in _modules(package):
        for name in sorted(_imports(module) - set(sys.stdlib_module_names) - {"__future__", own}):
            dists = {_name(d) for d in providers.get(name, [])}
            if not dists:
                missing.append(f"{module.relative_to(ROOT)}: {name} (no installed distribution provides it)")
                continue
            optional = any(str(module).endswith(suffix) and name == imp for suffix, imp in OPTIONAL)
            if not dists & (required | (extras if optional else set())):
                missing.append(f"{module.relative_to(ROOT)}: {name} (from {', '.join(sorted(dists))})")
    assert not missing, f"{pyproject.relative_to(ROOT)} does not declare:\n" + "\n".join(missing)


@pytest.mark.parametrize("dist", sorted(DISTRIBUTIONS))
def test_licence_is_an_spdx_string(dist):
    pyproject, _ = DISTRIBUTIONS[dist]
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    licence = data["project"].get("license")
    if licence is None:  # the example plugin leaves it to its author
        return
    assert isinstance(licence, str) and re.fullmatch(r"[A-Za-z0-9.+-]+( (AND|OR|WITH) [A-Za-z0-9.+-]+)*", licence), (
        f"{pyproject.relative_to(ROOT)}: project.license must be an SPDX expression string (a table is deprecated)")
    build = " ".join(data["build-system"]["requires"])
    version = re.search(r"setuptools>=(\d+)", build)
    assert version and int(version.group(1)) >= 77, "the SPDX string form needs setuptools>=77 to build"
