"""Inter-column rules such as ``balance <= limit`` or ``amount > 0`` — parsed, never eval'd."""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from synthguard import ConfigError, TableMeta
from synthguard import numeric_values

_OPS = {"<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt, "==": operator.eq, "!=": operator.ne}
_RULE = re.compile(r"^\s*(?P<left>[^<>=!]+?)\s*(?P<op><=|>=|==|!=|<|>)\s*(?P<right>[^<>=!]+?)\s*$")


@dataclass(frozen=True)
class Rule:
    text: str
    left: str
    op: str
    right: str | float  # a column name or a number

    def violated(self, frame: pd.DataFrame) -> np.ndarray:
        """True where the rule fails; rows with a missing operand are not judged."""
        a = _values(frame[self.left])
        b = _values(frame[self.right]) if isinstance(self.right, str) else np.full(len(frame), float(self.right))
        known = ~np.isnan(a) & ~np.isnan(b)
        return known & ~_OPS[self.op](a, b)


def _values(series: pd.Series) -> np.ndarray:
    return numeric_values(series, "datetime" if pd.api.types.is_datetime64_any_dtype(series) else "numeric")


def parse_rule(text: str, meta: TableMeta) -> Rule:
    m = _RULE.match(text)
    if not m:
        raise ConfigError(f"rule {text!r} is malformed: expected 'COLUMN OP COLUMN|NUMBER' with OP one of {', '.join(_OPS)}")
    left, op, right = m.group("left"), m.group("op"), m.group("right")
    numeric = {c.name for c in meta.columns if c.kind.value in ("numeric", "datetime")}
    for name in (left, right):
        if name in meta.names and name not in numeric:
            raise ConfigError(f"rule {text!r}: column {name!r} is not numeric: expected numeric columns")
    if left not in meta.names:
        raise ConfigError(f"rule {text!r} names unknown column {left!r}: expected one of {', '.join(meta.names)}")
    if right not in meta.names:
        try:
            right_value: str | float = float(right)
        except ValueError:
            raise ConfigError(f"rule {text!r} names unknown column {right!r}: expected a column or a number") from None
        return Rule(text, left, op, right_value)
    return Rule(text, left, op, right)
