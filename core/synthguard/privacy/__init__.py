"""Privacy: record distances, the leak filters of the gate, the audit (DCR, membership inference, WP29), and
value protection of a training table (rare categories, extreme values, identifier columns)."""

from .attacks import AttackSetup
from .audit import audit, closer_share, dcr_share, nearer_share
from .distance import (BUILTIN_DISTANCES, Distance, ImagePixelDistance, NearestRecords, SequenceDistance,
                       TableDistance, choose_distance)
from .filters import NNDRFilter, NearCopyFilter, QuasiIdentifiers, RareCombinationFilter
from .shadow import choose_targets, generator_fit_sample, outlier_scores, shadow_attack
from .value_protection import RARE_MARKER, ValueProtection, identifier_like_name, protect, protect_frame

__all__ = ["Distance", "TableDistance", "SequenceDistance", "ImagePixelDistance", "NearestRecords",
           "choose_distance", "BUILTIN_DISTANCES", "NearCopyFilter", "NNDRFilter", "RareCombinationFilter",
           "QuasiIdentifiers", "audit", "closer_share", "dcr_share", "nearer_share",
           "protect", "protect_frame", "ValueProtection", "RARE_MARKER", "identifier_like_name"]
__all__ += ["shadow_attack", "choose_targets", "generator_fit_sample", "outlier_scores", "AttackSetup"]
