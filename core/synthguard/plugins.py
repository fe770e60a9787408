"""Plugin loading and the registry the hooks fill.

The manager is built on demand (never at import time), built-ins first, then
every entry point of the ``synthguard`` group — or only those named in
``SYNTHGUARD_LOAD_PLUGINS`` (comma-separated distribution names; empty = none).
"""

from __future__ import annotations

import importlib.metadata
import os
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Iterable

import pluggy

from . import hookspecs
from .checks import PrivacyFilter, Validator
from .errors import PluginError
from .generator import Generator
from .privacy.distance import Distance
from .registry import Dataset, Metric, Writer

ENTRY_POINT_GROUP = "synthguard"
LOAD_PLUGINS_ENV = "SYNTHGUARD_LOAD_PLUGINS"
BUILTIN_PLUGINS = ("synthguard.builtin",)


@dataclass
class Entry:
    """One registered thing and the plugin it came from."""

    name: str
    plugin: str
    obj: Any


@dataclass
class Registry:
    """Everything the installed plugins registered, by kind then name."""

    generators: dict[str, Entry] = field(default_factory=dict)
    validators: dict[str, Entry] = field(default_factory=dict)
    privacy_filters: dict[str, Entry] = field(default_factory=dict)
    datasets: dict[str, Entry] = field(default_factory=dict)
    metrics: dict[str, Entry] = field(default_factory=dict)
    distances: dict[str, Entry] = field(default_factory=dict)
    writers: dict[str, Entry] = field(default_factory=dict)

    KINDS = {
        "generators": (Generator, True),
        "validators": (Validator, True),
        "privacy_filters": (PrivacyFilter, True),
        "datasets": (Dataset, False),
        "metrics": (Metric, True),
        "distances": (Distance, True),
        "writers": (Writer, True),
    }

    def add(self, kind: str, plugin: str, obj: Any) -> None:
        base, is_class = self.KINDS[kind]
        ok = (isinstance(obj, type) and issubclass(obj, base)) if is_class else isinstance(obj, base)
        if not ok:
            what = f"a subclass of {base.__name__}" if is_class else f"a {base.__name__} instance"
            raise PluginError(f"plugin {plugin!r} registered {obj!r} as {kind[:-1].replace('_', ' ')}: expected {what}")
        name = getattr(obj, "name", None)
        if not isinstance(name, str) or not name:
            raise PluginError(f"plugin {plugin!r} registered {obj!r} without a name: expected a non-empty string name")
        table = getattr(self, kind)
        if name in table:
            raise PluginError(
                f"{kind[:-1].replace('_', ' ')} name {name!r} is registered by both {table[name].plugin!r} and {plugin!r}"
            )
        table[name] = Entry(name, plugin, obj)

    def get(self, kind: str, name: str) -> Any:
        table = getattr(self, kind)
        if name not in table:
            known = ", ".join(sorted(table)) or "none installed"
            raise PluginError(f"unknown {kind[:-1].replace('_', ' ')} {name!r}: expected one of {known}")
        return table[name].obj


def _distribution_of(module: ModuleType) -> str | None:
    top = module.__name__.split(".")[0]
    dists = importlib.metadata.packages_distributions().get(top, [])
    return dists[0] if dists else None


def make_plugin_manager(
    plugins: Iterable[ModuleType | object] = (), load_entrypoints: bool = True
) -> pluggy.PluginManager:
    """A fresh manager: built-ins, then entry points (filtered by the env allow-list), then ``plugins``."""
    pm = pluggy.PluginManager("synthguard")
    pm.add_hookspecs(hookspecs)
    for modname in BUILTIN_PLUGINS:
        pm.register(importlib.import_module(modname), name=modname)
    if load_entrypoints:
        _load_entrypoints(pm)
    for plugin in plugins:
        name = getattr(plugin, "__name__", None) or repr(plugin)
        if pm.has_plugin(name):
            raise PluginError(f"plugin {name!r} is registered twice")
        pm.register(plugin, name=name)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as err:
        raise PluginError(f"a plugin implements a hook SynthGuard does not have: {err}") from None
    return pm


def _load_entrypoints(pm: pluggy.PluginManager) -> None:
    allow = os.environ.get(LOAD_PLUGINS_ENV)
    allowed = None if allow is None else {x.strip() for x in allow.split(",") if x.strip()}
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if allowed is not None and ep.name not in allowed:
            continue
        if pm.has_plugin(ep.name):
            # pluggy would silently skip it: a second distribution using the same name is a bug to see.
            raise PluginError(f"two installed plugins use the entry-point name {ep.name!r}: expected unique names")
        try:
            module = ep.load()
        except Exception as err:  # a broken plugin must say which one it is
            raise PluginError(f"plugin {ep.name!r} failed to load ({ep.value}): {type(err).__name__}: {err}") from err
        pm.register(module, name=ep.name)
    if allowed:
        missing = allowed - {n for n, _ in pm.list_name_plugin()}
        if missing:
            raise PluginError(f"{LOAD_PLUGINS_ENV} names plugin(s) {sorted(missing)} that are not installed")


def build_registry(pm: pluggy.PluginManager) -> Registry:
    """Call every registration hook, plugin by plugin, so each entry knows its plugin."""
    reg = Registry()
    for kind in Registry.KINDS:
        hook = getattr(pm.hook, f"register_{kind}")
        for impl in hook.get_hookimpls():
            plugin = impl.plugin_name
            impl.function(**{a: (lambda obj, _k=kind, _p=plugin: reg.add(_k, _p, obj)) for a in impl.argnames})
    return reg


def plugin_info(pm: pluggy.PluginManager, reg: Registry) -> list[dict[str, Any]]:
    """What ``synthguard plugins`` shows: per plugin, its version and what it registered."""
    out = []
    for name, module in pm.list_name_plugin():
        dist = _distribution_of(module) if isinstance(module, ModuleType) else None
        version = None
        if dist:
            try:
                version = importlib.metadata.version(dist)
            except importlib.metadata.PackageNotFoundError:
                version = None
        row: dict[str, Any] = {"name": name, "distribution": dist, "version": version}
        for kind in Registry.KINDS:
            row[kind] = sorted(e.name for e in getattr(reg, kind).values() if e.plugin == name)
        out.append(row)
    return out
