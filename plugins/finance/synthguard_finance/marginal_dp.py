"""``finance-mst``: a marginal-based differentially private table generator (MST on ``mbi``), the finance
domain's generator for ``--epsilon``.

DP-SGD on a transformer keeps ε but, on a table of 800 rows, loses the outcome's dependence on the other
columns (TSTR at chance, ``benchmarks/README.md``). Marginal-based mechanisms spend the budget on a few
noisy low-order marginals instead and fit a graphical model to them (McKenna, Miklau, Sheldon 2019,
"Graphical-model based estimation and inference for differential privacy"; MST: McKenna, Sheldon, Miklau
2021, "Winning the NIST Contest: A scalable and general approach to differentially private synthetic data").
The ``mbi`` package (private-pgm's successor) provides the estimation (mirror descent over a Markov random
field) and sampling; it ships no mechanisms, so MST is written here after private-pgm's
``mechanisms/mst.py`` with mbi 2.0's API.

Why MST and not AIM: AIM re-estimates the model after each of its rounds (16 x columns of them) and scores
every candidate marginal against the current model; mbi JIT-compiles (XLA) each new clique structure and each
variable-elimination query, about 0.45 s a compile on this 2-core machine, and eager mode ran at 1.1 s per
mirror-descent step. An AIM written here took 184-479 s for a 3-round fit of 60 rows of german_credit
(2026-12-03); MST needs two estimates, and its tree selection is computed in NumPy.

What touches the private table, and what each step costs (everything below is in ``fit_info_["privacy"]``).
The budget split follows MST: a third of ρ for the 1-way marginals, the rest for the pairs (``oneway_share``,
``select_share``).

1. **1-way marginals, which also release the domains** (ρ·``oneway_share``, d equal parts, Gaussian noise σ₁).
   Nothing about a column's values is read from the data for free: the core's column metadata (observed
   ranges and category lists) is not used.
   Categories: the ``public_domains`` option (``{"col": {"categories": [...]}}``) and a boolean's {False, True}
   are public cells, noised whether observed or not. Otherwise a *thresholded Gaussian histogram*: every value
   observed in the column (and missing) gets its count plus N(0, σ₁²) and is released only if that clears
   τ = 1 + σ₁·Φ⁻¹(1 − δ_col). A record whose value is unique to it is released with probability at most
   δ_col, otherwise the release is a Gaussian mechanism of ℓ2-sensitivity 1: δ_col-approximate zCDP (Bun & Steinke
   2016, §8). Values below τ share one "other" cell (sampled back as a released category, in proportion to
   the model's marginal). A column none of whose values is released cannot be sampled: fit stops with a
   ``DataError`` naming it (give its categories publicly, raise ε, or drop it).
   Numbers: a public grid that depends on nothing but the column's kind — exact 0, and ±the ISO 3 R10
   preferred numbers of each decade 10^KMIN … 10^KMAX (1, 1.25, 1.6, 2, 2.5, 3.15, 4, 5, 6.3, 8; whole-number
   columns from 1, edges rounded up) — is measured in full: every cell gets noise, empty or not (a plain
   Gaussian mechanism, no δ), and missing values are one more cell. The column's bins are then a function of
   those noisy counts only (post-processing): the range is the densest cluster of cells (or decades) clearing
   a 0.1%-family-wise noise test, trimmed and grown by neighbours, and adjacent cells merge until each bin
   holds ≥ max(3σ₁, n̂/``bins``) — few bins at a small ε or n, up to ``bins`` at a large one. The bins' noisy
   counts are the 1-way measurement (a bin of k cells weighted 1/√k). ``public_domains`` ``bounds`` instead
   give equal bins over a public range, measured at σ₁.
2. **Pairs** (MST): a maximum spanning tree of column pairs chosen by d−1 exponential-mechanism draws
   (ρ·``select_share``; each ε_r-DP, i.e. ε_r²/8-zCDP) scoring how far a pair's counts are from the independent
   model of the noisy 1-ways, less the pair's expected noise √(2/π)·σ₂·cells (AIM's penalty: a big pair must
   earn its noise); the tree's pairs are measured with the rest of ρ (Gaussian, a measurement of σ costs
   1/(2σ²)). mbi's mirror descent fits the model to all measurements, with the record count n as its total
   (n is treated as public, as in the default δ). Which pairs are chosen depends on the data alone: no column
   (the downstream target included) is favoured.
3. **Accounting**: the budget is zCDP throughout. ρ comes from (ε, δ_conv) by the conversion of Canonne,
   Kamath & Steinke 2020 (Prop. 12 of "The Discrete Gaussian for Differential Privacy", the one private-pgm's
   ``cdp_rho`` uses), with δ_conv = δ·(1 − ``threshold_delta_share``); the thresholds spend the rest of δ.
   Composition: Σρ and Σδ add, and δ'-approximate ρ-zCDP is (ε, δ_conv + δ')-DP with ε from the same
   conversion. ``epsilon_spent`` is that ε for the ρ actually spent, which never exceeds what was asked.

Sampling decodes each cell back to a value: a category, NaN, a point (0) or a uniform draw inside the
bin (whole numbers stay whole), then gives the columns their real dtypes back.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
import torch
from pydantic import BaseModel, ConfigDict, Field, model_validator
from scipy.stats import norm
from synthguard import (ColumnKind, ConfigError, DataError, Generator, GeneratorConfig, Table, numeric_values,
                        restore_types)
from synthguard.models import default_delta

#: Decades of the numeric grid: |v| in [10^k, 10^(k+1)) for k in [KMIN, KMAX] (beyond: the end cells).
KMIN, KMAX = -4, 19
NAN = "\x00nan"


# --------------------------------------------------------------------------- zCDP <-> (ε, δ)

def cdp_delta(rho: float, eps: float) -> float:
    """δ of ρ-zCDP at ε (Canonne, Kamath & Steinke 2020, Prop. 12; private-pgm's ``cdp_delta``)."""
    if rho <= 0:
        return 0.0
    if eps < 0:
        return 1.0
    amin, amax = 1.01, (eps + 1) / (2 * rho) + 2
    for _ in range(1000):  # the optimal order α by bisection on the derivative
        alpha = (amin + amax) / 2
        derivative = (2 * alpha - 1) * rho - eps + math.log1p(-1.0 / alpha)
        if derivative < 0:
            amin = alpha
        else:
            amax = alpha
    delta = math.exp((alpha - 1) * (alpha * rho - eps) + alpha * math.log1p(-1 / alpha)) / (alpha - 1.0)
    return min(delta, 1.0)


def cdp_eps(rho: float, delta: float) -> float:
    """Smallest ε with ρ-zCDP ⇒ (ε, δ)-DP (upper end of the bisection: never understates ε)."""
    if rho <= 0:
        return 0.0
    lo, hi = 0.0, rho + 2 * math.sqrt(rho * math.log(1 / delta))  # Bun & Steinke's bound is an upper bound
    for _ in range(1000):
        mid = (lo + hi) / 2
        if cdp_delta(rho, mid) <= delta:
            hi = mid
        else:
            lo = mid
    return hi


def cdp_rho(eps: float, delta: float) -> float:
    """Largest ρ whose zCDP gives (ε, δ)-DP (lower end of the bisection: never overstates ρ)."""
    lo, hi = 0.0, eps + 1
    for _ in range(1000):
        mid = (lo + hi) / 2
        if cdp_delta(mid, eps) <= delta:
            lo = mid
        else:
            hi = mid
    return lo


# --------------------------------------------------------------------------- config

class ColumnSchema(BaseModel):
    """Public knowledge of one column: no budget is spent to learn its domain."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    categories: list[Any] | None = Field(None, description="the column's possible values (categorical/boolean)")
    bounds: tuple[float, float] | None = Field(None, description="the public range [lo, hi] of a numeric column")
    nullable: bool = Field(False, description="the column may be missing (a public 'missing' cell)")


class MarginalDPConfig(GeneratorConfig):
    """MST's settings; ``epsilon`` is required at fit (this generator exists for --epsilon)."""

    epochs: int = Field(1, ge=1, description="unused: a marginal-based mechanism has no epochs")
    epsilon: float | None = Field(None, gt=0, description="total privacy budget ε (required: domains + mechanism)")
    delta: float | None = Field(None, gt=0, lt=1, description="total DP δ; default 1/(10·n), as for DP-SGD")
    oneway_share: float = Field(1 / 3, gt=0, lt=1, description="share of ρ for the 1-way marginals, which also "
                                "release the columns' domains (categories, numeric ranges) the schema does not give")
    select_share: float = Field(0.1, gt=0, lt=1, description="share of ρ for choosing the tree of pairs "
                                "(the rest measures the chosen pairs)")
    threshold_delta_share: float = Field(0.5, gt=0, lt=1, description="share of δ spent by the category thresholds "
                                         "(the rest converts ρ to ε)")
    bins: int = Field(16, ge=2, le=256, description="most bins per numeric column (fewer when the noisy counts "
                      "are small)")
    public_domains: dict[str, ColumnSchema] = Field(default_factory=dict, description="public column domains by column "
                                                    "(no budget spent on them)")
    final_iters: int = Field(1000, ge=10, description="mirror-descent iterations of the model fit")

    @model_validator(mode="after")
    def _shares_leave_budget_for_pairs(self):
        if self.oneway_share + self.select_share >= 1:
            raise ValueError(f"oneway_share + select_share = {self.oneway_share + self.select_share:g}: "
                             "expected below 1 (the rest measures the pairs)")
        return self


# --------------------------------------------------------------------------- column codecs

#: ISO 3 R10 preferred numbers: the public cells of each decade (a geometric grid, 10 cells a decade).
R10 = (1.0, 1.25, 1.6, 2.0, 2.5, 3.15, 4.0, 5.0, 6.3, 8.0)


def _range_bins(a: float, b: float, n_bins: int, integer: bool) -> list[list[float]]:
    """``[lo, hi)`` bins over [a, b) (public bounds): unit bins for small whole-number ranges, geometric across
    decades, linear otherwise."""
    if integer:
        a, b = math.ceil(a), math.ceil(b)
        if b - a <= n_bins:
            return [[float(i), float(i + 1)] for i in range(int(a), int(b))]
    if a > 0 and b / a > 10:
        edges = a * (b / a) ** (np.arange(n_bins + 1) / n_bins)
    elif b < 0 and a / b > 10:
        edges = -(-b * (a / b) ** (np.arange(n_bins + 1)[::-1] / n_bins))
    else:
        edges = np.linspace(a, b, n_bins + 1)
    if integer:
        edges = np.unique(np.ceil(edges))
    edges = np.unique(edges)
    return [[float(lo), float(hi)] for lo, hi in zip(edges[:-1], edges[1:])]


class _Grid:
    """The public cells of a number, in value order: −R10 cells of each decade, exact 0, +R10 cells (whole-number
    columns: decades from 10^0, edges rounded up, empty cells dropped). |v| below 10^KMIN joins the smallest
    cell, above 10^(KMAX+1) the largest. Depends on nothing but the column's kind."""

    def __init__(self, integer: bool):
        lows = [m * 10.0 ** k for k in range(0 if integer else KMIN, KMAX + 1) for m in R10]
        edges = np.array(lows + [10.0 ** (KMAX + 1)])
        if integer:
            edges = np.unique(np.ceil(edges))
        self.edges, self.integer = edges, integer
        self.p = len(edges) - 1  # magnitude cells

    @property
    def size(self) -> int:  # negative cells, 0, positive cells (missing values are a cell of their own, elsewhere)
        return 2 * self.p + 1

    def index(self, values: np.ndarray) -> np.ndarray:
        """Each finite value's cell (missing: -1)."""
        mag = np.clip(np.searchsorted(self.edges, np.abs(values), side="right") - 1, 0, self.p - 1)
        out = np.where(values > 0, self.p + 1 + mag, np.where(values < 0, self.p - 1 - mag, self.p))
        return np.where(np.isnan(values), -1, out)

    def decades(self) -> list[list[int]]:
        """The cells of each signed decade (and of 0), as index lists."""
        out: dict[tuple[int, int], list[int]] = {(0, 0): [self.p]}
        for j in range(self.p):
            k = int(math.floor(math.log10(self.edges[j]) + 1e-9))
            out.setdefault((1, k), []).append(self.p + 1 + j)
            out.setdefault((-1, k), []).append(self.p - 1 - j)
        return list(out.values())

    def cell(self, i: int) -> list[float]:
        """Cell ``i`` as a ``[lo, hi)`` value range (0: the point [0, 0])."""
        if i == self.p:
            return [0.0, 0.0]
        j = i - self.p - 1 if i > self.p else self.p - 1 - i
        a, b = float(self.edges[j]), float(self.edges[j + 1])
        if i > self.p:
            return [a, b]
        return [1 - b, 1 - a] if self.integer else [-b, -a]  # whole numbers -b+1 .. -a


def _category_keys(series: pd.Series) -> np.ndarray:
    return np.array([NAN if pd.isna(v) else str(v) for v in series], dtype=object)


@dataclasses.dataclass
class Codec:
    """One column's cells in the model: JSON-able, decided by public knowledge and released counts only."""

    name: str
    kind: str  # "categorical" | "numeric"
    labels: list[str] = dataclasses.field(default_factory=list)  # categorical: released values
    bins: list[list[float]] = dataclasses.field(default_factory=list)  # numeric: [lo, hi) (lo == hi: a point)
    nan: bool = False  # missing values are a cell of their own
    integer: bool = False
    datetime: bool = False
    how: str = ""  # for the ledger

    @property
    def size(self) -> int:
        if self.kind == "categorical":
            return len(self.labels) + int(self.nan) + 1  # + the "other" cell
        return max(1, len(self.bins) + int(self.nan))

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def encode(self, series: pd.Series) -> np.ndarray:
        if self.kind == "categorical":
            index = {label: i for i, label in enumerate(self.labels)}
            if self.nan:
                index[NAN] = len(self.labels)
            other = self.size - 1
            return np.array([index.get(k, other) for k in _category_keys(series)], dtype=np.int64)
        values = numeric_values(series, ColumnKind.datetime if self.datetime else ColumnKind.numeric)
        if not self.bins:
            return np.zeros(len(values), dtype=np.int64)
        lo = np.array([b[0] for b in self.bins])
        hi = np.array([b[1] for b in self.bins])
        v = np.nan_to_num(values, nan=0.0)[:, None]
        point = lo == hi
        tiny = 1e-9 * (1 + np.abs(hi))
        dist = np.where(v < lo, lo - v, np.where(v >= hi, v - hi + np.where(point, 0, tiny), 0.0))
        codes = np.argmin(dist, axis=1)
        nan = np.isnan(values)
        if nan.any():
            if self.nan:
                codes[nan] = len(self.bins)
            else:  # missing values were not released as a cell: the nearest cell to 0 takes them
                codes[nan] = int(np.argmin(np.where(point, np.abs(lo), np.minimum(np.abs(lo), np.abs(hi)))))
        return codes.astype(np.int64)

    def decode(self, codes: np.ndarray, rng: np.random.Generator, other_p: np.ndarray | None) -> pd.Series:
        n = len(codes)
        if self.kind == "categorical":
            out = np.full(n, None, dtype=object)  # the missing cell (code k when self.nan) stays None
            k = len(self.labels)
            labels = np.array(self.labels, dtype=object)
            inside = codes < k
            out[inside] = labels[codes[inside]]
            rest = codes == self.size - 1
            if rest.any() and k:  # "other": a released category, as often as the model draws it
                p = other_p if other_p is not None and other_p.sum() > 0 else np.ones(k)
                out[rest] = labels[rng.choice(k, size=int(rest.sum()), p=p / p.sum())]
            return pd.Series(out, dtype=object)
        values = np.full(n, np.nan)
        for i, (lo, hi) in enumerate(self.bins):
            at = np.flatnonzero(codes == i)
            if not len(at):
                continue
            if lo == hi:
                values[at] = lo
            elif self.integer:
                top = max(math.ceil(lo), math.ceil(hi) - 1)
                values[at] = rng.integers(math.ceil(lo), top + 1, size=len(at))
            else:
                values[at] = rng.uniform(lo, hi, size=len(at))
        if self.datetime:
            return pd.Series(pd.to_datetime(values, unit="ns"))
        return pd.Series(values)


# --------------------------------------------------------------------------- the generator

@dataclasses.dataclass(frozen=True)
class _Weighted:
    """mbi query: the first ``len(w)`` cells of a 1-way marginal, each times its weight (a released category: 1;
    a numeric bin merged from k grid cells: 1/√k, so every entry's noise has the same σ)."""

    w: tuple[float, ...]

    def __call__(self, f):
        import jax.numpy as jnp

        return f.datavector()[: len(self.w)] * jnp.asarray(self.w)

    def op_norm_sq(self) -> float:
        return max(self.w) ** 2


def _mbi():
    """Import mbi quietly (it warns about float32 mode: fine below 100k records, said in its own warning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import mbi
        from mbi import estimation
    return mbi, estimation


class _Counts:
    """Marginal counts of the encoded table in NumPy (mbi's Dataset.project compiles a JAX op per shape)."""

    def __init__(self, encoded: dict[str, np.ndarray], sizes: dict[str, int]):
        self.encoded, self.sizes = encoded, sizes

    def project(self, clique: tuple[str, ...]) -> np.ndarray:
        shape = [self.sizes[a] for a in clique]
        flat = np.ravel_multi_index([self.encoded[a] for a in clique], shape)
        return np.bincount(flat, minlength=int(np.prod(shape))).astype(float)


class FinanceMarginalDP(Generator):
    """MST over DP-released column domains: the finance domain's generator for ``--epsilon``."""

    name = "finance-mst"
    role = "dp"
    protects_values = True  # its domains are released under DP; value protection would spend privacy for free
    modality = "table"
    domain = "finance"
    description = ("MST marginal-based DP synthesizer (mbi graphical model): the finance generator for --epsilon, "
                   "column domains released under the same budget")
    Config = MarginalDPConfig
    default_dataset = "german_credit"
    supports_dp = True
    smoke_config = {"epsilon": 50.0, "final_iters": 50, "bins": 4}
    state_version = 1

    # ------------------------------------------------------------------ fit

    def _fit(self, data: Table, *, device, seed: int, progress: bool) -> dict[str, Any]:
        c = self.config
        if c.epsilon is None:
            raise ConfigError(f"generator {self.name!r} needs a privacy budget: expected epsilon > 0 "
                              "(--epsilon E); for a model without DP use 'finance'")
        n = len(data)
        if n < 2:
            raise DataError(f"{self.name}: {n} records: expected at least 2")
        delta = c.delta if c.delta is not None else default_delta(n)
        if delta >= 1.0 / n:
            raise ConfigError(f"delta {delta:g} is not below 1/n = {1 / n:g}: expected a smaller --delta")
        unknown = sorted(set(c.public_domains) - set(data.meta.names))
        if unknown:
            raise ConfigError(f"{self.name}: schema names unknown column(s) {unknown}: "
                              f"expected some of {data.meta.names}")
        mbi, estimation = _mbi()
        rng = np.random.default_rng(seed)
        delta_thr = delta * c.threshold_delta_share
        delta_conv = delta - delta_thr
        rho = cdp_rho(c.epsilon, delta_conv)
        d = len(data.meta.columns)

        # 1. every column's 1-way marginal, which also releases its domain (ρ·oneway_share, d equal parts)
        frame = data.frame
        rho1 = rho * c.oneway_share
        sigma1 = math.sqrt(d / (2 * rho1))
        thresholded = [col for col in data.meta.columns if self._thresholded(col)]
        delta_col = delta_thr / max(1, len(thresholded))
        tau = 1 + sigma1 * norm.isf(delta_col)
        codecs, released = [], []
        for col in data.meta.columns:
            codec, y, query = self._oneway(col, frame[col.name], rng, sigma1, tau)
            codecs.append(codec)
            released.append((y, query))
        empty = [cd.name for cd in codecs if cd.kind == "categorical" and not cd.labels]
        if empty:
            raise DataError(f"{self.name}: no value of column(s) {empty} cleared the DP release threshold "
                            f"(noisy count ≥ {tau:.0f} at ε = {c.epsilon:g}): expected its categories in the "
                            "public_domains option, a larger epsilon, or the column(s) dropped")
        self.codecs_ = codecs
        names = [cd.name for cd in codecs]
        domain = mbi.Domain(names, [cd.size for cd in codecs])
        dataset = _Counts({cd.name: cd.encode(frame[cd.name]) for cd in codecs}, {cd.name: cd.size for cd in codecs})
        oneway, measurements = {}, []
        for cd, (y, query) in zip(codecs, released):
            p = np.zeros(cd.size)
            p[: len(y)] = np.clip(y, 0, None)  # the released cells
            if cd.kind == "categorical":  # "other": what the released cells leave of n
                p[-1] = max(0.0, n - p.sum())
            oneway[cd.name] = p / p.sum() if p.sum() > 0 else np.full(cd.size, 1 / cd.size)
            measurements.append(mbi.LinearMeasurement(np.asarray(y * np.asarray(query.w), dtype=float), (cd.name,),
                                                      stddev=sigma1, query=query))

        # 2. MST on the rest of the budget
        model, info = self._mst(dataset, domain, rho, oneway, measurements, n, rng, estimation)
        self._set_model(model)
        rho_spent = rho1 + info.pop("rho_spent")
        eps_spent = cdp_eps(rho_spent, delta_conv)
        ledger = {
            "mechanism": "MST (McKenna et al. 2021) on mbi 2.0 (Private-PGM): Gaussian 1-way marginals that also "
                         "release the domains (thresholded for categories, a public R10 grid for numbers), "
                         "exponential-mechanism tree selection, Gaussian tree 2-way marginals",
            "epsilon_target": c.epsilon, "epsilon_spent": round(eps_spent, 4), "delta": delta,
            "accountant": "zCDP: ρ from (ε, δ·(1−threshold_delta_share)) by Canonne–Kamath–Steinke 2020 "
                          "Prop. 12; "
                          "the category thresholds are δ-approximate zCDP and spend δ·threshold_delta_share",
            "rho": round(rho, 8), "rho_spent": round(rho_spent, 8), "rho_oneway": round(rho1, 8),
            "delta_conversion": delta_conv, "delta_thresholds": delta_thr,
            "sigma_1way": round(sigma1, 4), "category_threshold": round(float(tau), 4),
            "columns": {cd.name: cd.how for cd in codecs},
            **info,
            "unit": "record (one table row = one person; rows are not grouped by entity)",
            "noise_rng": "NumPy's seeded PCG64 (reproducible; not cryptographically secure)",
        }
        non_private = [
            "schema: column names, order and kinds (numeric, whole-number, categorical, boolean, datetime) are "
            "treated as public; so is the record count n (the default δ = 1/(10·n), and the model's total)",
            "bundle metadata: the core stores the training table's column metadata (observed ranges and category "
            "lists) with every model; this generator does not use it, but a saved bundle carries it",
            "privacy gate and validators: near-copy/NNDR/k-anonymity filtering and the finance bounds/categories "
            "checks compare the output with training records or their ranges; the released records are "
            "therefore not covered by ε, only the model is",
        ]
        return {"privacy": {"dp": ledger, "non_private": non_private}}

    def _thresholded(self, col) -> bool:
        """Whether the column's 1-way is a thresholded histogram (observed values are a private domain): categories
        the schema does not give (a boolean's {False, True} is public, but missing values are discovered)."""
        spec = self.config.public_domains.get(col.name)
        return col.kind in (ColumnKind.categorical, ColumnKind.boolean) and (spec is None or spec.categories is None)

    def _oneway(self, col, series: pd.Series, rng, sigma: float, tau: float):
        """The column's cells, its released noisy counts (one per released cell, unweighted) and their query."""
        spec = self.config.public_domains.get(col.name)
        nullable = bool(spec.nullable) if spec is not None else False
        if col.kind in (ColumnKind.categorical, ColumnKind.boolean):
            # public cells (schema categories, a boolean's two values, a nullable schema's missing cell) are noised
            # whether observed or not; observed values outside them are released only above τ
            if spec is not None and spec.categories is not None:
                public, how = [str(v) for v in spec.categories], "public (public_domains)"
            elif col.kind is ColumnKind.boolean:
                public, how = ["False", "True"], "public ({False, True})"
            else:
                public, how = [], ""
            public_cells = public + ([NAN] if nullable else [])
            uniq, counts = np.unique(_category_keys(series).astype(str), return_counts=True)
            observed = dict(zip(uniq.tolist(), counts.tolist()))
            noisy = {k: observed.get(k, 0) + rng.normal(0, sigma) for k in public_cells}
            private = {} if spec is not None and spec.categories is not None else \
                {k: v + rng.normal(0, sigma) for k, v in sorted(observed.items()) if k not in noisy}
            released = {k: y for k, y in private.items() if y >= tau}
            labels = public + sorted(k for k in released if k != NAN)
            nan = nullable or NAN in released
            if private:
                how += (" + " if how else "") + (f"released {len(labels) - len(public)} of {len(private)} observed "
                                                 "values by a noisy count above the threshold")
            codec = Codec(col.name, "categorical", labels=labels, nan=nan, how=how)
            cells = labels + ([NAN] if nan else [])
            y = np.array([noisy[k] if k in noisy else released[k] for k in cells])
            return codec, y, _Weighted(tuple([1.0] * len(cells)))
        integer = bool(col.integer) and col.kind is ColumnKind.numeric
        datetime = col.kind is ColumnKind.datetime
        values = numeric_values(series, col.kind)
        if spec is not None and spec.bounds is not None:
            lo, hi = spec.bounds
            bins = _range_bins(lo, hi + (1 if integer else 0), self.config.bins, integer)
            codec = Codec(col.name, "numeric", bins=bins, nan=nullable, integer=integer, datetime=datetime,
                          how=f"public bounds {list(spec.bounds)} (public_domains), {len(bins)} bins")
            x = np.bincount(codec.encode(series), minlength=codec.size).astype(float)
            return codec, x + rng.normal(0, sigma, x.size), _Weighted(tuple([1.0] * codec.size))
        # the public grid: every cell gets noise, empty or not (a plain Gaussian mechanism, no δ)
        grid = _Grid(integer)
        idx = grid.index(values)
        x = np.bincount(idx[idx >= 0], minlength=grid.size).astype(float)
        noisy = x + rng.normal(0, sigma, grid.size)
        noisy_nan = float(np.isnan(values).sum()) + rng.normal(0, sigma)
        # post-processing of the noisy counts: seeds are cells above σ·Φ⁻¹(1 − 0.1%/cells) and whole decades
        # whose sum clears the same test at σ·√cells. Seeds less than a decade apart form clusters; the range is the
        # cluster of most noisy mass among those that clear the decade test (a lone false seed far away neither
        # stretches nor makes it), its empty-looking ends (below σ) trimmed, grown by neighbours above 2σ;
        # adjacent cells merge until each bin holds ≥ max(3σ, n̂/bins). Exact 0, when a seed outside the range,
        # keeps a point bin of its own.
        seeds = set(np.flatnonzero(noisy >= sigma * norm.isf(0.001 / grid.size)).tolist())
        decades = grid.decades()
        bar = sigma * math.sqrt(len(R10)) * norm.isf(0.001 / len(decades))
        for cells in decades:
            if noisy[cells].sum() >= sigma * math.sqrt(len(cells)) * norm.isf(0.001 / len(decades)):
                seeds.update(cells)
        seeds = sorted(seeds) or [int(np.argmax(noisy))]
        clusters = [[seeds[0]]]
        for i in seeds[1:]:
            if i - clusters[-1][-1] > len(R10):
                clusters.append([])
            clusters[-1].append(i)
        mass = [noisy[cl[0]:cl[-1] + 1].sum() for cl in clusters]
        best = max(range(len(clusters)), key=lambda j: (mass[j] >= bar and clusters[j] != [grid.p], mass[j]))
        zero = grid.p in seeds
        first, last = clusters[best][0], clusters[best][-1]
        while first < last and noisy[first] < sigma:
            first += 1
        while last > first and noisy[last] < sigma:
            last -= 1
        while first > 0 and noisy[first - 1] >= 2 * sigma:
            first -= 1
        while last < grid.size - 1 and noisy[last + 1] >= 2 * sigma:
            last += 1
        inside = noisy[first:last + 1]
        target = max(3 * sigma, np.clip(inside, 0, None).sum() / self.config.bins)
        groups: list[list[int]] = []
        acc = 0.0
        for i in range(first, last + 1):
            if not groups or acc >= target:
                groups.append([])
                acc = 0.0
            groups[-1].append(i)
            acc += noisy[i]
        if len(groups) > 1 and acc < target:
            tail = groups.pop()
            groups[-1] += tail
        if zero and not first <= grid.p <= last:
            groups.insert(0 if grid.p < first else len(groups), [grid.p])
        bins = [[min(grid.cell(i)[0] for i in g), max(grid.cell(i)[1] for i in g)] for g in groups]
        nan = noisy_nan >= 3 * sigma
        y = [float(noisy[g].sum()) for g in groups] + ([noisy_nan] if nan else [])
        w = [1 / math.sqrt(len(g)) for g in groups] + ([1.0] if nan else [])
        how = (f"{len(bins)} bins in [{bins[0][0]:g}, {bins[-1][1]:g}) merged from the public R10 grid by noisy counts"
               + (", missing released" if nan else ""))
        codec = Codec(col.name, "numeric", bins=bins, nan=nan, integer=integer, datetime=datetime, how=how)
        return codec, np.array(y), _Weighted(tuple(w))

    def _mst(self, data, domain, rho: float, oneway: dict[str, np.ndarray], measurements: list, n: int, rng,
             estimation):
        """MST (McKenna, Sheldon & Miklau 2021; private-pgm mechanisms/mst.py) with mbi 2.0, after the 1-ways.

        ρ·select_share picks a maximum spanning tree of pairs (d−1 exponential-mechanism draws, each among the
        pairs joining two components; quality = L1 distance between the pair's counts and the independent model
        of the noisy 1-ways, sensitivity 1, minus the pair's expected measurement error √(2/π)·σ₂·cells as in
        AIM, so a large pair must earn its noise); the rest of ρ measures the tree's pairs.
        """
        import mbi

        c = self.config
        names = list(domain.attributes)
        d = len(names)
        rho_used = 0.0
        edges: list[tuple[str, str]] = []
        sigma2 = None
        if d > 1:
            rho_sel = rho * c.select_share
            rho2 = rho * (1 - c.oneway_share - c.select_share)
            sigma2 = math.sqrt((d - 1) / (2 * rho2))  # d−1 measurements share rho2
            scores = {}
            for a, b in itertools.combinations(names, 2):  # the independent model's pair marginal is an outer product
                x = data.project((a, b))
                est = n * np.outer(oneway[a], oneway[b]).ravel()
                scores[(a, b)] = float(np.abs(x - est).sum()) - math.sqrt(2 / math.pi) * sigma2 * x.size
            eps_sel = math.sqrt(8 * rho_sel / (d - 1))  # d−1 draws, each ε²/8-zCDP
            parent = {a: a for a in names}

            def find(a):
                while parent[a] != a:
                    parent[a] = parent[parent[a]]
                    a = parent[a]
                return a

            for _ in range(d - 1):
                keys = [e for e in scores if find(e[0]) != find(e[1])]
                q = np.array([scores[e] for e in keys])
                p = np.exp(0.5 * eps_sel * (q - q.max()))
                a, b = keys[rng.choice(len(keys), p=p / p.sum())]
                parent[find(a)] = find(b)
                edges.append((a, b))
            for cl in edges:
                x = data.project(cl)
                measurements.append(mbi.LinearMeasurement(x + rng.normal(0, sigma2, x.size), cl, stddev=sigma2))
            rho_used = rho_sel + rho2
        model = estimation.MirrorDescent().estimate(domain, measurements, known_total=float(n), iters=c.final_iters)
        return model, {"rho_spent": rho_used, "sigma_2way": round(sigma2, 4) if edges else None,
                       "tree": [list(e) for e in edges], "measurements": len(measurements)}

    # ------------------------------------------------------------------ model state

    def _set_model(self, model) -> None:
        """Keep the model's clique marginals (a tree's edges: its junction tree) and sample from them in NumPy."""
        self.cliques_ = [tuple(cl) for cl in model.marginals.cliques]
        self.marginals_ = [np.clip(np.asarray(model.marginals.tables[cl].values, dtype=np.float64), 0, None)
                           for cl in self.cliques_]
        names = [cd.name for cd in self.codecs_]
        covered = {a for cl in self.cliques_ for a in cl}
        if covered != set(names) or any(len(cl) > 2 for cl in self.cliques_):
            raise RuntimeError(f"{self.name}: expected a model over pairs covering every column, got {self.cliques_}")

    def _sample_codes(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Ancestral sampling over the tree: a root from its 1-way marginal, each neighbour given its parent."""
        sizes = {cd.name: cd.size for cd in self.codecs_}
        tables = dict(zip(self.cliques_, self.marginals_))
        neighbours: dict[str, list[tuple[str, tuple]]] = {a: [] for a in sizes}
        for cl in self.cliques_:
            if len(cl) == 2:
                neighbours[cl[0]].append((cl[1], cl))
                neighbours[cl[1]].append((cl[0], cl))
        codes: dict[str, np.ndarray] = {}

        def draw(p: np.ndarray, m: int) -> np.ndarray:
            p = p / p.sum() if p.sum() > 0 else np.full(len(p), 1 / len(p))
            return np.minimum((rng.random(m)[:, None] > np.cumsum(p)[None, :]).sum(1), len(p) - 1)

        for root in sizes:  # every column, in column order; each component from its first column
            if root in codes:
                continue
            cl = next(c for c in self.cliques_ if root in c)
            table = tables[cl]
            codes[root] = draw(table.sum(axis=tuple(i for i, a in enumerate(cl) if a != root)), n)
            queue = [root]
            while queue:
                parent = queue.pop(0)
                for child, edge in neighbours[parent]:
                    if child in codes:
                        continue
                    joint = tables[edge] if edge[0] == parent else tables[edge].T  # (parent, child)
                    rows = joint.sum(axis=1, keepdims=True)
                    cond = np.where(rows > 0, joint / np.where(rows > 0, rows, 1), 1.0 / joint.shape[1])
                    cdf = np.cumsum(cond, axis=1)[codes[parent]]
                    codes[child] = np.minimum((rng.random(n)[:, None] > cdf).sum(1), joint.shape[1] - 1)
                    queue.append(child)
        return codes

    def _sample(self, n: int, *, seed: int, conditions: dict[str, Any]) -> Table:
        rng = np.random.default_rng(seed)
        codes = self._sample_codes(n, rng)
        columns = {}
        for cd, cl, table in ((cd, *next((c, t) for c, t in zip(self.cliques_, self.marginals_) if cd.name in c))
                              for cd in self.codecs_):
            other_p = None
            if cd.kind == "categorical" and cd.labels:
                oneway = table.sum(axis=tuple(i for i, a in enumerate(cl) if a != cd.name))
                other_p = oneway[: len(cd.labels)]
            columns[cd.name] = cd.decode(codes[cd.name], rng, other_p)
        frame = pd.DataFrame(columns)
        frame = restore_types(frame, self.meta_)
        for col in self.meta_.columns:  # whole numbers with missing values keep a nullable integer dtype
            if col.kind is ColumnKind.numeric and col.integer and frame[col.name].isna().any():
                frame[col.name] = frame[col.name].round().astype("Int64")
        return Table(frame, self.meta_)

    def _get_state(self):
        tensors = {f"marginal.{i}": torch.from_numpy(np.ascontiguousarray(m)) for i, m in enumerate(self.marginals_)}
        return tensors, {"codecs": [cd.to_json() for cd in self.codecs_], "cliques": [list(cl) for cl in self.cliques_]}

    def _set_state(self, tensors, state) -> None:
        self.codecs_ = [Codec(**cd) for cd in state["codecs"]]
        self.cliques_ = [tuple(cl) for cl in state["cliques"]]
        self.marginals_ = [tensors[f"marginal.{i}"].numpy().astype(np.float64) for i in range(len(self.cliques_))]


__all__ = ["FinanceMarginalDP", "MarginalDPConfig", "ColumnSchema", "Codec", "cdp_rho", "cdp_eps", "cdp_delta"]
