"""SynthGuard finance plugin: credit and loan tables."""

from .generator import FinanceConfig, FinanceGenerator

__all__ = ["FinanceGenerator", "FinanceConfig"]
