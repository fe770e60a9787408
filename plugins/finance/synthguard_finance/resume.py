"""New rows for a fitted finance model (``synthguard fit finance --resume BUNDLE --data NEW``): same schema, the
bundle's vocabulary.

A resumed model keeps the bundle's column tokens (categories, spikes, quantile bins): its network's
vocabulary is fixed, and the bundle's value protection decided which values it may ever emit. So:

* **schema** — the new table must have the bundle's columns (those its value protection dropped as
  identifiers may be present and are ignored again), each of the same kind (numeric, categorical,
  boolean, datetime), and missing values only where the bundle's column had some. Anything else is a
  changed schema, refused with one :class:`DataError` before any training: fit afresh instead.
* **numbers and dates** outside the bundle's range fall into its lowest or highest bin (the bundle's
  clipping, as value protection clips extremes); values between known ones take the nearest known value.
* **categories outside the bundle's vocabulary** are what value protection calls rare values (the bundle
  never released them): they become the bundle's rare marker (``_RARE_``) where its vocabulary has one;
  otherwise, as value protection does with a lone rare value, a category of the bundle's vocabulary drawn
  in proportion to the new rows that hold one (seeded). The fit facts count such cells per column, never
  naming the values.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from synthguard import DataError, Table

#: value protection's rare marker (synthguard.privacy.value_protection.RARE_MARKER, not public API).
RARE_MARKER = "_RARE_"


def check_schema(codecs: list[Any], data: Table, ignored: set[str]) -> None:
    """One DataError naming the first difference between the bundle's columns (``codecs``) and ``data``'s."""
    expected = [c.name for c in codecs]
    got = [name for name in data.meta.names if name not in ignored]
    missing = [name for name in expected if name not in got]
    extra = [name for name in got if name not in expected]
    if missing or extra:
        parts = ([f"lacks column(s) {missing}"] if missing else []) + ([f"has column(s) {extra} it was not trained on"]
                                                                       if extra else [])
        raise DataError(f"new data {' and '.join(parts)}: expected the bundle's columns {expected} "
                        "(same schema; fit afresh for another table)")
    for codec in codecs:
        col = data.meta.column(codec.name)
        if col.kind.value != codec.kind:
            raise DataError(f"column {codec.name!r} is {col.kind.value} in the new data: expected the bundle's "
                            f"{codec.kind} column (same schema; fit afresh for another table)")
        if col.nullable and not codec.has_nan:
            raise DataError(f"column {codec.name!r} has missing values in the new data: expected the bundle's "
                            "column without any (fill them, or fit afresh)")


def in_vocabulary(codecs: list[Any], frame: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, dict[str, int]]:
    """``frame`` with every category outside its column's bundle vocabulary replaced (see the module's rule),
    and how many cells of each column were replaced."""
    frame = frame.copy()
    counts: dict[str, int] = {}
    for codec in codecs:
        if codec.kind not in ("categorical", "boolean"):
            continue
        series = frame[codec.name]
        keys = series.map(lambda v: str(bool(v)) if codec.kind == "boolean" else str(v))
        known = {str(v): v for v in codec.values}
        unseen = (series.notna() & ~keys.isin(known)).to_numpy()
        if not unseen.any():
            continue
        counts[codec.name] = int(unseen.sum())
        values = series.astype(object).to_numpy(copy=True)
        if codec.kind == "categorical" and RARE_MARKER in known:
            values[unseen] = RARE_MARKER
        else:
            held = keys[series.notna().to_numpy() & ~unseen]
            if not len(held):
                raise DataError(f"column {codec.name!r}: none of the new values is in the bundle's vocabulary of "
                                f"{len(codec.values)}: expected new rows of the same table (fit afresh for another)")
            share = held.value_counts(normalize=True)
            rng = np.random.default_rng([seed, len(codec.name)])
            values[unseen] = [known[k] for k in rng.choice(share.index.to_numpy(), size=int(unseen.sum()),
                                                           p=share.to_numpy())]
        frame[codec.name] = values
    return frame, counts
