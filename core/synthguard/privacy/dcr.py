"""Near-copy filter and DCR audit: synthetic records measured against real records the model never saw.

A synthetic record may be "close" to a training record by chance; the question is
whether it is closer than real, unseen records are. So the threshold comes from
the holdout: the ``quantile`` (default 1%) of holdout-to-training distances. A
synthetic record closer to the training data than 99% of real unseen records is
rejected as a near copy. The audit reports the DCR share — of synthetic records,
how many are closer to (an equal-sized sample of) the training data than to the
holdout; 0.5 means no preference for the training records.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..checks import CheckContext, PrivacyFilter, Verdict
from ..data import Table
from ..registry import Metric, MetricContext
from .distance import NearestRecords, TableEmbedding

NEAR_COPY_QUANTILE = 0.01


class NearCopyFilter(PrivacyFilter):
    """Rejects tables' records closer to a training record than the holdout's 1st-percentile DCR."""

    name = "core.near-copy"
    description = "closer to a training record than (almost) any real unseen record is"

    def prepare(self, context: CheckContext) -> None:
        self.quantile = float(context.options.get("near_copy_quantile", NEAR_COPY_QUANTILE))
        self.active = context.reference is not None and context.holdout is not None
        if not self.active:
            self.why = "needs the training data and a holdout split (generate, or sample with --reference and --holdout)"
            return
        self.embedding = TableEmbedding(context.reference)
        self.train = NearestRecords(self.embedding, context.reference)
        holdout_dcr = self.train.distances(context.holdout)
        self.threshold = float(np.quantile(holdout_dcr, self.quantile))

    def check(self, records: Table, context: CheckContext) -> Verdict:
        if not self.active:
            return Verdict.keep_all(len(records))
        d = self.train.distances(records)
        return Verdict.from_mask(d < self.threshold,
                                 [f"distance {x:.4f} to a training record is below the holdout's "
                                  f"{self.quantile:.0%} quantile {self.threshold:.4f}" for x in d])

    def summary(self) -> dict[str, Any]:
        if not self.active:
            return {"applied": False, "reason": self.why}
        return {"applied": True, "threshold": round(self.threshold, 6), "quantile": self.quantile,
                "distance": "Gower-style (ECDF ranks for numbers, mismatch for categories), L1 / columns"}


class DCRMetric(Metric):
    """DCR share and DCR distributions: synthetic-to-train vs holdout-to-train."""

    name = "core.dcr"
    description = "distance to closest record: share of synthetic records closer to train than to holdout (0.5 ideal)"

    def compute(self, real: Table, synthetic: Table, context: MetricContext) -> dict[str, Any]:
        holdout = context.holdout
        if holdout is None:
            return {"skipped": "needs a holdout split"}
        rng = np.random.default_rng(0)
        # equal-sized training sample, so a record with no preference lands on either side half the time
        train = real.take(np.sort(rng.choice(len(real), size=min(len(real), len(holdout)), replace=False)))
        embedding = TableEmbedding(real)
        to_train = NearestRecords(embedding, train)
        to_holdout = NearestRecords(embedding, holdout)
        d_train, d_hold = to_train.distances(synthetic), to_holdout.distances(synthetic)
        share = float(np.mean(d_train < d_hold) + 0.5 * np.mean(d_train == d_hold))
        full = NearestRecords(embedding, real)
        syn_full, hold_full = full.distances(synthetic), full.distances(holdout)

        def q(x):
            return {"p5": round(float(np.quantile(x, 0.05)), 5), "median": round(float(np.median(x)), 5)}

        return {"share_closer_to_train": round(share, 4), "synthetic_to_train": q(syn_full),
                "holdout_to_train": q(hold_full), "holdout_records": len(holdout), "train_sample": len(train)}
