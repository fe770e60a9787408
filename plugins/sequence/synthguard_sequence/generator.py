"""Conditional sequence generators any sequence plugin can build on.

:class:`MixtureSequenceGenerator` trains :class:`SequenceMixtureLSTM` on a
:class:`~synthguard.SequenceSet` and samples from it, conditional on static
attributes; :class:`LatentSequenceGenerator` does the same with
:class:`SequenceLatentMixture`. Neither has a domain identity: a plugin subclasses
them with a name, domain, role and default dataset, and may add covariates known
in advance at every step (a traffic plugin's calendar and weather) by overriding
:meth:`_covariate_channels`, :meth:`_calendar_features` and :meth:`_pool_mask`;
they are inputs to the network, never generated. The sensor plugin uses them as they are.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch
from pydantic import Field, model_validator

from synthguard import DataError, Generator, GeneratorConfig, SequenceSet, restore_types, sampling_setting
from synthguard import entity_groups
from synthguard.distributed import DataParallel, fit_data_parallel, wanted
from synthguard.models import torch_generator, train_dp, train_loop, updates_per_epoch

from .encoding import SequenceEncoder
from .latent import SequenceLatentMixture
from .lstm import SequenceMixtureLSTM

#: Quantiles kept per numeric static attribute (sampled by interpolation; no training row is stored).
STATIC_QUANTILES = 101


class SequenceTrainingConfig(GeneratorConfig):
    """What every sequence model here shares: training, the mixture per step, sampling temperature."""

    epochs: int = Field(400, ge=1, description="maximum epochs; early stopping usually ends sooner")
    patience: int = Field(30, ge=1, description="epochs without validation improvement before stopping")
    patience_updates: int | None = Field(None, ge=1, description=(
        "patience counted in optimizer updates instead: stop after ceil(this / updates per epoch) epochs without "
        "improvement (an epoch of 493 recordings is 16 updates, of 58 it is 2); replaces `patience` when set, "
        "and a `patience` given without it replaces this"))
    batch_size: int = Field(32, ge=2)
    lr: float = Field(5e-3, gt=0)
    weight_decay: float = Field(1e-4, ge=0)
    components: int = Field(8, ge=1, le=64, description="mixture components per step")
    val_fraction: float = Field(0.1, ge=0, lt=0.5, description=(
        "recordings held out for early stopping (0 = none); windows of one recording stay on one side"))
    temperature: float = sampling_setting(1.0, gt=0, description="sampling temperature (1 = the learned distribution)")

    @model_validator(mode="before")
    @classmethod
    def _patience_given_in_epochs(cls, data: Any) -> Any:
        """``--set patience=20`` means 20 epochs, also where the default counts updates."""
        if isinstance(data, dict) and "patience" in data and "patience_updates" not in data:
            return {**data, "patience_updates": None}
        return data


class MixtureSequenceConfig(SequenceTrainingConfig):
    """Defaults chosen on the sensor plugin's BasicMotions only (other datasets are for checking, not tuning)."""

    hidden: int = Field(64, ge=8, le=2048, description=(
        "LSTM width (64 trained 2.3x faster than 128 and scored as well on BasicMotions)"))
    layers: int = Field(2, ge=1, le=12, description="LSTM layers")
    dropout: float = Field(0.1, ge=0, lt=1)
    workers: int = Field(1, ge=1, le=1024, description="training processes (torch.distributed data-parallel, same "
                         "global batch; --workers)")
    dp_epochs: int = Field(60, ge=1, description=(
        "epochs under --epsilon (DP-SGD: no validation split and no early stopping, which would spend budget "
        "off the ledger)"))


class LatentSequenceConfig(SequenceTrainingConfig):
    """The latent model's sizes (:class:`SequenceLatentMixture`); chosen on BasicMotions only.

    ``hidden=48, patience=20`` (was 64 and 30): over three fit seeds as good (discriminative 0.106 vs 0.114) in
    3.28 vs 3.69 s a fit (``benchmarks/experiments/sensor_configs.py --generator sensor-conv-ar``); 32 was worse (0.142).
    """

    patience: int = Field(20, ge=1, description="epochs without validation improvement before stopping")
    hidden: int = Field(48, ge=8, le=2048, description="width of the convolutions and of every step's state")
    latent: int = Field(16, ge=1, le=512, description="size of the latent vector each recording is drawn from")
    lags: int = Field(8, ge=1, le=256, description="previous readings each step's mixture sees")


class MixtureSequenceGenerator(Generator):
    """Sequences conditional on static attributes, and on covariates known at each step in subclasses.

    Extension points (all optional): :meth:`_covariate_channels` names channels
    that are inputs, not generated (weather); :meth:`_calendar_features` turns
    each record's start time into per-step features (hour, weekday, holiday);
    :meth:`_forward`/:meth:`_inverse` transform the generated channels (log
    counts); :meth:`_pool_mask` lets conditions pick covariate contexts. When a
    subclass uses covariates or a calendar, sampling draws the covariate paths,
    start times and statics of training records ("context": public inputs such
    as weather and dates, never the generated channels) unless the caller gives them.
    """

    modality = "sequence"
    Config = MixtureSequenceConfig
    smoke_config = {"epochs": 1, "hidden": 8, "layers": 1, "components": 2}
    supports_conditions = True
    supports_resume = True
    state_version = 1
    cpu_threads = 1  # an LSTM's steps are tiny kernels: a second CPU thread made fits 2.4-2.6x slower (torch_threads)
    #: validation passes averaged per epoch: the LSTM's likelihood is exact, one suffices
    val_repeats = 1
    #: extra :func:`train_loop` options (none here, so bundles trained before they existed still reproduce)
    train_options: dict[str, Any] = {}

    # ------------------------------------------------------------------ extension points

    def _covariate_channels(self, data: SequenceSet) -> list[str]:
        """Channels the network reads at each step instead of generating them."""
        return []

    def _calendar_features(self, start_times: np.ndarray | None, length: int) -> np.ndarray | None:
        """(N, length, F) features of each step's time, or None (no calendar)."""
        return None

    def _forward(self, values: np.ndarray) -> np.ndarray:
        """Generated channels -> the space the network models (identity here)."""
        return values

    def _inverse(self, values: np.ndarray) -> np.ndarray:
        return values

    def _pool_mask(self, conditions: dict[str, Any]) -> tuple[np.ndarray | None, dict[str, Any]]:
        """Context records allowed by ``conditions`` (None = all) and the conditions left for the statics."""
        return None, conditions

    # ------------------------------------------------------------------ training

    def _build(self) -> SequenceMixtureLSTM:
        c, e = self.config, self.encoder_
        return SequenceMixtureLSTM(len(e.channels), [len(v) for v in e.categorical.values()], len(e.numeric),
                                   c.hidden, c.layers, c.components, c.dropout, n_exogenous=self.n_exogenous_)

    def _split(self, data: SequenceSet) -> tuple[SequenceSet, np.ndarray | None]:
        """The generated channels (transformed) as a SequenceSet, and the covariate readings."""
        covariates = self.covariates_
        targets = [c for c in data.channels if c not in covariates]
        if not targets:
            raise DataError(f"every channel {data.channels} is a covariate: expected at least one channel to generate")
        idx = [data.channels.index(c) for c in targets]
        cov = data.values[..., [data.channels.index(c) for c in covariates]] if covariates else None
        return SequenceSet(self._forward(data.values[..., idx]), targets, data.statics), cov

    def _features(self, covariates: np.ndarray | None, start_times: np.ndarray | None) -> np.ndarray | None:
        parts = []
        if covariates is not None:
            parts.append(np.nan_to_num((covariates - self.cov_mean_) / self.cov_std_))
        calendar = self._calendar_features(start_times, self.length_)
        if calendar is not None:
            parts.append(calendar)
        return np.concatenate(parts, axis=-1).astype(np.float32) if parts else None

    def _fit(self, data: SequenceSet, *, device: torch.device, seed: int, progress: bool) -> dict[str, Any]:
        if wanted(getattr(self.config, "workers", None)):  # K processes train; rank 0's weights come back here
            return fit_data_parallel(self, data, device=device, seed=seed, progress=progress,
                                     workers=self.config.workers, dp=self.config.dp is not None)
        self.covariates_ = list(self._covariate_channels(data))
        self.channels_ = list(data.channels)
        self.length_ = data.values.shape[1]
        targets, cov = self._split(data)
        self.encoder_ = SequenceEncoder.fit(targets)
        self.statics_ = _static_distribution(data.statics, self.encoder_)
        if cov is not None:
            self.cov_mean_ = np.nanmean(cov, axis=(0, 1))
            sd = np.nanstd(cov, axis=(0, 1))
            self.cov_std_ = np.where(sd > 0, sd, 1.0)
        exo = self._features(cov, data.start_times)
        self.n_exogenous_ = 0 if exo is None else exo.shape[-1]
        self.pool_ = _Pool.of(data, cov) if exo is not None else None
        self.model_ = self._build().to(device)
        self._unit_name = data.entity_name  # what DP-SGD's ledger calls the unit (not saved: the ledger keeps it)
        return self._train(targets, *self.encoder_.encode_statics(data.statics), exo, device=device, seed=seed,
                           progress=progress, description=f"fitting {self.name} on {device}",
                           groups=entity_groups(data))

    def _resume(self, data: SequenceSet, *, device: torch.device, seed: int, progress: bool) -> dict[str, Any]:
        if wanted(getattr(self.config, "workers", None)):
            return fit_data_parallel(self, data, device=device, seed=seed, progress=progress,
                                     workers=self.config.workers, method="_resume")
        e = self.encoder_
        if list(data.channels) != self.channels_:
            raise DataError(f"new recordings have channels {list(data.channels)}: expected the model's {self.channels_}")
        if data.values.shape[1] != self.length_:
            raise DataError(f"new recordings have {data.values.shape[1]} steps: expected the model's {self.length_} "
                            "(cut them with the same window)")
        cats, nums = e.encode_statics(data.statics, strict=True)  # names unseen labels and missing static columns
        targets, cov = self._split(data)
        exo = self._features(cov, data.start_times)
        if (0 if exo is None else exo.shape[-1]) != self.n_exogenous_:
            raise DataError("new recordings lack the start times or covariates the model was trained with")
        self.statics_ = _merge_static_distributions(self.statics_, _static_distribution(data.statics, e))
        if self.pool_ is not None:
            self.pool_ = _Pool.concat(self.pool_, _Pool.of(data, cov))
        self.model_ = self.model_.to(device)
        return self._train(targets, cats, nums, exo, device=device, seed=seed, progress=progress,
                           description=f"resuming {self.name} on {device}", groups=entity_groups(data))

    def _train(self, data: SequenceSet, cats: np.ndarray, nums: np.ndarray, exo: np.ndarray | None, *, device,
               seed: int, progress: bool, description: str, groups: np.ndarray | None = None) -> dict[str, Any]:
        c = self.config
        x = torch.from_numpy(self.encoder_.scale(data.values)).to(device)
        cats, nums = torch.from_numpy(cats).to(device), torch.from_numpy(nums).to(device)
        ex = None if exo is None else torch.from_numpy(exo).to(device)
        gen = torch_generator(seed)
        val, train = validation_split(len(x), c.val_fraction, gen, groups)
        n_val = len(val)
        val, train = val.to(device), train.to(device)
        model = self.model_

        def loss(idx: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
            return model.loss(x[idx], cats[idx], nums[idx], None if ex is None else ex[idx], generator=gen)

        def shard_loss(idx: torch.Tensor, gen: torch.Generator, shard) -> torch.Tensor:
            return self._shard_loss(model, x, cats, nums, ex, idx, gen, shard)

        if c.dp is not None:
            return self._train_private(x, cats, nums, ex, groups, device=device, seed=seed, gen=gen, progress=progress)
        if torch.distributed.is_initialized() and hasattr(c, "workers"):  # one rank of K
            loss = DataParallel(model, shard_loss, device)

        batch = min(c.batch_size, max(2, len(train) // 2))
        updates = updates_per_epoch(len(train), batch)
        patience = c.patience if c.patience_updates is None else -(-c.patience_updates // updates)
        history = train_loop(model, loss, train, val if n_val else None, epochs=c.epochs, batch_size=batch, lr=c.lr,
                             weight_decay=c.weight_decay, generator=gen, patience=patience if n_val else None,
                             progress=progress, description=description, val_repeats=self.val_repeats,
                             **self.train_options)
        return {"epochs_run": history.epochs_run, "best_epoch": history.best_epoch, "history": history.to_json(),
                "updates_per_epoch": updates, "patience_epochs": patience if n_val else None,
                "parameters": sum(p.numel() for p in model.parameters())}

    @staticmethod
    def _shard_loss(model, x: torch.Tensor, cats: torch.Tensor, nums: torch.Tensor, ex: torch.Tensor | None,
                    idx: torch.Tensor, gen: torch.Generator, shard) -> torch.Tensor:
        """One rank's part of the global batch ``idx`` (:class:`synthguard.distributed.DataParallel`): its rows
        over the global count (the LSTM's loss draws nothing, so its shards need no more)."""
        lo, hi = shard.bounds(len(idx))
        rows = idx[lo:hi] if hi > lo else idx[:1]  # no rows here: one row's loss times 0 keeps DDP's hooks firing
        part = model.loss(x[rows], cats[rows], nums[rows], None if ex is None else ex[rows], generator=gen,
                          count=torch.isfinite(x[idx]).sum().clamp(min=1))
        return part * (shard.world if hi > lo else 0.0)

    def _train_private(self, x: torch.Tensor, cats: torch.Tensor, nums: torch.Tensor, ex: torch.Tensor | None,
                       groups: np.ndarray | None, *, device, seed: int, gen: torch.Generator,
                       progress: bool) -> dict[str, Any]:
        """DP-SGD with the entity as the unit: each step samples entities (Poisson), takes one of each sampled
        entity's records (windows), drawn at random, and clips each entity's gradient — so one entity, however
        many windows it has, changes at most one clipped term of any step, and ε is per entity."""
        c, unit_name = self.config, self._unit_name
        if groups is None:
            table = torch.arange(len(x)).unsqueeze(1)  # (E, 1): every record its own entity
        else:
            members = unit_members(groups)
            width = max(len(m) for m in members)
            table = torch.full((len(members), width), -1, dtype=torch.long)
            for i, m in enumerate(members):
                table[i, :len(m)] = torch.from_numpy(m)

        def entity_loss(module, rows: torch.Tensor, g: torch.Generator) -> torch.Tensor:
            n = (rows >= 0).sum(1)  # the sampled entities' record counts; each gives one record, drawn at random
            choice = (torch.rand(len(rows), generator=g, device=g.device).to(rows.device) * n).long().clamp(max=n - 1)
            idx = rows.gather(1, choice[:, None]).squeeze(1)
            return module.loss(x[idx], cats[idx], nums[idx], None if ex is None else ex[idx], per_record=True)

        model = self.model_
        # a bare parameter, used outside any layer: Opacus cannot compute its per-entity gradients, so it stays at
        # its initial zeros (the static embeddings' and the input layer's biases carry the same freedom)
        model.cond_bias.requires_grad_(False)
        try:
            history, ledger = train_dp(
                model, entity_loss, table.to(device), settings=c.dp, epochs=c.dp_epochs,
                batch_size=min(c.batch_size, max(2, len(table) // 2)), lr=c.lr, generator=gen, seed=seed,
                weight_decay=c.weight_decay, progress=progress,
                unit=(f"{unit_name} ({len(table)} {unit_name}s of up to {table.shape[1]} records; each step uses one "
                      f"record of each sampled {unit_name}, drawn at random, and clips per {unit_name})"
                      if table.shape[1] > 1 else f"{unit_name} ({len(table)} {unit_name}s, one record each)"))
        finally:
            model.cond_bias.requires_grad_(True)
        non_private = [
            "preprocessing: each channel's mean, spread and missing share (the model's scaling), learned without noise",
            "static attributes: the frequency of each combination of categorical statics and 101 quantiles of each "
            "numeric static, learned without noise",
            "the validators' channel ranges (minimum, maximum, largest step) in the bundle's metadata",
        ]
        return {"epochs_run": history.epochs_run, "best_epoch": history.epochs_run, "history": None,
                "parameters": sum(p.numel() for p in model.parameters()),
                "privacy": {"dp": ledger, "non_private": non_private}}

    def _resumed_meta(self, old, new):
        """Channel limits cover the old and the new recordings (the validators' learned ranges); the mean and
        spread stay the old ones (the model's scaling)."""
        merged = [a.model_copy(update=dict(
            minimum=min(a.minimum, b.minimum), maximum=max(a.maximum, b.maximum),
            step_max=max(a.step_max, b.step_max), step_q99=max(a.step_q99, b.step_q99),
            spike_max=max(a.spike_max, b.spike_max), flat_run_max=max(a.flat_run_max, b.flat_run_max),
            missing=max(a.missing, b.missing))) for a, b in zip(old.channel_stats, new.channel_stats)]
        return old.model_copy(update={"channel_stats": merged})

    # ------------------------------------------------------------------ sampling

    def _sample(self, n: int, *, seed: int, conditions: dict[str, Any]) -> SequenceSet:
        rng = np.random.default_rng(seed)
        start_times = cov = None
        if self.pool_ is not None:
            statics, cov, start_times = self._draw_context(n, conditions, rng)
        else:
            statics = self._draw_statics(n, conditions, rng)
        cats, nums = self.encoder_.encode_statics(statics)
        exo = self._features(cov, start_times)
        device = next(self.model_.parameters()).device
        gen = torch_generator(seed, device=device)
        chunks = []
        for start in range(0, n, 2048):
            sl = slice(start, start + 2048)
            z = self.model_.sample(torch.from_numpy(cats[sl]).to(device), torch.from_numpy(nums[sl]).to(device),
                                   self.length_, gen, self.config.temperature,
                                   exo=None if exo is None else torch.from_numpy(exo[sl]).to(device))
            chunks.append(z.cpu().numpy())
        generated = self._inverse(self.encoder_.unscale(np.concatenate(chunks)))
        values = np.empty((n, self.length_, len(self.channels_)))
        for i, name in enumerate(self.encoder_.channels):
            values[..., self.channels_.index(name)] = generated[..., i]
        for i, name in enumerate(self.covariates_):
            values[..., self.channels_.index(name)] = cov[..., i]
        return SequenceSet(values, self.channels_, statics if statics.shape[1] else None,
                           entity_ids=np.array([f"synthetic-{i}" for i in range(n)]),
                           sampling_period=self.meta_.sampling_period, start_times=start_times)

    def _draw_context(self, n: int, conditions: dict[str, Any], rng: np.random.Generator):
        """Statics, covariate paths and start times of training records allowed by ``conditions``."""
        pool = self.pool_
        allowed, rest = self._pool_mask(dict(conditions))
        allowed = np.ones(len(pool), dtype=bool) if allowed is None else allowed
        for col, value in rest.items():
            if col not in pool.statics.columns:
                raise DataError(f"cannot condition on {col!r}: expected a static attribute {list(pool.statics.columns)} "
                                "or a calendar condition")
            allowed &= (pool.statics[col].astype(str) == str(value)).to_numpy()
        if not allowed.any():
            raise DataError(f"no training record matches {conditions}: expected conditions the training data has")
        rows = rng.choice(np.flatnonzero(allowed), size=n)
        statics = _restore_types(pool.statics.iloc[rows].reset_index(drop=True), self.meta_)
        cov = pool.covariates[rows] if pool.covariates is not None else None
        starts = pool.start_times[rows] if pool.start_times is not None else None
        return statics, cov, starts

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

    # ------------------------------------------------------------------ likelihood (synthguard explain)

    @property
    def supports_likelihood(self) -> bool:
        """The LSTM's mixture is an exact density (one teacher-forced pass); the latent model's is not offered."""
        return isinstance(getattr(self, "model_", None), SequenceMixtureLSTM)

    def step_log_likelihood(self, records: SequenceSet) -> np.ndarray:
        """(N, T) log p(x_t | earlier steps, statics, covariates), nats in the modelled scale (see .likelihood)."""
        from .likelihood import step_log_likelihood

        return step_log_likelihood(self, records)

    def log_likelihood(self, records: SequenceSet) -> np.ndarray:
        """(N,) log p(record): the sum of :meth:`step_log_likelihood` over its steps."""
        from .likelihood import log_likelihood

        return log_likelihood(self, records)

    # ------------------------------------------------------------------ bundle

    def _get_state(self):
        tensors = dict(self.model_.state_dict())
        state = {"encoder": self.encoder_.to_json(), "statics": self.statics_, "length": self.length_}
        if self.covariates_ or self.n_exogenous_ or self.channels_ != self.encoder_.channels:
            state.update(channels=self.channels_, covariates=self.covariates_, n_exogenous=self.n_exogenous_)
        if self.covariates_:
            state.update(cov_mean=self.cov_mean_.tolist(), cov_std=self.cov_std_.tolist())
        if self.pool_ is not None:
            tensors.update(self.pool_.tensors())
            state["pool_statics"] = self.pool_.statics.astype(object).where(self.pool_.statics.notna(), None).to_dict("list")
        return tensors, state

    def _set_state(self, tensors, state) -> None:
        self.encoder_ = SequenceEncoder.from_json(state["encoder"])
        self.statics_ = state["statics"]
        self.length_ = int(state["length"])
        self.channels_ = list(state.get("channels", self.encoder_.channels))
        self.covariates_ = list(state.get("covariates", []))
        self.n_exogenous_ = int(state.get("n_exogenous", 0))
        if self.covariates_:
            self.cov_mean_, self.cov_std_ = np.asarray(state["cov_mean"]), np.asarray(state["cov_std"])
        self.pool_ = _Pool.from_tensors(tensors, state.get("pool_statics")) if "pool_statics" in state else None
        self.model_ = self._build()
        self.model_.load_state_dict({k: v for k, v in tensors.items() if not k.startswith(_Pool.PREFIX)})
        self.model_.eval()


def unit_members(groups: np.ndarray) -> list[np.ndarray]:
    """The positions of each unit's records, units in sorted order of their ids."""
    _, inverse = np.unique(np.asarray(groups), return_inverse=True)
    return [np.flatnonzero(inverse == g) for g in range(int(inverse.max()) + 1)]


def validation_split(n: int, fraction: float, generator: torch.Generator,
                     groups: np.ndarray | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Positions held out for early stopping, and those trained on: whole units (recordings) when ``groups`` names them.

    Windows of one recording on both sides would reward the model for memorising that recording; so units
    are drawn in a random order until ``fraction`` of the records is held out (none below 20 records, or when
    that would leave no unit to train on). With one record per unit this is the plain random split, draw for draw.
    """
    n_val = int(round(n * fraction)) if n >= 20 else 0
    if groups is None:
        perm = torch.randperm(n, generator=generator)
        return perm[:n_val], perm[n_val:]
    units = unit_members(groups)
    members = [units[g] for g in torch.randperm(len(units), generator=generator).numpy()]
    sizes = np.cumsum([len(m) for m in members])
    k = 0 if n_val == 0 else int(np.searchsorted(sizes, n_val)) + 1  # units until n_val records are held out
    k = k if k < len(members) else 0  # never hold out every unit
    val = np.concatenate(members[:k]) if k else np.zeros(0, dtype=int)
    return torch.from_numpy(val.astype(np.int64)), torch.from_numpy(np.concatenate(members[k:]).astype(np.int64))


class LatentSequenceGenerator(MixtureSequenceGenerator):
    """The same generator with :class:`SequenceLatentMixture` instead of the LSTM: every step trains in parallel.

    Everything around the network (statics, covariates, conditions, resume, bundles) is
    :class:`MixtureSequenceGenerator`'s; the model is built for the training windows' length.
    """

    Config = LatentSequenceConfig
    smoke_config = {"epochs": 1, "hidden": 8, "latent": 2, "components": 2}
    #: the loss is an evidence bound with a random latent: average a few draws (same draws every epoch)
    val_repeats = 4
    #: fused AdamW, even batches, the validation draws in one pass: 35.2 -> 28.5 ms an epoch on BasicMotions
    #: (``benchmarks/experiments/sensor_vae_epoch_cost.py``, 60 epochs, 2 cores)
    train_options = {"fused": True, "even_batches": True, "val_one_pass": True}

    def _build(self) -> SequenceLatentMixture:
        c, e = self.config, self.encoder_
        return SequenceLatentMixture(len(e.channels), [len(v) for v in e.categorical.values()], len(e.numeric),
                                     self.length_, c.hidden, c.latent, c.lags, c.components,
                                     n_exogenous=self.n_exogenous_)


class _Pool:
    """Context of the training records: statics, covariate paths, start times (public inputs, not outputs)."""

    PREFIX = "context."

    def __init__(self, statics: pd.DataFrame, covariates: np.ndarray | None, start_times: np.ndarray | None):
        self.statics, self.covariates, self.start_times = statics.reset_index(drop=True), covariates, start_times

    def __len__(self) -> int:
        return len(self.statics)

    @classmethod
    def of(cls, data: SequenceSet, covariates: np.ndarray | None) -> "_Pool":
        """Records with complete covariates (a gap in the weather would be copied into the output)."""
        keep = np.ones(len(data), dtype=bool)
        if covariates is not None:
            complete = np.isfinite(covariates).all(axis=(1, 2))
            keep = complete if complete.any() else keep
        return cls(data.statics[keep], None if covariates is None else covariates[keep],
                   None if data.start_times is None else data.start_times[keep])

    @classmethod
    def concat(cls, a: "_Pool", b: "_Pool") -> "_Pool":
        join = lambda x, y: None if x is None or y is None else np.concatenate([x, y])  # noqa: E731
        return cls(pd.concat([a.statics, b.statics], ignore_index=True), join(a.covariates, b.covariates),
                   join(a.start_times, b.start_times))

    def tensors(self) -> dict[str, torch.Tensor]:
        out = {}
        if self.covariates is not None:
            out[self.PREFIX + "covariates"] = torch.from_numpy(np.ascontiguousarray(self.covariates, dtype=np.float64))
        if self.start_times is not None:
            out[self.PREFIX + "start_times"] = torch.from_numpy(self.start_times.astype("datetime64[ns]").view(np.int64).copy())
        return out

    @classmethod
    def from_tensors(cls, tensors: dict[str, torch.Tensor], statics: dict[str, list] | None) -> "_Pool":
        cov = tensors.get(cls.PREFIX + "covariates")
        starts = tensors.get(cls.PREFIX + "start_times")
        frame = pd.DataFrame(statics or {})
        n = len(cov) if cov is not None else len(starts)
        if frame.empty:
            frame = pd.DataFrame(index=range(n))
        return cls(frame, None if cov is None else cov.numpy(),
                   None if starts is None else starts.numpy().view("datetime64[ns]"))


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


def _restore_types(frame: pd.DataFrame, meta) -> pd.DataFrame:
    """Categories were coded as text: give numeric/boolean statics their real type back."""
    return frame if meta.static is None else restore_types(frame, meta.static)
