"""Each record's log-likelihood under a fitted LSTM sequence model: log p(x_t | x_<t, statics, covariates) per step.

The LSTM's mixture output is an exact conditional density, so scoring is the training loss without the mean: one
teacher-forced pass over the records (batches of :data:`BATCH`), no sampling. In nats, in the space the network
models (each generated channel standardised, after the generator's own transform, e.g. log counts for traffic);
missing readings drop out, as in training. ``synthguard explain`` reads it through the ``supports_likelihood``
capability (:class:`synthguard.explain.SequenceScorer`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch
from synthguard import DataError, SequenceSet

from .mixture import mixture_nll

if TYPE_CHECKING:  # pragma: no cover
    from .generator import MixtureSequenceGenerator

#: Records scored per forward pass.
BATCH = 512


@torch.no_grad()
def step_log_likelihood(gen: "MixtureSequenceGenerator", records: SequenceSet) -> np.ndarray:
    """(N, T): log p(step t's observed readings | the record's earlier steps, statics, covariates); NaN where a step
    has no observed reading."""
    if not isinstance(records, SequenceSet):
        raise DataError(f"log-likelihood of {type(records).__name__}: expected sequences (a SequenceSet)")
    if list(records.channels) != gen.channels_ or records.values.shape[1] != gen.length_:
        raise DataError(f"records with channels {list(records.channels)} and {records.values.shape[1]} steps: "
                        f"expected the model's {gen.channels_} and {gen.length_} steps")
    targets, cov = gen._split(records)
    cats, nums = gen.encoder_.encode_statics(records.statics)
    exo = gen._features(cov, records.start_times)
    x = gen.encoder_.scale(targets.values)
    model = gen.model_
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()  # no dropout: the model's own density
    try:
        out = []
        for start in range(0, len(x), BATCH):
            sl = slice(start, start + BATCH)
            xb = torch.from_numpy(np.asarray(x[sl], dtype=np.float32)).to(device)
            mask = torch.isfinite(xb)
            cond = model.condition(torch.from_numpy(cats[sl]).to(device), torch.from_numpy(nums[sl]).to(device))
            ex = None if exo is None else torch.from_numpy(exo[sl]).to(device)
            states, x0, mask = model.states(torch.where(mask, xb, torch.zeros_like(xb)), mask, cond, ex)
            ll = -mixture_nll(*model._mixture(states, cond.unsqueeze(1)), x0, mask)  # (B, T)
            ll = torch.where(mask.any(-1), ll, torch.full_like(ll, float("nan")))
            out.append(ll.double().cpu().numpy())
    finally:
        model.train(was_training)
    return np.concatenate(out)


def log_likelihood(gen: "MixtureSequenceGenerator", records: SequenceSet) -> np.ndarray:
    """(N,): log p(record) = the sum over its steps of :func:`step_log_likelihood` (NaN: nothing observed)."""
    steps = step_log_likelihood(gen, records)
    seen = np.isfinite(steps).any(axis=1)
    return np.where(seen, np.nansum(steps, axis=1), np.nan)


__all__ = ["step_log_likelihood", "log_likelihood", "BATCH"]
