"""SynthGuard: privacy-gated synthetic data, extended by plugins.

Users::

    import synthguard as sg
    model = sg.fit("finance", data="loans.csv", seed=0)        # a fitted Generator
    model.save("model/")                                         # safetensors + JSON bundle
    result = sg.sample("model/", rows=1000, seed=0, out="out/")  # checked records + report
    result = sg.generate("finance", rows=1000)                   # pretrained bundle, no training

Plugins import only public names: the ones this module exports (the contract's classes from
:mod:`synthguard.contract`, the data containers and their helpers, the errors) and the ``__all__`` of
the modules in :data:`PUBLIC_MODULES` (building blocks a plugin may reuse). ``tests/test_public_api.py``
fails when a plugin under ``plugins/`` imports anything else.
"""

from __future__ import annotations

import gc
import os

# OpenMP threads that wait by sleeping, not spinning (unless the user chose): set before torch loads its OpenMP
# runtime. On a machine whose cores are busy with other work, spinning threads fight that work for the cores;
# measured 2026-12-04 on 2 cores with one other busy process: `generate imaging --rows 50` 136 s spinning, 32 s
# sleeping (benchmarks/README.md, "Imaging: sampler steps and busy cores").
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from pathlib import Path
from typing import Any, Mapping

# The cyclic garbage collector waits while this package imports torch, pandas, scipy and pydantic: each collection
# during the import walks everything imported so far and finds nothing to free (2026-12-06: `import synthguard.cli,
# monai.networks.nets` 2.2 s, 1.75 s with it paused throughout; benchmarks/README.md, "Imaging: what a command pays
# besides its work"). Restored below, as it was found.
_collecting = gc.isenabled()
gc.disable()
try:
    from .contract import (ROLES, Check, CheckContext, Dataset, Distance, Generator, GeneratorConfig, Metric,
                           MetricContext, PrivacyFilter, Validator, Verdict, Writer, pretrained_bundles,
                           sampling_setting)
    from .data import (ColumnKind, ColumnMeta, ImageSet, Records, SequenceSet, Table, TableMeta, entity_groups,
                       holdout_split, longest_runs, numeric_values, restore_types, text_values)
    from .engine import Engine, default_engine
    from .errors import BundleError, ConfigError, DataError, PluginError, ReleaseRefused, SamplingError, SynthGuardError
    from .hookspecs import hookimpl
    from .io.database import Database
    from .io.sampled import SampledSource
    from .pipeline import Result, RunOptions
    from .privacy import NearestRecords
    from .sequences import SequenceFormat, from_long_frame, to_long_frame
finally:
    if _collecting:
        gc.enable()
    del _collecting

__version__ = "0.2.0"

#: Modules besides this one whose ``__all__`` plugins may import from.
PUBLIC_MODULES = ("synthguard.contract", "synthguard.hookspecs", "synthguard.models", "synthguard.privacy",
                  "synthguard.io", "synthguard.quality.figures", "synthguard.testing", "synthguard.cli",
                  "synthguard.baselines", "synthguard.bundle", "synthguard.augment_tasks", "synthguard.explain",
                  "synthguard.distributed")


def fit(generator: str | Generator, data=None, **kwargs: Any) -> Generator:
    """Fit a generator by name on ``data`` (DataFrame, path, container) or ``dataset=NAME``. See :meth:`Engine.fit`."""
    return default_engine().fit(generator, data, **kwargs)


def load(path: str | Path) -> Generator:
    """Load a verified model bundle. See :meth:`Engine.load`."""
    return default_engine().load(path)


def sample(model: Generator | str | Path, rows: int, **kwargs: Any) -> Result:
    """Checked synthetic records from a fitted model or bundle path. See :meth:`Engine.sample`."""
    return default_engine().sample(model, rows, **kwargs)


def generate(generator: str, rows: int, **kwargs: Any) -> Result:
    """Fit (or use the pretrained bundle) and sample in one call. See :meth:`Engine.generate`."""
    return default_engine().generate(generator, rows, **kwargs)


def augment(generator: str | Path | Generator, **kwargs: Any) -> Result:
    """Fit (or load), deliver rebalanced synthetic records, measure real vs real + synthetic. See :meth:`Engine.augment`."""
    return default_engine().augment(generator, **kwargs)


def audit(real, synthetic, **kwargs: Any) -> dict[str, Any]:
    """Privacy audit of any synthetic dataset against its real training data. See :meth:`Engine.audit`."""
    return default_engine().audit(real, synthetic, **kwargs)


def evaluate(real, synthetic, **kwargs: Any) -> dict[str, Any]:
    """Quality metrics and privacy audit of any real/synthetic pair. See :meth:`Engine.evaluate`."""
    return default_engine().evaluate(real, synthetic, **kwargs)


def plugins() -> list[dict[str, Any]]:
    """Installed plugins and what each registered."""
    return default_engine().plugins()


def datasets() -> Mapping[str, Dataset]:
    """Registered reference datasets by name."""
    return {name: e.obj for name, e in default_engine().registry.datasets.items()}


__all__ = [
    # what users call
    "Engine", "fit", "load", "sample", "generate", "augment", "audit", "evaluate", "plugins", "datasets", "Result",
    "RunOptions", "Database", "SampledSource",
    # the plugin contract (synthguard.contract, synthguard.hookspecs)
    "hookimpl", "ROLES", "Generator", "GeneratorConfig", "Validator", "PrivacyFilter", "Check", "CheckContext",
    "Verdict", "Dataset", "Metric", "MetricContext", "Writer", "Distance", "pretrained_bundles", "sampling_setting",
    # data containers and their helpers
    "Records", "Table", "TableMeta", "ColumnMeta", "ColumnKind", "SequenceSet", "ImageSet", "NearestRecords",
    "SequenceFormat", "from_long_frame", "to_long_frame", "numeric_values", "text_values", "restore_types", "longest_runs",
    "holdout_split", "entity_groups",
    # errors: each is one `error:` line at the command line, exit code 2 (ReleaseRefused: 3)
    "SynthGuardError", "DataError", "ConfigError", "PluginError", "BundleError", "SamplingError", "ReleaseRefused",
    "__version__", "PUBLIC_MODULES",
]
