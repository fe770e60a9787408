"""Shared PyTorch building blocks: device choice, seeding, the training loop."""

from .device import resolve_device
from .seeding import seed_everything, torch_generator
from .training import TrainingHistory, train_loop

__all__ = ["resolve_device", "seed_everything", "torch_generator", "TrainingHistory", "train_loop"]
