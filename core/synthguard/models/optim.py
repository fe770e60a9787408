"""AdamW without ``torch.optim.Optimizer``: the same update, minus 1.4 s of imports in every fresh process.

Constructing any ``torch.optim`` optimizer calls ``add_param_group``, which torch wraps to import
``torch._dynamo`` (and sympy) on first use: 1.4 s measured on this project's 2-core machine with torch
2.13, paid by every ``synthguard fit``/``generate`` process that trains — a tenth of a sensor fit. This
class keeps AdamW's state itself and calls torch's own functional kernel (``torch.optim.adam.adam``)
with the flags ``torch.optim.AdamW`` passes, so its steps are bit for bit AdamW's (a test checks it).
"""

from __future__ import annotations

from typing import Iterable

import torch
from torch.optim.adam import adam


class AdamW:
    """``torch.optim.AdamW(params, lr, betas, eps, weight_decay, fused=fused or None)``, for eager training loops."""

    def __init__(self, params: Iterable[torch.nn.Parameter], lr: float, weight_decay: float = 0.0, *,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, fused: bool = False,
                 decoupled: bool = True):
        self.params = [p for p in params if p.requires_grad]
        self.lr, self.weight_decay, self.betas, self.eps = lr, weight_decay, betas, eps
        self.fused = True if fused else None
        self.decoupled = decoupled  # False: torch.optim.Adam's L2 penalty (the same update when weight_decay=0)
        self.exp_avg = [torch.zeros_like(p, memory_format=torch.preserve_format) for p in self.params]
        self.exp_avg_sq = [torch.zeros_like(p, memory_format=torch.preserve_format) for p in self.params]
        # where torch.optim keeps the step count: on the parameter's device when fused, else a CPU scalar
        self.steps = [torch.zeros((), dtype=torch.float32, device=p.device) if fused else torch.tensor(0.0)
                      for p in self.params]

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.params:
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.zero_()

    @torch.no_grad()
    def step(self) -> None:
        live = [i for i, p in enumerate(self.params) if p.grad is not None]
        if not live:
            return
        params = [self.params[i] for i in live]
        adam(params, [p.grad for p in params], [self.exp_avg[i] for i in live], [self.exp_avg_sq[i] for i in live],
             [], [self.steps[i] for i in live], foreach=None, capturable=False, differentiable=False,
             fused=self.fused, grad_scale=None, found_inf=None, has_complex=any(torch.is_complex(p) for p in params),
             decoupled_weight_decay=self.decoupled, amsgrad=False, beta1=self.betas[0], beta2=self.betas[1],
             lr=self.lr, weight_decay=self.weight_decay, eps=self.eps, maximize=False)


def one_cycle(opt: torch.optim.Optimizer, max_lr: float, total_steps: int, pct_start: float):
    """torch's ``OneCycleLR`` (a warm-up over ``pct_start`` of the steps, then cosine decay), or a constant rate
    where the warm-up would be under 2 steps: there torch's schedule divides by zero (a warm-up ending at step 0,
    e.g. 10 steps at 10%) or runs backwards. A fit that short is a smoke test, not a schedule."""
    if pct_start * total_steps >= 2:
        return torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=max_lr, total_steps=total_steps, pct_start=pct_start)
    return torch.optim.lr_scheduler.LambdaLR(opt, lambda _: 1.0)
