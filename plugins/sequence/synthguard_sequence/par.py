"""SDV's PARSynthesizer behind the generator contract: the sequence baseline plugins subclass and register under their name."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field
from synthguard import Generator, GeneratorConfig, SequenceSet, to_long_frame

ENTITY, STEP = "__entity__", "__step__"


class PARConfig(GeneratorConfig):
    epochs: int = Field(128, ge=1, description="PAR training epochs (SDV's default)")


class PARGenerator(Generator):
    """SDV 2.x PARSynthesizer (probabilistic autoregressive model) with SDV defaults.

    Statics become PAR context columns; every generated sequence is trimmed or
    padded (with missing readings) to the training length. It cannot be saved:
    SDV persists synthesizers only with cloudpickle, and SynthGuard never loads
    pickles. Use it with ``generate``. No domain identity: a plugin subclasses it with its name, domain,
    role and default dataset (``sensor-par``, ``traffic-par``).
    """

    modality = "sequence"
    description = "SDV PARSynthesizer (baseline)"
    Config = PARConfig
    smoke_config = {"epochs": 1}
    supports_save = False
    cpu_threads = 1  # PAR's LSTM, like ours, is slower on a second CPU thread: the same setting, a fair comparison

    def _fit(self, data: SequenceSet, *, device, seed: int, progress: bool) -> dict[str, Any]:
        from sdv.metadata import Metadata
        from sdv.sequential import PARSynthesizer

        steps_only = SequenceSet(data.values, data.channels, data.statics, data.entity_ids)  # step numbers, not timestamps
        frame = to_long_frame(steps_only, entity=ENTITY, time=STEP)
        frame[ENTITY] = frame[ENTITY].astype(str)
        self.context_ = list(data.statics.columns)
        self.length_ = data.values.shape[1]
        self.channels_ = list(data.channels)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            metadata = Metadata.detect_from_dataframes({"readings": frame})
            metadata.update_column(ENTITY, sdtype="id", table_name="readings")
            metadata.set_sequence_key(ENTITY, table_name="readings")
            metadata.update_column(STEP, sdtype="numerical", table_name="readings")
            metadata.set_sequence_index(STEP, table_name="readings")
            for ch in self.channels_:
                metadata.update_column(ch, sdtype="numerical", table_name="readings")
            self.synth_ = PARSynthesizer(metadata, context_columns=self.context_, epochs=self.config.epochs,
                                         verbose=progress, cuda=device.type == "cuda")
            self.synth_.fit({"readings": frame})
        return {"sdv_device": str(device)}

    def _sample(self, n: int, *, seed: int, conditions: dict[str, Any]) -> SequenceSet:
        import torch

        np.random.seed(seed % 2**32)  # SDV/PAR sample from the global RNGs
        torch.manual_seed(seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = self.synth_.sample_sequences(num_sequences=n, sequence_length=self.length_)
        frame = next(iter(out.values())) if isinstance(out, dict) else out
        values = np.full((n, self.length_, len(self.channels_)), np.nan)
        statics = []
        for i, (_, part) in enumerate(frame.groupby(ENTITY, sort=False)):
            if i >= n:
                break
            part = part.sort_values(STEP) if STEP in part else part
            readings = part[self.channels_].to_numpy(dtype=float)[: self.length_]
            values[i, : len(readings)] = readings
            statics.append(part[self.context_].iloc[0] if self.context_ else pd.Series(dtype=object))
        static_frame = pd.DataFrame(statics).reset_index(drop=True) if self.context_ else None
        return SequenceSet(values, self.channels_, static_frame, entity_ids=np.array([f"par-{i}" for i in range(n)]),
                           sampling_period=self.meta_.sampling_period)
