"""Seeding: one integer makes fit and sample reproducible."""

from __future__ import annotations

import random

import numpy as np
import torch


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (all devices) and ask torch for deterministic kernels."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)


def torch_generator(seed: int, device: torch.device | str = "cpu") -> torch.Generator:
    """A private generator, so sampling does not depend on (or disturb) global RNG state."""
    gen = torch.Generator(device=device)
    gen.manual_seed(seed)
    return gen
