"""Early rejection: privacy filters that judge a record by a few of its columns, asked before the rest is drawn.

k-anonymity rejects a record by its quasi-identifiers alone. A table generator that draws columns one at a time
(``Generator.supports_screening``, the finance transformer) draws a :class:`Screen`'s columns first, asks
:meth:`Screen.keep` about each partial record and draws the other columns for the kept ones only: on lending_club,
where k-anonymity refuses ~37% of draws, a refused draw then costs 3 of its 23 columns instead of all of them. It
is rejection sampling as before, with the screen's columns drawn first.

The stopped draws are rejections like any other: counted against their filter, and in the rejected table with the
columns never drawn left empty. A screen decides nothing on its own: the gate still runs every filter on every
delivered record.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from .contract import CheckContext, Generator, PrivacyFilter
from .data import ColumnKind, ColumnMeta, Table, TableMeta

#: What a stopped draw's reason says besides its filter's reason.
STOPPED = "stopped before its other columns were drawn"


class Screen:
    """The privacy filters of a run that judge a table record by ``columns`` alone, and the draws they stopped."""

    def __init__(self, filters: Sequence[PrivacyFilter], context: CheckContext, meta: TableMeta):
        self.filters = [f for f in filters if f.screen_columns()]
        self.columns = tuple(dict.fromkeys(c for f in self.filters for c in f.screen_columns()))
        self.context, self.meta = context, meta
        self._stopped: list[Table] = []
        self._reasons: list[pd.DataFrame] = []
        self._tally = {f.name: 0 for f in self.filters}

    @classmethod
    def for_run(cls, generator: Generator, filters: Sequence[PrivacyFilter], context: CheckContext) -> "Screen | None":
        """A screen when ``generator`` can use one and some filter judges records by a subset of its columns."""
        meta = getattr(generator, "meta_", None)
        if not generator.supports_screening or not isinstance(meta, TableMeta):
            return None
        screen = cls(filters, context, meta)
        return screen if screen.columns and set(screen.columns) <= set(meta.names) else None

    def keep(self, drawn: pd.DataFrame) -> np.ndarray:
        """True for each partial record (a row of ``drawn``: the screen's columns, in their final values) that every
        screening filter keeps; the others are remembered, with their reasons, for :meth:`collect`."""
        from .pipeline import gate  # the gate's own reasons and counts, run on the partial records

        partial = self._partial(drawn)
        ok, info = gate(partial, [], self.filters, self.context, self._tally)
        if not ok.all():
            info["reason"] = info["reason"] + f" ({STOPPED})"
            self._stopped.append(partial.take(np.flatnonzero(~ok)))
            self._reasons.append(info)
        return ok

    def collect(self, tally: dict[str, int]) -> tuple[Table | None, pd.DataFrame | None]:
        """The draws stopped since the last call (partial records) and their stage/checks/reason rows; each stopped
        draw counts once against every filter that stopped it in ``tally``."""
        for name, n in self._tally.items():
            tally[name] = tally.get(name, 0) + n
        self._tally = {f.name: 0 for f in self.filters}
        if not self._stopped:
            return None, None
        stopped, info = Table.concat(self._stopped), pd.concat(self._reasons, ignore_index=True)
        self._stopped, self._reasons = [], []
        return stopped, info

    def _partial(self, drawn: pd.DataFrame) -> Table:
        """``drawn`` as a table of the generator's columns, those not drawn empty: NaN, NaT or None by kind (so
        that the rejected table keeps the column types it has without stopped draws)."""
        missing = [c for c in self.columns if c not in drawn.columns]
        if missing:
            raise ValueError(f"a screen needs the drawn columns {list(self.columns)}: {missing} missing")
        n = len(drawn)
        frame = pd.DataFrame({col.name: (drawn[col.name].reset_index(drop=True) if col.name in self.columns
                                         else pd.Series(np.full(n, None), dtype=empty_dtype(col)))
                              for col in self.meta.columns})
        return Table(frame, self.meta)


def empty_dtype(col: ColumnMeta) -> str | type:
    """The type of a column a stopped draw never drew: what the delivered column turns into when it has gaps
    (whole numbers stay integers, nullable)."""
    if col.kind is ColumnKind.numeric:
        return "Int64" if col.integer and col.dtype.startswith(("int", "uint", "Int", "UInt")) else "float64"
    return "datetime64[ns]" if col.kind is ColumnKind.datetime else object
