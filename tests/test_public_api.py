"""Plugins import only SynthGuard's public API: what `synthguard` exports, and the `__all__` of its public modules."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import synthguard as sg

ROOT = Path(__file__).resolve().parents[1]


def plugin_sources() -> list[Path]:
    """Every Python file a plugin distribution under plugins/ ships or runs (package, scripts, tests)."""
    return sorted(p for p in (ROOT / "plugins").rglob("*.py") if ".venv" not in p.parts)


def synthguard_imports(path: Path) -> list[tuple[int, str, str | None]]:
    """(line, module, name) for each import of a synthguard module; name None for `import synthguard.x`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and (
                node.module == "synthguard" or node.module.startswith("synthguard.")):
            found += [(node.lineno, node.module, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name, None) for a in node.names if a.name.startswith("synthguard.")]
    return found


def private_imports(path: Path, root: Path = ROOT) -> list[str]:
    public = {"synthguard": set(sg.__all__)}
    public.update({m: set(importlib.import_module(m).__all__) for m in sg.PUBLIC_MODULES})
    bad = []
    for line, module, name in synthguard_imports(path):
        if module not in public:
            bad.append(f"{path.relative_to(root)}:{line}: {module} is not a public module")
        elif name is not None and name not in public[module]:
            bad.append(f"{path.relative_to(root)}:{line}: {module}.{name} is not public")
    return bad


def test_plugins_import_only_public_names():
    files = plugin_sources()
    assert len(files) > 40  # every plugin's package, scripts and tests
    bad = [line for path in files for line in private_imports(path)]
    assert not bad, "plugins import private names:\n" + "\n".join(bad)


def test_the_check_catches_a_private_import(tmp_path):
    leaky = tmp_path / "leaky.py"
    leaky.write_text("from synthguard.data import holdout_split\nfrom synthguard.privacy import _private\n"
                     "import synthguard.pipeline\nfrom synthguard import Generator\n")
    assert private_imports(leaky, tmp_path) == ["leaky.py:1: synthguard.data is not a public module",
                                                "leaky.py:2: synthguard.privacy._private is not public",
                                                "leaky.py:3: synthguard.pipeline is not a public module"]


def test_every_public_name_exists_and_is_documented():
    for module in ("synthguard", *sg.PUBLIC_MODULES):
        mod = importlib.import_module(module)
        for name in mod.__all__:
            obj = getattr(mod, name)  # AttributeError: __all__ names a missing thing
            if callable(obj) and not name.startswith("__"):
                assert (obj.__doc__ or "").strip(), f"{module}.{name} has no docstring"
