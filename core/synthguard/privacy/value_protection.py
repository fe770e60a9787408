"""Value protection: rare categories, extreme values and identifiers leave a table before any generator sees it.

Membership leaks start where a value belongs to very few people: a job title only one applicant has, the
largest income in the table, a row number. A generator that learns such a value can emit it, and an
emitted value that exactly one real person has singles that person out, whatever the rest of the record
says. :func:`protect` rewrites the *training* table so that every value a generator can learn is held by
at least ``k`` distinct entities (the unit of privacy: a person, a customer; each row by default):

* **categorical** (and free-text) columns — a value held by fewer than the threshold of distinct entities
  becomes the rare marker :data:`RARE_MARKER` (``"_RARE_"``, the marker MOSTLY AI uses, so users of both
  read it alike). What remains is the column's *safe vocabulary*. Should the marker itself end up held by
  fewer entities than the threshold (one rare value in the column), a marker would merely rename that
  value, so those cells instead get a value drawn from the safe vocabulary, in proportion to its rows.
  Boolean columns cannot hold a marker and always take that route (a rare ``True`` becomes ``False``).
* **numeric and datetime** columns — values below the threshold-th smallest entity value, or above the
  threshold-th largest, are clipped to it: each end of the range is then held by at least the threshold of
  entities. The bounds are values of the column, so whole numbers stay whole and integer columns integers.
* **identifier-like** columns (row numbers, account ids, names: nearly every value belongs to one entity)
  are dropped: identifier columns are not modelled. Text and whole-number columns qualify when at least
  ``identifier_share`` (95%) of their non-missing cells hold a value that only one entity has, over at least
  ``identifier_min_values`` (50) cells; a whole-number column needs, besides, an id-like name (``id``,
  ``uuid``, ``customer_id``, ``rownames``...) or values that number the rows (a dense range); a text column
  with an id-like name needs only 50%. Continuous numbers are never identifiers (they are mostly unique by
  nature and are clipped instead).

Missing values are left as they are. The threshold is not exactly ``k``: like MOSTLY AI's, it is drawn per
column (and per end of a numeric range) from ``k .. k + k_noise`` (default 5..7), so someone who can add or
remove one record and watch whether a value survives cannot tell where the line sits (a threshold attack).
Hence the guarantees: a value held by fewer than ``k`` entities never survives, one held by at least
``k + k_noise`` always does. The drawn thresholds are not reported.

The protected table's :class:`~synthguard.data.TableMeta` is rebuilt from the protected values (categories,
ranges, distinct counts; kinds, dtypes and nullability unchanged), so a generator fitted on it learns the
marker as an ordinary category. The report says, per column, what changed — counts and bounds, never the
rare values themselves — and is plain JSON.

>>> protected, report = protect(train, k=5, seed=0)            # doctest: +SKIP
>>> report["summary"]["cells_changed"], report["dropped"]        # doctest: +SKIP
"""

from __future__ import annotations

import re
import sys
import zlib
from typing import Any, Sequence

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from ..contract import validated
from ..data import ColumnKind, ColumnMeta, Table, TableMeta, numeric_values
from ..errors import DataError

#: What a rare category becomes (MOSTLY AI's marker). A legitimate category of the protected table.
RARE_MARKER = "_RARE_"
#: Default least number of distinct entities a value must be held by (MOSTLY AI's lower threshold).
DEFAULT_K = 5
#: Default width of the random threshold: it is drawn from k .. k + DEFAULT_K_NOISE (MOSTLY AI: 5..7).
DEFAULT_K_NOISE = 2
#: Version of the report's layout.
REPORT_SPEC = "synthguard.value_protection/1"

_ID_TOKENS = {"id", "ids", "uuid", "guid", "ssn", "rownames", "rowid", "rownum", "iban"}
_ID_NAMES = {"index", "unnamed: 0", "row", "key", "pk"}


class ValueProtection(BaseModel):
    """Settings of :func:`protect` (all optional; the defaults are MOSTLY AI's value protection)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    k: int = Field(DEFAULT_K, ge=1, description="a value held by fewer distinct entities never survives")
    k_noise: int = Field(DEFAULT_K_NOISE, ge=0, description="the threshold is drawn from k .. k + k_noise "
                         "per column and range end; a value held by k + k_noise entities always survives")
    rare_marker: str = Field(RARE_MARKER, min_length=1, description="what a rare category becomes")
    categories: bool = Field(True, description="replace rare categories (categorical, free-text, boolean columns)")
    clip: bool = Field(True, description="clip extreme numeric and datetime values")
    drop_identifiers: bool = Field(True, description="drop identifier-like columns")
    identifier_share: float = Field(0.95, gt=0, le=1, description="share of cells holding a value of one entity "
                                    "from which a text or whole-number column is an identifier")
    identifier_min_values: int = Field(50, ge=2, description="non-missing cells a column needs to be judged an identifier")
    free_text_min_distinct: int = Field(100, ge=2, description="a categorical column with this many distinct "
                                        "values is reported as free text (same rule, safe-vocabulary counts)")
    exclude: list[str] = Field(default_factory=list, description="columns left exactly as they are (e.g. a target)")


def identifier_like_name(name: str) -> bool:
    """Whether a column name reads as an identifier: ``id``, ``uuid``, ``customer_id``, ``customerId``, ``rownames``..."""
    if name.strip().lower() in _ID_NAMES:
        return True
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    tokens = {t.lower() for t in re.split(r"[^A-Za-z0-9]+", spaced) if t}
    return bool(tokens & _ID_TOKENS)


def protect(table: Table, *, entities: np.ndarray | Sequence[Any] | None = None, k: int | None = None, seed: int = 0,
            settings: ValueProtection | dict[str, Any] | None = None) -> tuple[Table, dict[str, Any]]:
    """The table with rare categories replaced, extreme values clipped and identifier columns dropped.

    Args:
        table: the training table (never the holdout: that stays real, to measure against).
        entities: one id per row naming whose row it is (a customer with several loans); counts are of
            *distinct* entities, so one person's value repeated over many rows is still rare. None: each row
            is its own entity.
        k: least number of distinct entities a value must be held by (overrides ``settings.k``).
        seed: seeds the threshold draws and the replacements of lone rare values; same seed, same output.
        settings: :class:`ValueProtection` or a dict of its fields.

    Returns:
        ``(protected, report)``: a new :class:`Table` whose metadata matches its values, and a JSON-able
        dict with the settings, the dropped columns and, per column, what was replaced or clipped.

    Raises:
        DataError: ``entities`` does not have one non-missing id per row, the table holds fewer than
            ``2 * (k + k_noise)`` entities, or every column would be dropped.
        ConfigError: a bad setting.
    """
    if not isinstance(table, Table):
        raise DataError(f"value protection works on tables: got {type(table).__name__}")
    opts = validated(ValueProtection, settings, "value protection")
    if k is not None:
        opts = validated(ValueProtection, {**opts.model_dump(), "k": k}, "value protection")
    unknown = [c for c in opts.exclude if c not in table.meta.names]
    if unknown:
        raise DataError(f"value protection: exclude names unknown column(s) {unknown}: expected some of {table.meta.names}")
    ent = _entity_codes(entities, len(table))
    n_entities = int(ent.max()) + 1 if len(ent) else 0
    least = 2 * (opts.k + opts.k_noise)
    if n_entities < least:
        raise DataError(f"value protection needs at least {least} entities (2 x (k + k_noise)) to keep values shared by "
                        f"k of them at both ends of a range: got {n_entities}")

    frame = table.frame.copy()
    columns: list[ColumnMeta] = []
    per_column: dict[str, dict[str, Any]] = {}
    dropped: list[dict[str, Any]] = []
    totals = {"cells_replaced": 0, "cells_clipped": 0, "cells_dropped": 0}
    for col in table.meta.columns:
        series = frame[col.name]
        present = int(series.notna().sum())
        if col.name in opts.exclude:
            per_column[col.name] = {"kind": col.kind.value, "action": "excluded"}
            columns.append(col)
            continue
        reason = _identifier_reason(col, series, ent, opts) if opts.drop_identifiers else None
        if reason is not None:
            dropped.append({"column": col.name, "kind": col.kind.value, "reason": reason, "cells": present})
            totals["cells_dropped"] += present
            frame = frame.drop(columns=col.name)
            continue
        rng = np.random.default_rng([seed, zlib.crc32(col.name.encode())])
        if col.kind in (ColumnKind.categorical, ColumnKind.boolean):
            if not opts.categories:
                per_column[col.name] = {"kind": col.kind.value, "action": "untouched"}
                columns.append(col)
                continue
            new, info = _protect_categories(col, series, ent, opts, rng)
            totals["cells_replaced"] += info["cells_replaced"]
        else:
            if not opts.clip:
                per_column[col.name] = {"kind": col.kind.value, "action": "untouched"}
                columns.append(col)
                continue
            new, info = _clip(col, series, ent, opts, rng)
            if new is None:
                dropped.append({"column": col.name, "kind": col.kind.value, "reason": info["reason"], "cells": present})
                totals["cells_dropped"] += present
                frame = frame.drop(columns=col.name)
                continue
            totals["cells_clipped"] += info["cells_clipped"]
        frame[col.name] = new
        per_column[col.name] = info
        columns.append(_updated_meta(col, new))
    if not columns:
        raise DataError("value protection would drop every column (each is identifier-like): expected at least one "
                        "column to model")
    protected = Table(frame, TableMeta(name=table.meta.name, columns=columns))
    cells = int(table.frame.notna().to_numpy().sum())
    changed = sum(totals.values())
    report = {
        "spec": REPORT_SPEC,
        "settings": opts.model_dump(),
        "threshold": {"low": opts.k, "high": opts.k + opts.k_noise,
                      "note": "drawn per column and range end from this range; the drawn values are not reported"},
        "rows": len(table), "entities": n_entities, "entities_given": entities is not None,
        "dropped": dropped,
        "dropped_note": "identifier columns are not modelled" if dropped else None,
        "columns": per_column,
        "summary": {**totals, "cells_changed": changed, "cells": cells,
                    "share_changed": round(changed / cells, 6) if cells else 0.0,
                    "columns_kept": len(columns), "columns_dropped": len(dropped)},
    }
    return protected, report


def protect_frame(frame: pd.DataFrame, *, name: str = "table", entities: np.ndarray | Sequence[Any] | None = None,
                  k: int | None = None, seed: int = 0,
                  settings: ValueProtection | dict[str, Any] | None = None) -> tuple[Table, dict[str, Any]]:
    """:func:`protect` for a DataFrame, including free-text columns too wide for :meth:`Table.from_frame`.

    ``Table.from_frame`` refuses a text column with more than ``MAX_CATEGORIES`` distinct values; here the
    column is read whatever its width, and only its safe vocabulary (values of at least ``k`` entities)
    reaches the protected table.
    """
    return protect(Table.from_frame(frame, name=name, max_categories=sys.maxsize), entities=entities, k=k, seed=seed,
                   settings=settings)


# --------------------------------------------------------------------------- helpers


def _entity_codes(entities: np.ndarray | Sequence[Any] | None, n: int) -> np.ndarray:
    if entities is None:
        return np.arange(n)
    ids = pd.Series(np.asarray(entities, dtype=object) if not isinstance(entities, pd.Series) else entities.to_numpy())
    if len(ids) != n:
        raise DataError(f"{len(ids)} entity ids for {n} rows: expected one per row")
    if ids.isna().any():
        raise DataError(f"{int(ids.isna().sum())} rows have no entity id: expected one for every row")
    return pd.factorize(ids)[0].astype(np.int64)


def _threshold(opts: ValueProtection, rng: np.random.Generator) -> int:
    return opts.k + int(rng.integers(0, opts.k_noise + 1))


def _keys(series: pd.Series, kind: ColumnKind) -> pd.Series:
    """Non-missing values in the comparable form the metadata uses (categories as text)."""
    values = series.dropna()
    if kind in (ColumnKind.numeric, ColumnKind.datetime):
        return pd.Series(numeric_values(values, kind), index=values.index)
    return values.map(str)


def _holders(keys: pd.Series, ent: np.ndarray) -> pd.Series:
    """Distinct entities holding each value."""
    pairs = pd.DataFrame({"v": keys.to_numpy(), "e": ent[keys.index.to_numpy()]}).drop_duplicates()
    return pairs["v"].value_counts()


def _identifier_reason(col: ColumnMeta, series: pd.Series, ent: np.ndarray, opts: ValueProtection) -> str | None:
    if col.kind is ColumnKind.numeric and not col.integer or col.kind not in (ColumnKind.numeric, ColumnKind.categorical):
        return None
    keys = _keys(series, col.kind)
    if len(keys) < opts.identifier_min_values:
        return None
    holders = _holders(keys, ent)
    share = float(keys.isin(holders.index[holders == 1]).mean())
    named = identifier_like_name(col.name)
    what = f"{share:.1%} of its {len(keys)} values belong to one entity each"
    if col.kind is ColumnKind.categorical:
        if share >= opts.identifier_share:
            return f"identifier-like: {what}"
        if named and share >= 0.5:
            return f"identifier-like: id-like name and {what}"
        return None
    if share < opts.identifier_share:
        return None
    distinct = keys.unique()
    dense = float(distinct.max() - distinct.min() + 1) <= 2 * len(distinct)
    if named:
        return f"identifier-like: id-like name and {what}"
    if dense:
        return f"identifier-like: whole numbers numbering the rows ({what}, range {len(distinct)} values wide at most 2x)"
    return None


def _protect_categories(col: ColumnMeta, series: pd.Series, ent: np.ndarray, opts: ValueProtection,
                        rng: np.random.Generator) -> tuple[pd.Series, dict[str, Any]]:
    keys = _keys(series, col.kind)
    holders = _holders(keys, ent)
    t = _threshold(opts, rng)
    rare = holders.index[holders < t]
    kept = holders.index[holders >= t]
    rare_rows = keys.index[keys.isin(rare)]
    info: dict[str, Any] = {"kind": col.kind.value, "distinct_before": int(len(holders)),
                            "rare_values": int(len(rare)), "cells_replaced": int(len(rare_rows))}
    if col.kind is ColumnKind.categorical and len(holders) >= opts.free_text_min_distinct:
        info["free_text"] = True
        info["safe_vocabulary"] = int(len(kept))
        info["values_replaced"] = int(len(rare))
    if not len(rare_rows):
        info.update(action="none", distinct_after=int(len(holders)))
        return series, info
    out = series.astype(object).copy() if col.kind is ColumnKind.categorical else series.copy()
    marker = opts.rare_marker
    marker_holders = len(np.unique(ent[rare_rows.to_numpy()]))
    if col.kind is ColumnKind.categorical and marker in holders.index:
        marker_holders = len(np.unique(ent[keys.index[keys == marker].to_numpy()]))  # the marker was a real value too
    if col.kind is ColumnKind.categorical and (marker_holders >= t or not len(kept)):
        out.loc[rare_rows] = marker
        info["action"] = "rare_to_marker"
        info["marker"] = marker
        if not len(kept):
            info["note"] = "every value is rare: the column holds only the marker"
    elif len(kept):
        # the marker would be held by too few entities and single them out: take safe values instead
        pool = keys[keys.isin(kept)]
        originals = {str(v): v for v in series.dropna().unique()}  # keys are the values as text
        draws = rng.choice(pool.to_numpy(), size=len(rare_rows), replace=True)
        out.loc[rare_rows] = [originals[d] for d in draws]
        info["action"] = "rare_to_safe_values"
        info["note"] = ("the rare cells would give the marker to fewer entities than the threshold"
                        if col.kind is ColumnKind.categorical else "a boolean column cannot hold a marker")
    else:  # a boolean column both of whose values are rare: too few entities to protect it
        info.update(action="none", cells_replaced=0, note="both values are rare: too few entities to protect the column")
        return series, info
    if isinstance(series.dtype, pd.CategoricalDtype):
        out = out.astype("category")
    elif col.kind is ColumnKind.categorical and not pd.api.types.is_object_dtype(series.dtype):
        out = out.astype(series.dtype)
    elif col.kind is ColumnKind.boolean:
        out = out.astype(series.dtype)
    info["distinct_after"] = int(out.dropna().map(str).nunique())
    return out, info


def _clip(col: ColumnMeta, series: pd.Series, ent: np.ndarray, opts: ValueProtection,
          rng: np.random.Generator) -> tuple[pd.Series | None, dict[str, Any]]:
    keys = _keys(series, col.kind)
    by_entity = pd.Series(keys.to_numpy(), index=ent[keys.index.to_numpy()]).groupby(level=0)
    lows, highs = np.sort(by_entity.min().to_numpy()), np.sort(by_entity.max().to_numpy())[::-1]
    t_low, t_high = _threshold(opts, rng), _threshold(opts, rng)
    info: dict[str, Any] = {"kind": col.kind.value}
    if len(lows) < max(t_low, t_high) or lows[t_low - 1] > highs[t_high - 1]:
        info["reason"] = (f"too few entities hold a value ({len(lows)}) to keep each end of its range shared by "
                          f"{opts.k}+ of them")
        return None, info
    low, high = float(lows[t_low - 1]), float(highs[t_high - 1])
    x = numeric_values(series, col.kind)
    below, above = int(np.sum(x < low)), int(np.sum(x > high))
    if col.kind is ColumnKind.datetime:
        lo_b, hi_b = pd.Timestamp(int(low)), pd.Timestamp(int(high))
        out = series.clip(lower=lo_b, upper=hi_b) if below or above else series
        shown = [lo_b.isoformat(), hi_b.isoformat()]
    else:
        if pd.api.types.is_integer_dtype(series.dtype):
            lo_b, hi_b = int(low), int(high)
        else:
            lo_b, hi_b = low, high
        out = series.clip(lower=lo_b, upper=hi_b) if below or above else series
        shown = [lo_b, hi_b]
    info.update(action="clipped" if below or above else "none", bounds=shown, cells_clipped_low=below,
                cells_clipped_high=above, cells_clipped=below + above)
    return out, info


def _updated_meta(col: ColumnMeta, series: pd.Series) -> ColumnMeta:
    values = series.dropna()
    update: dict[str, Any] = {"n_unique": int(values.nunique())}
    if col.kind in (ColumnKind.numeric, ColumnKind.datetime):
        x = numeric_values(values, col.kind)
        update.update(minimum=float(x.min()), maximum=float(x.max()))
    elif col.kind is ColumnKind.boolean:
        update["categories"] = sorted(bool(v) for v in values.unique())
    else:
        update["categories"] = sorted(str(v) for v in values.unique())
    return col.model_copy(update=update)


__all__ = ["protect", "protect_frame", "ValueProtection", "identifier_like_name", "RARE_MARKER", "DEFAULT_K",
           "DEFAULT_K_NOISE", "REPORT_SPEC"]
