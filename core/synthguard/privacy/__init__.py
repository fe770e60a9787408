"""Leak filters and privacy measurements (distances to real records)."""

from .dcr import DCRMetric, NearCopyFilter
from .distance import NearestRecords, TableEmbedding

__all__ = ["NearCopyFilter", "DCRMetric", "TableEmbedding", "NearestRecords"]
