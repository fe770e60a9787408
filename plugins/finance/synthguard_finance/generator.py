"""The finance plugin's own generators: column tokens + an any-order transformer, or a one-pass VAE."""

from __future__ import annotations

import copy
import warnings
from typing import Any

import numpy as np
import pandas as pd
import torch
from pydantic import Field
from synthguard import ConfigError, DataError, Generator, GeneratorConfig, Table, sampling_setting
from synthguard.distributed import DataParallel, fit_data_parallel, wanted
from synthguard.models import torch_generator, train_dp, train_loop, updates_per_epoch, without_average
from synthguard.privacy import NearestRecords, TableDistance, nearer_share

from .encoding import TableEncoder
from .model import ORDER_ROWS, AnyOrderTabularTransformer
from .resume import check_schema, in_vocabulary
from .vae import OnePassTabularVAE

#: the outcome column's loss weight: 1, every column alike. 10 ties the outcome to its row more tightly (german_credit
#: TSTR / TRTR 0.92 -> 0.96) and its longer fits let the membership attacks read more (docs/finance_fidelity.md §9)
TARGET_WEIGHT = 1.0


def switched_off(value: Any) -> Any:
    """None for an option turned off ('none', 'null' or empty text, as --set writes it), else the value."""
    return None if isinstance(value, str) and value.strip().lower() in ("", "none", "null") else value


#: finance-vae's memorization check needs this many training rows to compare sampled rows with.
MIN_CHECK_ROWS = 20
#: ...and ranks numbers on 21 interpolated training quantiles (every 5%), so that a training row's distance to
#: the others reads like a new row's (on the step ECDF a new row on a continuous column reads 0.76, not 0.5)
CHECK_QUANTILES = 21


class TokenModelConfig(GeneratorConfig):
    """What both finance models share: the column tokens and the training loop."""

    epochs: int = Field(300, ge=1, description="maximum epochs; early stopping usually ends sooner")
    batch_size: int = Field(256, ge=8)
    lr: float = Field(2e-3, gt=0)
    weight_decay: float = Field(1e-4, ge=0)
    n_layers: int = Field(2, ge=1, le=12)
    dropout: float = Field(0.1, ge=0, lt=1)
    max_bins: int = Field(64, ge=2, le=1024, description="quantile bins per continuous column")
    val_fraction: float = Field(0.1, ge=0, lt=0.5, description="held out for early stopping (0 = none)")
    temperature: float = sampling_setting(1.0, gt=0, description="sampling temperature (1 = the learned distribution)")


class FinanceConfig(TokenModelConfig):
    """Defaults tuned on nothing but sense: small model, early stopping on a 10% validation split."""

    patience: int = Field(50, ge=1, description="epochs without validation improvement before stopping")
    patience_steps: int = Field(600, ge=0, description="...and at least this many optimizer steps: a small table's "
                                "epoch is a handful of steps, and its noisy validation loss stalls long before "
                                "the model has learned the columns' dependence (german_credit: 50 epochs = 250 steps)")
    d_model: int = Field(64, ge=8, le=2048)
    n_heads: int = Field(4, ge=1, le=64)
    ordinal_basis: int = Field(16, ge=0, le=64, description="smooth functions of a numeric token's place in its "
                               "column's order shared by neighbouring bins (0 = every token on its own)")
    workers: int = Field(1, ge=1, le=1024, description="training processes (torch.distributed data-parallel, same "
                         "global batch; --workers)")
    order_rows: int = sampling_setting(ORDER_ROWS, ge=1, description="rows that share one random column order when "
                                       "sampling (one order per 4,096-row chunk made a small output inherit that "
                                       "order's bias)")
    target: str | None = Field(None, description="the outcome column target_weight weighs (with a weight, generate "
                               "and fit set it from --target or the reference dataset's declared outcome)")
    target_weight: float = Field(TARGET_WEIGHT, ge=1, le=100, description="the outcome column's cells weigh this many "
                                 "times the others' in the training loss (early stopping's validation loss weighs "
                                 "every column alike); 10 gives downstream models more (TSTR) and the membership "
                                 "attacks too (docs/finance_fidelity.md §9)")
    ema: float = Field(0.0, ge=0, lt=1, description=(
        "decay of a moving average of the weights that validates, is kept at the best epoch and samples (0: off, the "
        "trained weights). 0.999 lifts delivered quality by 0.012 [0.009, 0.015] (29 paired fits), but its "
        "5,000-row outputs were refused 7 times in 16 against 3, worst AUC +0.009 [0.001, 0.017] "
        "(docs/finance_fidelity.md §10)"))


class FinanceGenerator(Generator):
    """Mixed-type tables (numeric, categorical, boolean, datetime, missing values) with exact conditioning."""

    name = "finance"
    role = "default"
    smoke_config = {"epochs": 1, "d_model": 16, "n_layers": 1, "n_heads": 2}
    modality = "table"
    domain = "finance"
    description = "any-order autoregressive transformer over column tokens (PyTorch)"
    Config = FinanceConfig
    default_dataset = "german_credit"
    supports_conditions = True
    supports_screening = True  # draws the k-anonymity filter's quasi-identifiers first (synthguard.screen)
    supports_dp = True
    supports_resume = True  # fit --resume BUNDLE: fine-tune on new rows of the same table (.resume)
    state_version = 2  # 2: column positions are a module (col_emb.weight), for DP-SGD
    # cpu_threads stays torch's: its transformer fitted credit_data 1.2x faster on two threads than on one (2026-12-06)

    @classmethod
    def public_config(cls, config, *, target=None, dataset=None) -> dict[str, Any]:
        """The user's config; with a ``target_weight`` other than 1, plus the run's outcome column as ``target``
        (the user's --target, else the reference dataset's declared outcome) unless the user set it. At weight 1
        nothing is added: the config stays the defaults a pretrained bundle was trained with."""
        out = dict(config)
        if "target" not in cls.Config.model_fields:  # finance-vae: no outcome weight
            return out
        if "target" in out:  # --set target=none
            out["target"] = switched_off(out["target"])
        weighted = float(out.get("target_weight", TARGET_WEIGHT)) != 1
        if "target" not in out and target is not None and weighted:
            out["target"] = target
        if weighted and out.get("target") is None:
            raise ConfigError(f"--set target_weight={out.get('target_weight', TARGET_WEIGHT)}: weighs the outcome "
                              "column, and this run names none: expected --target COLUMN (generate) or "
                              "--set target=COLUMN")
        return out

    def _column_weights(self) -> list[float] | None:
        """The loss weight of each encoded column: ``target_weight`` for the outcome, 1 for the rest."""
        c = self.config
        names = [codec.name for codec in self.encoder_.codecs]
        if c.target is None or c.target_weight == 1:
            return None
        if c.target not in names:
            raise DataError(f"target {c.target!r}: no such column to weigh in the loss: expected one of {names}")
        return [c.target_weight if name == c.target else 1.0 for name in names]

    def _build(self) -> AnyOrderTabularTransformer:
        c = self.config
        return AnyOrderTabularTransformer(self.encoder_.vocab_sizes, c.d_model, c.n_layers, c.n_heads, c.dropout,
                                          positions=self.encoder_.ordinal_positions(), n_basis=c.ordinal_basis,
                                          column_weights=self._column_weights(), ema=c.ema)

    def _fit(self, data: Table, *, device: torch.device, seed: int, progress: bool) -> dict[str, Any]:
        c = self.config
        if wanted(getattr(c, "workers", None)):  # K processes train; rank 0's weights come back here
            return fit_data_parallel(self, data, device=device, seed=seed, progress=progress, workers=c.workers,
                                     dp=c.dp is not None)
        self.encoder_ = TableEncoder.fit(data, max_bins=c.max_bins, max_values=c.max_bins)
        tokens = torch.from_numpy(self.encoder_.encode(data.frame))
        gen = torch_generator(seed)
        if c.dp is not None:
            return self._fit_private(tokens, device=device, seed=seed, gen=gen, progress=progress)
        perm = torch.randperm(len(tokens), generator=gen)
        n_val = int(round(len(tokens) * c.val_fraction)) if len(tokens) >= 20 else 0
        val, train = tokens[perm[:n_val]].to(device), tokens[perm[n_val:]].to(device)
        self.model_ = self._build().to(device)
        self.model_.init_marginals(train)
        self.device_ = device
        info = self._train(train, val, data, perm[:n_val].numpy(), gen=gen, progress=progress)
        return {**info, "parameters": sum(p.numel() for p in self.model_.parameters())}

    def _resume(self, data: Table, *, device: torch.device, seed: int, progress: bool) -> dict[str, Any]:
        """Continue training the bundle's weights on new rows of the same table: the schema is checked first (a
        changed one is refused before training) and the bundle's vocabulary kept (:mod:`.resume`)."""
        if wanted(getattr(self.config, "workers", None)):
            return fit_data_parallel(self, data, device=device, seed=seed, progress=progress,
                                     workers=self.config.workers, method="_resume")
        dropped = {d["column"] for d in (self.fit_info_.get("value_protection") or {}).get("dropped", [])}
        check_schema(self.encoder_.codecs, data, dropped)
        frame, unseen = in_vocabulary(self.encoder_.codecs, data.frame, seed)
        tokens = torch.from_numpy(self.encoder_.encode(frame))
        gen = torch_generator(seed)
        perm = torch.randperm(len(tokens), generator=gen)
        n_val = int(round(len(tokens) * self.config.val_fraction)) if len(tokens) >= 20 else 0
        val, train = tokens[perm[:n_val]].to(device), tokens[perm[n_val:]].to(device)
        self.model_, self.device_ = self.model_.to(device), device  # no init_marginals: it would reset the head
        info = self._train(train, val, data, perm[:n_val].numpy(), gen=gen, progress=progress)
        return {**info, "unseen_categories": unseen, "parameters": sum(p.numel() for p in self.model_.parameters())}

    def _resumed_meta(self, old, new):
        """The bundle's columns and vocabulary: what the resumed model can emit and be conditioned on."""
        return old

    def _batch_size(self, n: int) -> int:
        """Rows per step for ``n`` training rows: ``batch_size``, at most a quarter of the table (>= 4 steps an
        epoch on small tables). Both models train in even batches (``train_loop(even_batches=True)``): a ragged
        last batch (german_credit's benchmark split: 630 rows = 4 x 157 + 2) took a full optimizer step on 2 rows
        every epoch, and finance-vae's samples swung from one memorization check to the next."""
        return min(self.config.batch_size, max(16, n // 4))

    def _train(self, train: torch.Tensor, val: torch.Tensor, data: Table, val_rows: np.ndarray, *,
               gen: torch.Generator, progress: bool) -> dict[str, Any]:
        """Early stopping on the validation loss after ``patience`` epochs and ``patience_steps`` steps."""
        c = self.config
        batch = self._batch_size(len(train))
        patience = max(c.patience, -(-c.patience_steps // updates_per_epoch(len(train), batch)))
        loss = self.model_.loss  # one rank of K: its share of each global batch, DDP averaging the gradients
        if self.device_.type == "cuda":  # the batches' order and masks drawn on the GPU: no copy from the host per step
            gen = torch_generator(int(torch.randint(2**62, (1,), generator=gen)), self.device_)
        if torch.distributed.is_initialized():
            loss = DataParallel(self.model_, lambda b, g, shard: self.model_.loss(b, g, shard=shard), self.device_)
        with self.model_.averaging():
            history = train_loop(
                self.model_, loss, train, val if len(val) else None, epochs=c.epochs,
                batch_size=batch, lr=c.lr, weight_decay=c.weight_decay,
                generator=gen, patience=patience if len(val) else None, progress=progress,
                description=f"fitting {self.name} on {self.device_}", even_batches=True,
            )
        return {"epochs_run": history.epochs_run, "best_epoch": history.best_epoch, "history": history.to_json(),
                "patience_epochs": patience}

    def _fit_private(self, tokens: torch.Tensor, *, device, seed: int, gen: torch.Generator, progress: bool) -> dict[str, Any]:
        """DP-SGD on every training row (no validation split: early stopping would spend budget off the ledger)."""
        c = self.config
        data = tokens.to(device)
        self.model_ = self._build().to(device)
        history, ledger = train_dp(
            self.model_, lambda module, batch, g: module.loss(batch, g, per_row=True), data, settings=c.dp,
            epochs=c.epochs, batch_size=self._batch_size(len(data)), lr=c.lr, generator=gen, seed=seed,
            weight_decay=c.weight_decay, unit="record (one table row = one person; rows are not grouped by entity)",
            progress=progress)
        self.device_ = device
        self.model_.reset_average()  # DP-SGD trained the weights, not their average
        non_private = [
            "preprocessing: quantile bin edges, category lists and value ranges learned from the training data "
            "without noise (declare them to avoid this)",
        ]
        return {"epochs_run": history.epochs_run, "best_epoch": history.epochs_run, "history": None,
                "parameters": sum(p.numel() for p in self.model_.parameters()),
                "privacy": {"dp": ledger, "non_private": non_private}}

    def _sample(self, n: int, *, seed: int, conditions: dict[str, Any], screen=None) -> Table:
        """``n`` draws, 4,096 at a time; with a ``screen`` (:mod:`synthguard.screen`) its columns are drawn and
        decoded first and the other columns only for the draws ``screen.keep`` keeps."""
        gen = torch_generator(seed)
        rng = np.random.default_rng(seed)
        codecs = self.encoder_.codecs
        device = next(self.model_.parameters()).device
        fixed: dict[int, int] = {}
        for i, codec in enumerate(codecs):
            if codec.name in conditions:
                fixed[i] = int(self.encoder_.encode_column(codec, pd.Series([conditions[codec.name]]))[0])
        first = [i for i, c in enumerate(codecs) if c.name in screen.columns] if screen is not None else []
        chunks, drawn_first = [], []
        for start in range(0, n, 4096):
            m = min(4096, n - start)
            tokens = torch.zeros(m, len(codecs), dtype=torch.long, device=device)
            hidden = torch.ones(m, len(codecs), dtype=torch.bool, device=device)
            for i, tok in fixed.items():
                tokens[:, i], hidden[:, i] = tok, False
            if first:
                tokens = self._draw(tokens, hidden, gen, columns=first)
                drawn = self._decode(tokens[:, first].cpu().numpy(), [codecs[i] for i in first], rng, conditions)
                keep = screen.keep(drawn)
                if not keep.any():
                    continue
                drawn_first.append(drawn[keep])
                kept = torch.from_numpy(keep).to(device)
                tokens, hidden = tokens[kept], hidden[kept]
                hidden[:, first] = False
            chunks.append(self._draw(tokens, hidden, gen).cpu().numpy())
        if not chunks:
            return Table(pd.DataFrame({c: pd.Series([], dtype=object) for c in self.meta_.names}), self.meta_)
        tokens = np.concatenate(chunks)
        rest = [i for i in range(len(codecs)) if i not in first]
        frame = self._decode(tokens[:, rest], [codecs[i] for i in rest], rng, conditions)
        if first:
            frame = pd.concat([frame, pd.concat(drawn_first, ignore_index=True)], axis=1)
        return Table(frame[self.meta_.names], self.meta_)

    def _draw(self, tokens: torch.Tensor, hidden: torch.Tensor, gen: torch.Generator,
              columns: list[int] | None = None) -> torch.Tensor:
        """The hidden cells filled by the model at the configured temperature, ``order_rows`` rows per column order."""
        return self.model_.sample(tokens, hidden, gen, self.config.temperature, columns=columns,
                                  order_rows=self.config.order_rows)

    def _decode(self, tokens: np.ndarray, codecs: list, rng: np.random.Generator,
                conditions: dict[str, Any]) -> pd.DataFrame:
        """Values of ``codecs``' columns from their tokens (one column per codec), a condition's column holding the
        exact condition value, not just its bin."""
        cols = {}
        for j, codec in enumerate(codecs):
            cols[codec.name] = self.encoder_.decode_column(codec, tokens[:, j], rng)
            if codec.name in conditions:
                value = conditions[codec.name]
                if codec.kind == "categorical":
                    value = str(value)
                elif codec.kind == "datetime":
                    value = pd.Timestamp(value)
                cols[codec.name] = pd.Series([value] * len(tokens)).astype(cols[codec.name].dtype)
        return pd.DataFrame(cols, index=range(len(tokens)))

    def _get_state(self):
        return without_average(self.model_.state_dict()), {"encoder": self.encoder_.to_json()}

    def _set_state(self, tensors, state) -> None:
        self.encoder_ = TableEncoder.from_json(state["encoder"])
        if "ordinal_basis" in self.Config.model_fields and "ord_in.weight" not in tensors:  # saved before numeric tokens knew their order: they sample as they did
            self.config = self.Config.model_validate({**self.config.model_dump(), "ordinal_basis": 0})
            tensors = {**tensors, "ord_in.weight": torch.zeros(self.config.d_model, 1),
                       "ord_out.weight": torch.zeros(1, self.config.d_model)}
        self.model_ = self._build()
        self.model_.load_state_dict(tensors)
        self.model_.eval()

    # ------------------------------------------------------------------ scoring (synthguard.explain)

    #: scores records under the model (:class:`synthguard.explain.LikelihoodScorer`): ``synthguard explain`` then
    #: shows each column's conditional importance and each delivered record's log-likelihood
    supports_likelihood = True

    def conditional_log_prob(self, records: Table | pd.DataFrame, column: str,
                             masked: tuple[str, ...] = ()) -> np.ndarray:
        """log p(``column`` | every other column but ``masked``) of each record, in nats (numbers at their
        quantile bin); NaN for a record holding a value the model never saw."""
        tokens, known = self._score_tokens(records)
        col = self._column_index(column)
        hidden = torch.zeros(tokens.shape[1], dtype=torch.bool)
        for name in masked:
            hidden[self._column_index(name)] = True
        out = self._score(tokens, lambda t: self.model_.column_log_prob(t, hidden.to(t.device).expand_as(t).clone(), col))
        return np.where(known, out, np.nan)

    def log_likelihood(self, records: Table | pd.DataFrame, orders: int = 2, seed: int = 0) -> np.ndarray:
        """log p(record) in nats (numbers at their quantile bin): the chain rule over the columns in a random
        order, averaged over ``orders`` orders (an any-order model's orders agree only approximately); NaN for a
        record holding a value the model never saw."""
        tokens, known = self._score_tokens(records)
        perms = [torch.randperm(tokens.shape[1], generator=torch_generator(seed + k)).tolist() for k in range(orders)]

        def chain(t: torch.Tensor) -> torch.Tensor:
            total = torch.zeros(len(t), device=t.device)
            for order in perms:
                hidden = torch.ones_like(t, dtype=torch.bool)
                for col in order:
                    total += self.model_.column_log_prob(t, hidden, col)
                    hidden[:, col] = False
            return total / len(perms)

        return np.where(known, self._score(tokens, chain), np.nan)

    def _column_index(self, column: str) -> int:
        names = [c.name for c in self.encoder_.codecs]
        if column not in names:
            raise ConfigError(f"unknown column {column!r}: expected one of {', '.join(names)}")
        return names.index(column)

    def _score_tokens(self, records: Table | pd.DataFrame) -> tuple[torch.Tensor, np.ndarray]:
        """Tokens of the records and which of them the model can score (every value one it saw in training)."""
        frame = records.frame if isinstance(records, Table) else records
        columns, known = [], np.ones(len(frame), dtype=bool)
        for codec in self.encoder_.codecs:
            if codec.name not in frame.columns:
                raise DataError(f"records lack column {codec.name!r}: expected the columns the model was fitted on")
            s = frame[codec.name].reset_index(drop=True)
            bad = s.isna().to_numpy() & (not codec.has_nan)
            if codec.kind in ("categorical", "boolean"):
                keys = s.map(lambda v: str(bool(v)) if codec.kind == "boolean" else str(v))
                bad |= ~keys.isin([str(v) for v in codec.values]).to_numpy() & ~s.isna().to_numpy()
            tok = np.zeros(len(s), dtype=np.int64)
            if (~bad).any():
                tok[~bad] = self.encoder_.encode_column(codec, s[~bad])
            columns.append(tok)
            known &= ~bad
        return torch.from_numpy(np.stack(columns, axis=1) if columns else np.zeros((len(frame), 0), np.int64)), known

    def _score(self, tokens: torch.Tensor, fn) -> np.ndarray:
        """``fn`` over batches of tokens on the model's device, in eval mode (no dropout)."""
        device = next(self.model_.parameters()).device
        was = self.model_.training
        self.model_.eval()
        try:
            with torch.no_grad():
                out = [fn(tokens[i:i + 4096].to(device)).cpu() for i in range(0, len(tokens), 4096)]
        finally:
            self.model_.train(was)
        return torch.cat(out).double().numpy() if out else np.zeros(0)


class FinanceVAEConfig(TokenModelConfig):
    """Defaults chosen on german_credit and credit_data (the AER tables are for checking, not tuning)."""

    width: int = Field(128, ge=8, le=4096, description="width of the encoder's and decoder's residual MLPs")
    latent: int = Field(32, ge=1, le=1024, description="dimensions of z, which carries every dependence between columns")
    beta: float = Field(1.0, gt=0, description="weight of the KL term (1 = the ELBO)")
    max_nearer_share: float = Field(0.5, gt=0, le=1, description=(
        "stop training before sampled rows sit nearer to the training rows than real rows do to each other: "
        "the share of (sampled, real) pairs where the sampled row is nearer (0.5 = as near as a new real row)"))
    check_every: int = Field(10, ge=1, description="epochs between memorization checks")
    check_window: int = Field(3, ge=1, description="training stops when the mean of this many latest checks "
                              "passes max_nearer_share (one check is a sample)")


class FinanceVAE(FinanceGenerator):
    """The same column tokens, drawn in one network pass: fast to sample, trained until it starts to memorize.

    The validation loss is the wrong stopping signal for this model: measured on german_credit and
    credit_data, the validation ELBO bottoms out after 20-60 epochs while the quality of sampled rows
    keeps rising for hundreds more (credit_data: 0.90 at the ELBO's best epoch, 0.97 after 320) —
    and so does their closeness to the training rows. So training runs up to ``epochs`` and stops when
    sampled rows sit nearer to the training rows than real rows do (mean of the last ``check_window``
    checks above ``max_nearer_share``), keeping the weights of the last check that passed: trained as
    long as its rows are no closer to the people it learnt from than another real person would be.
    """

    name = "finance-vae"
    role = "alternative"
    smoke_config = {"epochs": 1, "width": 16, "n_layers": 1, "latent": 4}
    cpu_threads = 1  # small MLPs: a second CPU thread made its credit_data fit 1.6x slower (synthguard.models.torch_threads)
    description = ("one-pass VAE over the same column tokens, stopped by a memorization check: fits and samples faster, "
                   "but unconditional only and its rows sit nearer the training rows (PyTorch)")
    Config = FinanceVAEConfig
    supports_likelihood = False  # one pass per row: no conditionals to score with
    supports_conditions = False
    supports_screening = False  # one pass draws every column at once
    supports_dp = False
    supports_resume = False  # its memorization-checked training is not resumable yet
    state_version = 1

    def _draw(self, tokens: torch.Tensor, hidden: torch.Tensor, gen: torch.Generator,
              columns: list[int] | None = None) -> torch.Tensor:
        return self.model_.sample(tokens, hidden, gen, self.config.temperature)  # one pass: no column order

    def _build(self) -> OnePassTabularVAE:
        c = self.config
        return OnePassTabularVAE(self.encoder_.vocab_sizes, c.width, c.n_layers, c.latent, c.beta, c.dropout)

    def _train(self, train: torch.Tensor, val: torch.Tensor, data: Table, val_rows: np.ndarray, *,
               gen: torch.Generator, progress: bool) -> dict[str, Any]:
        c = self.config
        checks: list[dict[str, Any]] = []
        accepted: dict[str, Any] = {"epoch": 0, "state": copy.deepcopy(self.model_.state_dict())}
        self.meta_ = data.meta  # the checks sample before fit() records it
        can_check = len(train) >= MIN_CHECK_ROWS
        if can_check:
            # Reference: each training row's distance to the other training rows, i.e. how near a real row
            # the model did not see sits to the training set (exchangeable with a holdout row's distance,
            # and all of them count: a validation split of a small table is too few rows to tell 0.55 from 0.5)
            trained = data.take(np.setdiff1d(np.arange(len(data)), val_rows))
            nearest = NearestRecords(TableDistance(quantiles=CHECK_QUANTILES).fit(trained), trained)
            d_real = nearest.leave_one_out()

        def check(epoch: int) -> bool:
            if not can_check or (epoch % c.check_every and epoch != c.epochs):
                return False
            self.model_.eval()
            synthetic = self._sample(min(2000, max(len(train), 500)), seed=epoch, conditions={})
            share = nearer_share(nearest.distances(synthetic), d_real)
            checks.append({"epoch": epoch, "nearer_share": round(share, 4)})
            if _recent_mean(checks, c.check_window) > c.max_nearer_share:  # one sampled check does not end training
                return True
            accepted.update(epoch=epoch, state=copy.deepcopy(self.model_.state_dict()))
            return False

        history = train_loop(
            self.model_, self.model_.loss, train, val if len(val) else None, epochs=c.epochs,
            batch_size=self._batch_size(len(train)), lr=c.lr, weight_decay=c.weight_decay, generator=gen,
            progress=progress, description=f"fitting {self.name} on {self.device_}", val_repeats=4,
            val_every=c.check_every,  # recorded for the report, never stopped on: at the checks is enough
            fused=True,  # a step of this small MLP is mostly optimizer overhead
            keep_best=False, on_epoch_end=check, even_batches=True,
        )
        if not can_check:
            warnings.warn(f"{self.name}: {len(train)} training rows (need {MIN_CHECK_ROWS}) — no memorization check ran; "
                          f"training ran its {c.epochs} epochs", stacklevel=2)
        stopped = history.stopped_early  # only the memorization check stops this loop (no patience)
        if stopped:
            self.model_.load_state_dict(accepted["state"])
        self.model_.eval()
        kept = accepted["epoch"] if stopped else history.epochs_run
        return {"epochs_run": history.epochs_run, "best_epoch": kept, "history": {**history.to_json(), "best_epoch": kept},
                "memorization_checks": checks, "stopped_by": "memorization_check" if stopped else "epochs",
                "figures": [_checks_figure(checks, c.max_nearer_share, c.check_window)] if checks else []}


def _recent_mean(checks: list[dict[str, Any]], window: int) -> float:
    return float(np.mean([x["nearer_share"] for x in checks[-window:]]))


def _checks_figure(checks: list[dict[str, Any]], limit: float, window: int) -> dict[str, Any]:
    """Plotly JSON the HTML report draws in its Training section: the DCR share at each memorization check."""
    epochs = [x["epoch"] for x in checks]
    means = [round(_recent_mean(checks[:i + 1], window), 4) for i in range(len(checks))]
    return {"title": "memorization checks: sampled rows nearer to the training rows than real rows are "
                     "(share of pairs; 0.5 = as near as a new real row)",
            "data": [{"type": "scatter", "x": epochs, "y": [x["nearer_share"] for x in checks], "name": "nearer share",
                      "mode": "markers"},
                     {"type": "scatter", "x": epochs, "y": means, "name": f"mean of last {window} (stops above the limit)",
                      "mode": "lines"},
                     {"type": "scatter", "x": [epochs[0], epochs[-1]], "y": [limit, limit], "name": "max_nearer_share",
                      "mode": "lines", "line": {"dash": "dot"}}],
            "layout": {"xaxis": {"title": "epoch"}, "yaxis": {"title": "nearer share"}}}
