"""constraints.txt pins every package the distributions in this repository declare (issue 24: hypothesis was not),
at a version inside the declared range, so scripts/setup.sh (CI's fresh install) gets what the tests ran with."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
UNPINNED = {"torch"}  # scripts/setup.sh picks the CPU pin or the CUDA build (see constraints.txt's header)


def pins() -> dict[str, str]:
    out = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            out[canonicalize_name(name)] = version.strip()
    return out


def requirements() -> list[tuple[str, Requirement]]:
    """(pyproject, requirement) for what scripts/setup.sh installs: the core with its ``test`` extra, every plugin."""
    out = []
    for pyproject in [ROOT / "pyproject.toml", *sorted(ROOT.glob("plugins/*/pyproject.toml"))]:
        project = tomllib.loads(pyproject.read_text())["project"]
        extras = project.get("optional-dependencies", {}).get("test", []) if pyproject.parent == ROOT else []
        for text in [*project.get("dependencies", []), *extras]:
            req = Requirement(text)
            if canonicalize_name(req.name) not in UNPINNED and not canonicalize_name(req.name).startswith("synthguard"):
                out.append((str(pyproject.relative_to(ROOT)), req))
    return out


@pytest.mark.parametrize("where, req", requirements(), ids=lambda x: str(x))
def test_every_declared_package_is_pinned_inside_its_range(where, req):
    pinned = pins().get(canonicalize_name(req.name))
    assert pinned is not None, f"{req.name} ({where}) has no pin in constraints.txt: expected {req.name}==VERSION"
    assert req.specifier.contains(pinned, prereleases=True), f"{req.name}=={pinned} is outside {where}'s {req}"


def test_hypothesis_is_pinned():  # the property tests' engine: a new release changes what they generate
    assert "hypothesis" in pins()
