"""The registry the hooks fill: everything installed plugins registered, by kind then name.

Registration checks what a plugin hands over (the right base class, a unique name, a generator's role)
so a mistake names its plugin when the engine starts, not halfway through a run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pluggy

from .augment_tasks import DownstreamTask
from .contract import ROLES, Dataset, Distance, Generator, Metric, PrivacyFilter, Validator, Writer
from .errors import PluginError


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
    downstream_tasks: dict[str, Entry] = field(default_factory=dict)

    KINDS = {
        "generators": (Generator, True),
        "validators": (Validator, True),
        "privacy_filters": (PrivacyFilter, True),
        "datasets": (Dataset, False),
        "metrics": (Metric, True),
        "distances": (Distance, True),
        "writers": (Writer, True),
        "downstream_tasks": (DownstreamTask, True),
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
        if kind == "generators":
            self._check_role(plugin, obj)
        table[name] = Entry(name, plugin, obj)

    def _check_role(self, plugin: str, cls: type[Generator]) -> None:
        if cls.role not in ROLES:
            raise PluginError(f"plugin {plugin!r} registered generator {cls.name!r} with role {cls.role!r}: "
                              f"expected one of {', '.join(ROLES)}")
        if not cls.description:
            raise PluginError(f"plugin {plugin!r} registered generator {cls.name!r} without a description: "
                              "expected one line saying what it is (and, for an alternative, its trade-off)")
        if cls.role in ("default", "dp"):
            if cls.domain is None:
                raise PluginError(f"plugin {plugin!r} registered generator {cls.name!r} as role {cls.role!r} without a "
                                  "domain: expected the domain it serves")
            other = self.defaults(cls.role).get(cls.domain)
            if other is not None:
                raise PluginError(f"domain {cls.domain!r} has two {cls.role} generators, {other.name!r} "
                                  f"({self.generators[other.name].plugin}) and {cls.name!r} ({plugin}): expected one")

    def defaults(self, role: str = "default") -> dict[str, type[Generator]]:
        """Each domain's generator of ``role`` by domain: ``"default"`` for ``generate DOMAIN``, ``"dp"`` for ``--epsilon``."""
        return {e.obj.domain: e.obj for e in self.generators.values() if e.obj.role == role}

    def generator(self, name: str, dp: bool = False) -> type[Generator]:
        """A generator class by its name, or a domain's default by the domain's name.

        With ``dp`` (the user asked for ``--epsilon``), a domain's name resolves to the domain's ``"dp"``
        generator when it has one — even where a generator shares the domain's name (``finance``); any
        other generator name is taken as given.
        """
        domain_dp = self.defaults("dp").get(name) if dp else None
        if domain_dp is not None:
            return domain_dp
        default = None if name in self.generators else self.defaults().get(name)
        return default if default is not None else self.get("generators", name)

    def get(self, kind: str, name: str) -> Any:
        table = getattr(self, kind)
        if name not in table:
            known = ", ".join(sorted(table)) or "none installed"
            raise PluginError(f"unknown {kind[:-1].replace('_', ' ')} {name!r}: expected one of {known}")
        return table[name].obj


def build_registry(pm: pluggy.PluginManager) -> Registry:
    """Call every registration hook, plugin by plugin, so each entry knows its plugin."""
    reg = Registry()
    for kind in Registry.KINDS:
        hook = getattr(pm.hook, f"register_{kind}")
        for impl in hook.get_hookimpls():
            plugin = impl.plugin_name
            impl.function(**{a: (lambda obj, _k=kind, _p=plugin: reg.add(_k, _p, obj)) for a in impl.argnames})
    return reg


