"""What plugins register besides generators and checks: datasets and metrics."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ClassVar

from .bundle import MANIFEST
from .checks import Scoped
from .data import Records


@dataclass(frozen=True)
class Dataset:
    """A real reference dataset a plugin ships for offline use.

    ``load()`` returns a container; it must not touch the network. ``pretrained``
    maps generator names to bundle directories trained on this dataset, so
    ``synthguard generate NAME`` needs no training. ``source`` and ``licence``
    are shown by ``synthguard datasets``: say where the data really comes from.
    ``quasi_identifiers`` are the columns an attacker could know about a person
    (age, sex, zip...): the k-anonymity gate uses them unless the user names others.
    """

    name: str
    modality: str
    load: Callable[[], Records]
    description: str
    source: str
    licence: str
    shape: tuple[int, ...] | None = None
    target: str | None = None
    quasi_identifiers: tuple[str, ...] = ()
    pretrained: dict[str, Path] = field(default_factory=dict)


def pretrained_bundles(folder: Path, dataset: str) -> dict[str, Path]:
    """``Dataset.pretrained`` for ``dataset``: the bundles in ``folder`` named ``<generator>--<dataset>``, by generator.

    A directory without a manifest is not a bundle and is left out (a plugin installed without its bundles
    trains instead); a missing ``folder`` gives an empty mapping.
    """
    if not folder.is_dir():
        return {}
    found = {}
    for bundle in sorted(folder.iterdir()):
        generator, _, name = bundle.name.partition("--")
        if name == dataset and (bundle / MANIFEST).is_file():
            found[generator] = bundle
    return found


@dataclass
class MetricContext:
    """What a metric may use besides the two record sets.

    ``holdout`` is real data the generator never saw (None when there is none),
    ``target`` the column a downstream model would predict (dataset default or
    the user's ``--target``), ``domain`` the generator's domain.
    """

    holdout: Records | None = None
    target: str | None = None
    domain: str | None = None


class Writer(Scoped):
    """Writes extra output files for the delivered records (see ``register_writers``).

    ``write(records, directory, context)`` writes under ``directory`` (a temporary
    directory that becomes ``--out`` only if the whole run succeeds) and returns the
    paths it wrote, relative to ``directory``. ``context`` is the run's
    :class:`~synthguard.CheckContext` (training metadata, domain, options).
    """

    name: ClassVar[str]
    description: ClassVar[str] = ""

    def write(self, records: Records, directory: Path, context: Any) -> list[str]:  # pragma: no cover - abstract
        raise NotImplementedError


class Metric(Scoped):
    """A fidelity/utility metric shown in the report.

    ``compute(real, synthetic, context)`` returns a dict of JSON-able values; ``real``
    is the training data. It runs only when the real data is at hand (``generate``,
    ``sample --reference``). A result may carry ``"figures"``: a list of plotly
    figure dicts (``{"title", "data", "layout"}``) that the HTML report draws.
    """

    name: ClassVar[str]
    description: ClassVar[str] = ""

    def compute(self, real: Records, synthetic: Records, context: MetricContext) -> dict[str, Any]:  # pragma: no cover
        raise NotImplementedError
