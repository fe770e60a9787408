"""Privacy: record distances, the leak filters of the gate, and the audit (DCR, membership inference, WP29)."""

from .audit import audit, closer_share, dcr_share, nearer_share
from .distance import (BUILTIN_DISTANCES, Distance, ImagePixelDistance, NearestRecords, SequenceDistance,
                       TableDistance, choose_distance)
from .filters import NNDRFilter, NearCopyFilter, QuasiIdentifiers, RareCombinationFilter

__all__ = ["Distance", "TableDistance", "SequenceDistance", "ImagePixelDistance", "NearestRecords",
           "choose_distance", "BUILTIN_DISTANCES", "NearCopyFilter", "NNDRFilter", "RareCombinationFilter",
           "QuasiIdentifiers", "audit", "closer_share", "dcr_share", "nearer_share"]
