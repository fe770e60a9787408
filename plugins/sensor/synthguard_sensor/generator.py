"""The sensor plugin's own generator: conditional autoregressive LSTM with a mixture output."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch
from pydantic import Field
from synthguard import ColumnKind, DataError, Generator, GeneratorConfig, SequenceSet
from synthguard.data import ChannelStats, SequenceMeta
from synthguard.models import torch_generator, train_loop

from .encoding import SequenceEncoder
from .model import SequenceMixtureLSTM

#: Quantiles kept per numeric static attribute (sampled by interpolation; no training row is stored).
STATIC_QUANTILES = 101


class SensorConfig(GeneratorConfig):
    """Defaults chosen on BasicMotions only (the other datasets are for checking, not tuning)."""

    epochs: int = Field(400, ge=1, description="maximum epochs; early stopping usually ends sooner")
    patience: int = Field(30, ge=1, description="epochs without validation improvement before stopping")
    batch_size: int = Field(32, ge=2)
    lr: float = Field(5e-3, gt=0)
    weight_decay: float = Field(1e-4, ge=0)
    hidden: int = Field(64, ge=8, description="LSTM width (64 trained 2.3x faster than 128 and scored as well on BasicMotions)")
    layers: int = Field(2, ge=1, le=6)
    components: int = Field(8, ge=1, le=64, description="mixture components per step")
    dropout: float = Field(0.1, ge=0, lt=1)
    val_fraction: float = Field(0.1, ge=0, lt=0.5, description="recordings held out for early stopping (0 = none)")
    temperature: float = Field(1.0, gt=0, description="sampling temperature (1 = the learned distribution)")


class SensorGenerator(Generator):
    """Multivariate sensor recordings, conditional on static attributes (activity, device...)."""

    name = "sensor"
    modality = "sequence"
    domain = "sensor"
    description = "conditional autoregressive LSTM with a Gaussian-mixture output per step (PyTorch)"
    Config = SensorConfig
    default_dataset = "basic_motions"
    supports_conditions = True
    supports_resume = True
    state_version = 1

    # ------------------------------------------------------------------ training

    def _build(self) -> SequenceMixtureLSTM:
        c, e = self.config, self.encoder_
        return SequenceMixtureLSTM(len(e.channels), [len(v) for v in e.categorical.values()], len(e.numeric),
                                  c.hidden, c.layers, c.components, c.dropout)

    def _fit(self, data: SequenceSet, *, device: torch.device, seed: int, progress: bool) -> dict[str, Any]:
        self.encoder_ = SequenceEncoder.fit(data)
        self.statics_ = _static_distribution(data.statics, self.encoder_)
        self.length_ = data.values.shape[1]
        self.model_ = self._build().to(device)
        return self._train(data, *self.encoder_.encode_statics(data.statics), device=device, seed=seed,
                           progress=progress, description=f"fitting {self.name} on {device}")

    def _resume(self, data: SequenceSet, *, device: torch.device, seed: int, progress: bool) -> dict[str, Any]:
        e = self.encoder_
        if list(data.channels) != e.channels:
            raise DataError(f"new recordings have channels {list(data.channels)}: expected the model's {e.channels}")
        if data.values.shape[1] != self.length_:
            raise DataError(f"new recordings have {data.values.shape[1]} steps: expected the model's {self.length_} "
                            "(cut them with the same window)")
        cats, nums = e.encode_statics(data.statics, strict=True)  # names unseen labels and missing static columns
        self.statics_ = _merge_static_distributions(self.statics_, _static_distribution(data.statics, e))
        self.model_ = self.model_.to(device)
        return self._train(data, cats, nums, device=device, seed=seed, progress=progress,
                           description=f"resuming {self.name} on {device}")

    def _train(self, data: SequenceSet, cats: np.ndarray, nums: np.ndarray, *, device, seed: int, progress: bool,
               description: str) -> dict[str, Any]:
        c = self.config
        x = torch.from_numpy(self.encoder_.scale(data.values)).to(device)
        cats, nums = torch.from_numpy(cats).to(device), torch.from_numpy(nums).to(device)
        gen = torch_generator(seed)
        perm = torch.randperm(len(x), generator=gen)
        n_val = int(round(len(x) * c.val_fraction)) if len(x) >= 20 else 0
        val, train = perm[:n_val].to(device), perm[n_val:].to(device)
        model = self.model_

        def loss(idx: torch.Tensor, _gen: torch.Generator) -> torch.Tensor:
            return model.loss(x[idx], cats[idx], nums[idx])

        history = train_loop(model, loss, train, val if n_val else None, epochs=c.epochs,
                             batch_size=min(c.batch_size, max(2, len(train) // 2)), lr=c.lr, weight_decay=c.weight_decay,
                             generator=gen, patience=c.patience if n_val else None, progress=progress,
                             description=description, val_repeats=1)  # the likelihood is exact: one pass suffices
        return {"epochs_run": history.epochs_run, "best_epoch": history.best_epoch, "history": history.to_json(),
                "parameters": sum(p.numel() for p in model.parameters())}

    def _resumed_meta(self, old: SequenceMeta, new: SequenceMeta) -> SequenceMeta:
        """Channel limits cover the old and the new recordings (the validators' learned ranges)."""
        merged = [ChannelStats(
            minimum=min(a.minimum, b.minimum), maximum=max(a.maximum, b.maximum), mean=a.mean, std=a.std,
            step_max=max(a.step_max, b.step_max), step_q99=max(a.step_q99, b.step_q99),
            spike_max=max(a.spike_max, b.spike_max), flat_run_max=max(a.flat_run_max, b.flat_run_max),
            missing=max(a.missing, b.missing)) for a, b in zip(old.channel_stats, new.channel_stats)]
        return old.model_copy(update={"channel_stats": merged})

    # ------------------------------------------------------------------ sampling

    def _sample(self, n: int, *, seed: int, conditions: dict[str, Any]) -> SequenceSet:
        rng = np.random.default_rng(seed)
        statics = self._draw_statics(n, conditions, rng)
        cats, nums = self.encoder_.encode_statics(statics)
        device = next(self.model_.parameters()).device
        gen = torch_generator(seed, device=device)
        chunks = []
        for start in range(0, n, 2048):
            sl = slice(start, start + 2048)
            z = self.model_.sample(torch.from_numpy(cats[sl]).to(device), torch.from_numpy(nums[sl]).to(device),
                                   self.length_, gen, self.config.temperature)
            chunks.append(z.cpu().numpy())
        values = self.encoder_.unscale(np.concatenate(chunks))
        return SequenceSet(values, self.encoder_.channels, statics if statics.shape[1] else None,
                           entity_ids=np.array([f"synthetic-{i}" for i in range(n)]),
                           sampling_period=self.meta_.sampling_period)

    def _draw_statics(self, n: int, conditions: dict[str, Any], rng: np.random.Generator) -> pd.DataFrame:
        """Static rows: categorical combinations by their training frequency, numbers from their quantiles."""
        dist = self.statics_
        combos = pd.DataFrame(dist["combinations"], columns=list(self.encoder_.categorical))
        weights = np.asarray(dist["counts"], dtype=float)
        for col, value in conditions.items():
            if col in self.encoder_.categorical:
                known = self.encoder_.categorical[col]
                if str(value) not in known:
                    raise DataError(f"cannot condition on {col}={value!r}: the model saw {known}")
                weights = weights * (combos[col] == str(value)).to_numpy()
        if len(combos.columns) and weights.sum() == 0:
            raise DataError(f"no training recording has {conditions}: expected a combination the model saw")
        frame = (combos.iloc[rng.choice(len(combos), size=n, p=weights / weights.sum())].reset_index(drop=True)
                 if len(combos.columns) else pd.DataFrame(index=range(n)))
        for col, quantiles in dist["numeric_quantiles"].items():
            frame[col] = np.interp(rng.random(n), np.linspace(0, 1, len(quantiles)), quantiles)
        for col, value in conditions.items():
            frame[col] = value
        return _restore_types(frame, self.meta_)

    # ------------------------------------------------------------------ bundle

    def _get_state(self):
        return dict(self.model_.state_dict()), {"encoder": self.encoder_.to_json(), "statics": self.statics_,
                                                "length": self.length_}

    def _set_state(self, tensors, state) -> None:
        self.encoder_ = SequenceEncoder.from_json(state["encoder"])
        self.statics_ = state["statics"]
        self.length_ = int(state["length"])
        self.model_ = self._build()
        self.model_.load_state_dict(tensors)
        self.model_.eval()


def _static_distribution(statics: pd.DataFrame, encoder: SequenceEncoder) -> dict[str, Any]:
    cat_cols = list(encoder.categorical)
    if cat_cols:
        counts = statics[cat_cols].astype(str).value_counts(sort=False).reset_index()
        combinations, freq = counts[cat_cols].values.tolist(), counts["count"].astype(int).tolist()
    else:
        combinations, freq = [[]], [len(statics)]
    quantiles = {col: np.nanquantile(pd.to_numeric(statics[col], errors="coerce"), np.linspace(0, 1, STATIC_QUANTILES)).tolist()
                 for col in encoder.numeric}
    return {"combinations": combinations, "counts": freq, "numeric_quantiles": quantiles}


def _merge_static_distributions(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    counts: dict[tuple, int] = {}
    for d in (old, new):
        for combo, c in zip(d["combinations"], d["counts"]):
            counts[tuple(combo)] = counts.get(tuple(combo), 0) + c
    return {"combinations": [list(k) for k in counts], "counts": list(counts.values()),
            "numeric_quantiles": old["numeric_quantiles"]}


def _restore_types(frame: pd.DataFrame, meta: SequenceMeta) -> pd.DataFrame:
    """Categories were coded as text: give numeric/boolean statics their real type back."""
    if meta.static is None:
        return frame
    for col in meta.static.columns:
        if col.name not in frame.columns:
            continue
        if col.kind is ColumnKind.numeric:
            frame[col.name] = pd.to_numeric(frame[col.name], errors="coerce")
            if col.integer and frame[col.name].notna().all():
                frame[col.name] = frame[col.name].round().astype(np.int64)
        elif col.kind is ColumnKind.boolean:
            frame[col.name] = frame[col.name].map(lambda v: str(v) == "True")
    return frame
