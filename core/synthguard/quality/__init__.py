"""Fidelity and utility metrics for tables (registered by the built-in plugin)."""

from .distributions import DistributionsMetric
from .fidelity import QualityMetric, sdv_metadata
from .html import render_html
from .utility import TSTRMetric

__all__ = ["QualityMetric", "TSTRMetric", "DistributionsMetric", "render_html", "sdv_metadata"]
