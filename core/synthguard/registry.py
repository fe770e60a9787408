"""What plugins register besides generators and checks: datasets and metrics."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ClassVar

from .checks import Scoped
from .data import Records


@dataclass(frozen=True)
class Dataset:
    """A real reference dataset a plugin ships for offline use.

    ``load()`` returns a container; it must not touch the network. ``pretrained``
    maps generator names to bundle directories trained on this dataset, so
    ``synthguard generate NAME`` needs no training. ``source`` and ``licence``
    are shown by ``synthguard datasets``: say where the data really comes from.
    """

    name: str
    modality: str
    load: Callable[[], Records]
    description: str
    source: str
    licence: str
    shape: tuple[int, ...] | None = None
    target: str | None = None
    pretrained: dict[str, Path] = field(default_factory=dict)


class Metric(Scoped):
    """A fidelity/utility metric shown in the report.

    ``compute(real, synthetic)`` returns a flat dict of JSON-able numbers. It runs
    only when the real data is at hand (``generate``, ``evaluate``).
    """

    name: ClassVar[str]
    description: ClassVar[str] = ""

    def compute(self, real: Records, synthetic: Records) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError
