"""Plugin loading and the registry the hooks fill.

The manager is built on demand (never at import time), built-ins first, then
every entry point of the ``synthguard`` group — or only those named in
``SYNTHGUARD_LOAD_PLUGINS`` (comma-separated distribution names; empty = none).
"""

from __future__ import annotations

import importlib.metadata
import os
from types import ModuleType
from typing import Any, Iterable

import pluggy

from . import hookspecs
from .errors import PluginError
from .contract import ROLES
from .registry import Registry

ENTRY_POINT_GROUP = "synthguard"
LOAD_PLUGINS_ENV = "SYNTHGUARD_LOAD_PLUGINS"
BUILTIN_PLUGINS = ("synthguard.builtin",)


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


def _role_order(entry) -> tuple:
    return (entry.obj.domain or "", ROLES.index(entry.obj.role), entry.name)


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
        row["generators"] = [{"name": e.name, "domain": e.obj.domain, "modality": e.obj.modality, "role": e.obj.role,
                              "description": e.obj.description,
                              "sampling_settings": sorted(e.obj.Config.sampling_settings())}
                             for e in sorted(reg.generators.values(), key=_role_order) if e.plugin == name]
        for kind in Registry.KINDS:
            if kind != "generators":
                row[kind] = sorted(e.name for e in getattr(reg, kind).values() if e.plugin == name)
        out.append(row)
    return out
