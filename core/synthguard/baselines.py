"""Peers' methods behind the generator contract, for plugins to register as baselines under their own name and domain.

SDV's GaussianCopulaSynthesizer for tables. (SDV PAR for sequences is in the ``synthguard-sequence`` library.)
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from pydantic import Field

from .contract import Generator, GeneratorConfig
from .data import Table


class GaussianCopulaConfig(GeneratorConfig):
    """SDV defaults; a copula has no epochs to train."""

    epochs: int = Field(1, ge=1, description="unused: a Gaussian copula has no epochs")
    default_distribution: str = Field("beta", description="SDV marginal family for numeric columns")


class GaussianCopulaGenerator(Generator):
    """SDV 2.x GaussianCopulaSynthesizer with SDV defaults.

    It cannot be saved: SDV persists synthesizers only with cloudpickle, and
    SynthGuard never loads pickles. Use it with ``generate`` (fit + sample).
    Not registered by the core: a plugin subclasses it with its name, domain and default dataset.
    """

    modality = "table"
    description = "SDV GaussianCopulaSynthesizer (baseline)"
    Config = GaussianCopulaConfig
    supports_save = False

    def _fit(self, data: Table, *, device, seed: int, progress: bool) -> dict[str, Any]:
        from sdv.metadata import Metadata
        from sdv.single_table import GaussianCopulaSynthesizer

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            metadata = Metadata.detect_from_dataframes({data.meta.name: data.frame})
            learn_every_column(metadata, data)
            self.synth_ = GaussianCopulaSynthesizer(metadata, default_distribution=self.config.default_distribution)
            self.synth_.fit({data.meta.name: data.frame})
        return {"sdv_device": "cpu"}

    def _sample(self, n: int, *, seed: int, conditions: dict[str, Any]) -> Table:
        np.random.seed(seed % 2**32)  # SDV samples from NumPy's global RNG
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = self.synth_.sample(n)
        frame = next(iter(out.values())) if isinstance(out, dict) else out
        return Table(frame, self.meta_)


_SDTYPE = {"numeric": "numerical", "categorical": "categorical", "boolean": "boolean", "datetime": "datetime"}


def learn_every_column(metadata, data: Table, *, keep_ordinal: bool = False) -> None:
    """Model every column from our own column kinds: SDV's detection marks columns such as US states, names or
    IDs as PII (or as keys) and then invents values for them (Faker) instead of learning them, which the
    category validators then reject row by row (lending_club's ``addr_state``: every row rejected).
    ``keep_ordinal`` leaves the numeric columns SDV detects as ``ordinal`` (small integer counts, learnt from the
    data as ordered categories) as SDV has them."""
    table = data.meta.name
    if metadata.tables[table].primary_key:
        metadata.tables[table].primary_key = None
    columns = metadata.tables[table].columns
    for col in data.meta.columns:
        sdtype = _SDTYPE.get(str(getattr(col.kind, "value", col.kind)))
        current = columns.get(col.name, {}).get("sdtype")
        if keep_ordinal and sdtype == "numerical" and current == "ordinal":
            continue
        if sdtype and current != sdtype:
            metadata.update_column(column_name=col.name, sdtype=sdtype, table_name=table)


__all__ = ["GaussianCopulaConfig", "GaussianCopulaGenerator", "learn_every_column"]
