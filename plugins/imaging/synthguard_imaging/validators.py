"""Image safety checks: blank, saturated, out-of-range intensities, collapse onto the class mean.

Limits come from the training images' metadata (their intensity range, kept in the bundle)
or from the training images themselves when they are at hand (``generate``, ``sample
--reference``); ``bounds={"intensity": (lo, hi)}`` declares a modality's range instead (for CT
in Hounsfield units, e.g. (-1024, 3071)). NaN pixels are rejected by the core's
``core.finite`` check. Reasons name the image (its position in the batch) and the limit.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from synthguard import CheckContext, ConfigError, ImageSet, Validator, Verdict

#: An image whose pixel standard deviation is below this share of the training range is blank.
BLANK_STD = 0.01
#: A pixel within this share of the range from the training maximum (or minimum) counts as clipped.
CLIP_BAND = 0.005
#: Learned intensity range widened by this share on each side.
RANGE_MARGIN = 0.05
#: Share of an image's pixels outside the range that rejects it (isolated pixels are interpolation noise).
RANGE_SHARE = 0.01
#: Fallback share of clipped pixels when no training images are at hand.
SATURATED_SHARE = 0.5


class _ImageCheck(Validator):
    modalities = frozenset({"image"})
    domains = frozenset({"imaging"})

    def prepare(self, context: CheckContext) -> None:
        self.low, self.high = float(context.meta.minimum), float(context.meta.maximum)
        self.span = max(self.high - self.low, 1e-12)


def _flat(records: ImageSet) -> np.ndarray:
    return records.images.reshape(len(records), -1)


class BlankValidator(_ImageCheck):
    """An image with (almost) no contrast: pixel std below 1% of the training intensity range."""

    name = "imaging.blank"
    description = "blank image: pixel standard deviation below 1% of the training intensity range"

    def check(self, records: ImageSet, context: CheckContext) -> Verdict:
        std = np.nanstd(_flat(records), axis=1)
        limit = BLANK_STD * self.span
        return Verdict([f"image {i} is blank: pixel std {s:.4g} below {limit:.4g} (1% of the training range)"
                        if s < limit else None for i, s in enumerate(std)])

    def summary(self) -> dict:
        return {"min_std": round(BLANK_STD * self.span, 6)}


class SaturatedValidator(_ImageCheck):
    """More pixels clipped at the top (or bottom) of the range than any training image has, plus 10 points."""

    name = "imaging.saturated"
    description = "saturated image: more pixels at the intensity limits than real images show"

    def prepare(self, context: CheckContext) -> None:
        super().prepare(context)
        band = CLIP_BAND * self.span
        if context.reference is not None:
            x = _flat(context.reference)
            top, bottom = (x >= self.high - band).mean(axis=1), (x <= self.low + band).mean(axis=1)
            self.top_limit, self.bottom_limit = min(1.0, top.max() + 0.1), min(1.0, bottom.max() + 0.1)
            self.source = "learned"
        else:
            self.top_limit = self.bottom_limit = SATURATED_SHARE
            self.source = "default (no training images at hand)"

    def check(self, records: ImageSet, context: CheckContext) -> Verdict:
        band = CLIP_BAND * self.span
        x = _flat(records)
        top, bottom = (x >= self.high - band).mean(axis=1), (x <= self.low + band).mean(axis=1)
        reasons = []
        for i, (t, b) in enumerate(zip(top, bottom)):
            if t > self.top_limit:
                reasons.append(f"image {i} is saturated: {t:.1%} of pixels at the maximum {self.high:.4g}, "
                               f"limit {self.top_limit:.1%}")
            elif b > self.bottom_limit and b < 1.0:
                reasons.append(f"image {i} is crushed: {b:.1%} of pixels at the minimum {self.low:.4g}, "
                               f"limit {self.bottom_limit:.1%}")
            else:
                reasons.append(None)
        return Verdict(reasons)

    def summary(self) -> dict:
        return {"max_share_at_maximum": round(self.top_limit, 4), "max_share_at_minimum": round(self.bottom_limit, 4),
                "source": self.source}


class IntensityValidator(_ImageCheck):
    """More than 1% of an image's pixels outside the declared modality range, or the training range ± 5%."""

    name = "imaging.intensity"
    reads_options = frozenset({"bounds"})
    description = "pixel intensities outside the modality's (declared or learned) range"

    def prepare(self, context: CheckContext) -> None:
        super().prepare(context)
        declared = dict(context.options.get("bounds") or {})
        unknown = set(declared) - {"intensity"}
        if unknown:
            raise ConfigError(f"image bounds name {sorted(unknown)}: expected only 'intensity' (lo, hi)")
        if "intensity" in declared:
            lo, hi = declared["intensity"]
            self.limits, self.source = (-np.inf if lo is None else lo, np.inf if hi is None else hi), "declared"
        else:
            pad = RANGE_MARGIN * self.span
            self.limits, self.source = (self.low - pad, self.high + pad), "learned"

    def check(self, records: ImageSet, context: CheckContext) -> Verdict:
        x = _flat(records)
        lo, hi = self.limits
        outside = ((x < lo) | (x > hi)).mean(axis=1)
        return Verdict([f"image {i}: {o:.1%} of pixels outside the {self.source} range [{lo:.4g}, {hi:.4g}] "
                        f"(min {np.nanmin(x[i]):.4g}, max {np.nanmax(x[i]):.4g})" if o > RANGE_SHARE else None
                        for i, o in enumerate(outside)])

    def summary(self) -> dict:
        return {"range": [round(float(v), 6) for v in self.limits], "source": self.source, "max_share_outside": RANGE_SHARE}


class ModeCollapseValidator(_ImageCheck):
    """An image closer to its class's mean image than any real image of that class is (a generator's average face).

    The distance is RMS pixel difference in [0, 1] units of the training range. Needs the
    training images (the class means are not kept in bundles: with a one-image class the
    mean would be that image).
    """

    name = "imaging.mode-collapse"
    description = "image closer to its class mean than any real image of the class"

    def prepare(self, context: CheckContext) -> None:
        super().prepare(context)
        self.active = context.reference is not None
        if not self.active:
            return
        ref = context.reference
        self.columns = list(ref.metadata.columns)
        keys = _class_keys(ref.metadata, self.columns)
        flat = _flat(ref)
        self.means, self.limits = {}, {}
        for key in pd.unique(keys):
            members = flat[keys == key]
            mean = members.mean(axis=0)
            self.means[key] = mean
            dist = np.sqrt(np.mean((members - mean) ** 2, axis=1)) / self.span
            self.limits[key] = float(dist.min()) if len(members) >= 5 else 0.0  # too few to say what is typical

    def check(self, records: ImageSet, context: CheckContext) -> Verdict:
        if not self.active:
            return Verdict.keep_all(len(records))
        present = [c for c in self.columns if c in records.metadata.columns]
        keys = _class_keys(records.metadata, present) if present == self.columns else np.array([None] * len(records))
        flat = _flat(records)
        reasons = []
        for i, key in enumerate(keys):
            if key not in self.means:
                reasons.append(None)
                continue
            d = float(np.sqrt(np.mean((flat[i] - self.means[key]) ** 2)) / self.span)
            reasons.append(f"image {i} is {d:.4f} from the mean image of class {key!r}: real images of the class are "
                           f"at least {self.limits[key]:.4f} (mode collapse)" if d < self.limits[key] else None)
        return Verdict(reasons)

    def summary(self) -> dict[str, Any]:
        if not self.active:
            return {"applied": False, "reason": "needs the training images"}
        return {"applied": True, "min_distance_to_class_mean": {str(k): round(v, 6) for k, v in self.limits.items()}}


def _class_keys(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    if not columns:
        return np.array(["all"] * len(frame), dtype=object)
    return frame[columns].astype(str).agg("/".join, axis=1).to_numpy(dtype=object)


VALIDATORS = (BlankValidator, SaturatedValidator, IntensityValidator, ModeCollapseValidator)
