"""Differentially private training (DP-SGD through Opacus) and the ε ledger of a run.

What this gets right, because each is a known way DP training silently claims
more privacy than it gives:

* Poisson sampling for real (Opacus' ``DPDataLoader``): each record joins each
  step's batch independently with probability q — the sampling the accountant
  assumes. Shuffled fixed-size batches accounted as Poisson overstate privacy.
* Per-record losses: the loss of a record depends on that record only, so
  clipping its gradient bounds its influence (a loss normalised by the batch's
  token count would couple records).
* The noise is calibrated for the number of steps actually run, and training
  ends exactly when the budget is spent: ε is checked after every epoch and a
  run that would exceed the target stops before the next step.
* No validation split, no early stopping, no per-epoch loss in the report: each
  would be a data-dependent release outside the ledger.
* ``nn.MultiheadAttention`` is replaced by :class:`LinearMultiheadAttention`, the
  same computation built from ``nn.Linear`` (Opacus' own ``DPMultiheadAttention``
  scrambles heads and positions when ``batch_first=True``: its output ``view``
  skips a transpose — a test pins our twin to the original's outputs), other
  layers by ``ModuleValidator.fix`` (BatchNorm...). The trained weights load back
  into the original architecture, so sampling and bundles are unchanged.

Every step that touches the real data either spends from the ledger or is
listed in ``non_private`` (e.g. the plugin's preprocessing statistics).
"""

from __future__ import annotations

import copy
import re
import time
import warnings
from typing import Callable

import torch
from torch import nn
from pydantic import BaseModel, ConfigDict, Field

from .. import log_progress
from ..errors import ConfigError
from .training import TrainingHistory


class DPSettings(BaseModel):
    """The privacy budget of one training run."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    epsilon: float = Field(gt=0, description="total privacy budget ε of the training run")
    delta: float | None = Field(None, gt=0, lt=1, description="δ; default 1/(10·n), below 1/n as it must be")
    max_grad_norm: float = Field(1.0, gt=0, description="per-record gradient clipping bound")
    accountant: str = Field("prv", pattern="^(prv|rdp)$", description="Opacus accountant (PRV is Opacus' default)")


class LinearMultiheadAttention(nn.Module):
    """``nn.MultiheadAttention``'s exact computation (batch-first self-attention, no masks) from ``nn.Linear`` layers."""

    def __init__(self, mha: nn.MultiheadAttention):
        super().__init__()
        if not mha.batch_first or not mha._qkv_same_embed_dim or mha.bias_k is not None:
            raise ConfigError("DP training supports batch-first self-attention without bias_kv only")
        e = mha.embed_dim
        self.embed_dim, self.num_heads, self.dropout, self.batch_first = e, mha.num_heads, mha.dropout, True
        self._qkv_same_embed_dim = True
        self.in_proj = nn.Linear(e, 3 * e, bias=mha.in_proj_bias is not None)
        self.out_proj = nn.Linear(e, e, bias=mha.out_proj.bias is not None)
        with torch.no_grad():
            self.in_proj.weight.copy_(mha.in_proj_weight)
            if mha.in_proj_bias is not None:
                self.in_proj.bias.copy_(mha.in_proj_bias)
            self.out_proj.load_state_dict(mha.out_proj.state_dict())

    @property
    def in_proj_weight(self):  # read by nn.TransformerEncoder(Layer)'s fast-path checks
        return self.in_proj.weight

    @property
    def in_proj_bias(self):
        return self.in_proj.bias

    def forward(self, query, key, value, key_padding_mask=None, need_weights=False, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        if key_padding_mask is not None or attn_mask is not None or is_causal or not (query is key is value):
            raise NotImplementedError("DP attention twin: self-attention without masks only")
        b, t, e = query.shape
        h = self.num_heads
        q, k, v = (z.view(b, t, h, e // h).transpose(1, 2) for z in self.in_proj(query).chunk(3, dim=-1))
        out = nn.functional.scaled_dot_product_attention(q, k, v, dropout_p=self.dropout if self.training else 0.0)
        return self.out_proj(out.transpose(1, 2).reshape(b, t, e)), None


def linear_attention_twin(model: nn.Module) -> nn.Module:
    """A copy of ``model`` with every ``nn.MultiheadAttention`` replaced by :class:`LinearMultiheadAttention`."""
    twin = copy.deepcopy(model)
    for name, module in list(twin.named_modules()):
        for child_name, child in list(module.named_children()):
            if isinstance(child, nn.MultiheadAttention):
                setattr(module, child_name, LinearMultiheadAttention(child))
    return twin


#: Keys of Opacus' ``DPLSTM`` (``ModuleValidator.fix``'s stand-in for ``nn.LSTM``) besides the ``nn.LSTM`` names
#: (``weight_ih_l0``...) it also lists: the same tensors under its cells' names.
_DPLSTM_ALIAS = re.compile(r"\.l\d+\.(ih|hh)\.(weight|bias)$")


def original_state(twin: nn.Module) -> dict[str, torch.Tensor]:
    """The twin's weights under the original model's keys (``in_proj.weight`` -> ``in_proj_weight``; a DPLSTM's
    cell aliases dropped)."""
    out = {}
    for key, value in twin.state_dict().items():
        if _DPLSTM_ALIAS.search(key):
            continue
        key = key.replace("self_attn.in_proj.weight", "self_attn.in_proj_weight").replace(
            "self_attn.in_proj.bias", "self_attn.in_proj_bias")
        out[key] = value.detach().clone()
    return out


def default_delta(n: int) -> float:
    """DP δ when the user gives none: 1/(10·n), well below the 1/n at which one record could leak outright."""
    return 1.0 / (10 * max(n, 1))


def train_dp(
    model: torch.nn.Module,
    row_loss: Callable[[torch.nn.Module, torch.Tensor, torch.Generator], torch.Tensor],
    data: torch.Tensor,
    *,
    settings: DPSettings,
    epochs: int,
    batch_size: int,
    lr: float,
    generator: torch.Generator,
    seed: int,
    weight_decay: float = 0.0,
    unit: str = "record",
    progress: bool = False,
) -> tuple[TrainingHistory, dict]:
    """Train ``model`` in place with DP-SGD; returns the history and the ledger entry.

    ``row_loss(module, batch, generator)`` must return the mean over the batch of
    per-record losses. ``batch_size`` is the *expected* batch size (q = batch/n).
    """
    try:
        from opacus import PrivacyEngine
        from opacus.validators import ModuleValidator
    except ImportError:  # pragma: no cover - opacus is a core dependency
        raise ConfigError("differential privacy needs opacus: expected `pip install opacus`") from None
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    n = int(data.shape[0])
    if n < 2:
        raise ConfigError(f"DP training needs at least 2 records: got {n}")
    delta = settings.delta if settings.delta is not None else default_delta(n)
    if delta >= 1.0 / n:
        raise ConfigError(f"delta {delta:g} is not below 1/n = {1 / n:g}: expected a smaller --delta")
    private = ModuleValidator.fix(linear_attention_twin(model)).to(data.device).train()
    errors = ModuleValidator.validate(private, strict=False)
    if errors:
        raise ConfigError(f"model cannot be trained with DP-SGD: {errors[0]}")
    optimizer = torch.optim.AdamW(private.parameters(), lr=lr, weight_decay=weight_decay)
    loader_gen = torch.Generator()
    loader_gen.manual_seed(seed)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(data), batch_size=min(batch_size, n),
                                         generator=loader_gen)
    noise_gen = torch.Generator(device=data.device)
    noise_gen.manual_seed(seed + 1)
    with warnings.catch_warnings():  # Opacus' notices, answered in the ledger; not muted for the caller
        warnings.filterwarnings("ignore", message="Secure RNG turned off")  # said in the ledger instead
        warnings.filterwarnings("ignore", message="Optimal order is the largest alpha")
        warnings.filterwarnings("ignore", message="Full backward hook is firing")
        engine = PrivacyEngine(accountant=settings.accountant)
        private, optimizer, loader = engine.make_private_with_epsilon(
            module=private, optimizer=optimizer, data_loader=loader, target_epsilon=settings.epsilon,
            target_delta=delta, epochs=epochs, max_grad_norm=settings.max_grad_norm, poisson_sampling=True,
            noise_generator=noise_gen, grad_sample_mode="hooks")
        inner = private._module
        hist = TrainingHistory()
        start = time.perf_counter()
        steps = empty = 0
        spent = 0.0
        columns = [TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total} epochs"),
                   TextColumn("ε {task.fields[eps]:.2f}"), TimeElapsedColumn()]
        with Progress(*columns, disable=not progress, transient=True) as bar:
            task = bar.add_task(f"DP-SGD (ε={settings.epsilon:g})", total=epochs, eps=0.0)
            for epoch in range(epochs):
                inner.train()
                for (batch,) in loader:
                    if len(batch) == 0:  # Poisson sampling can draw nobody: nothing to release this step
                        empty += 1
                        continue
                    optimizer.zero_grad(set_to_none=True)
                    row_loss(inner, batch.to(data.device), generator).backward()
                    optimizer.step()
                    steps += 1
                spent = float(engine.get_epsilon(delta))
                hist.epochs_run = epoch + 1
                bar.update(task, advance=1, eps=spent)
                log_progress.detail(f"DP-SGD epoch {epoch + 1} of {epochs}, ε spent {spent:.2f}")
                if spent >= settings.epsilon * (1 + 1e-6) and epoch + 1 < epochs:  # calibration says never; check anyway
                    hist.stopped_early = True
                    break
    private.eval()
    model.load_state_dict(original_state(inner), strict=True)
    model.eval()
    hist.seconds = time.perf_counter() - start
    ledger = {
        "mechanism": "DP-SGD (Opacus, Poisson sampling, clipping per unit (below), Gaussian noise)",
        "epsilon_target": settings.epsilon, "epsilon_spent": round(spent, 4), "delta": delta,
        "accountant": settings.accountant, "noise_multiplier": round(float(optimizer.noise_multiplier), 6),
        "max_grad_norm": settings.max_grad_norm, "sample_rate": round(1.0 / len(loader), 6),
        "expected_batch_size": min(batch_size, n), "epochs": hist.epochs_run, "steps": steps,
        "empty_batches_skipped": empty, "unit": unit,
        "noise_rng": "torch's seeded PRNG (reproducible; not cryptographically secure: Opacus' secure_mode "
                     "needs torchcsprng)",
    }
    return hist, ledger
