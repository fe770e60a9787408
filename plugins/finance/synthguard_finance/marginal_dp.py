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
(2026-12-03); MST needs one estimate, and its selection is computed in NumPy. What AIM buys over MST on these
tables is the outcome's dependences (its workload can weight them); a tree gave the outcome one or two neighbours
(``benchmarks/README.md``). With ``target`` set, the structure is a tree-augmented naive Bayes instead (Friedman,
Geiger & Goldszmidt 1997): the tree spans the other columns and each of its edges is measured as a 3-way marginal
with the target, so the outcome is tied to every column at MST's cost (still one estimate, no rounds).
``generate``/``fit`` set ``target`` to the run's target (the user's ``--target``, else a reference dataset's declared
outcome) and ``codebook`` to a reference dataset's published codebook (:meth:`FinanceMarginalDP.public_config`),
unless the user set them (``--set target=none`` / ``codebook=none``); the ledger's ``public_knowledge`` names both.

What touches the private table, and what each step costs (everything below is in ``fit_info_["privacy"]``;
:meth:`FinanceMarginalDP.measure` returns exactly this release, for audits). Neighbouring tables differ by one
added or removed record. The budget split follows MST but for the 1-way share: 20% of ρ for the 1-way
marginals (MST's third left the 3-way measurements with the target too little at ε = 1, measured), 10% to
select, 2% for a noisy record count (the model's total: n itself is not used), the rest for the chosen
marginals (``oneway_share``, ``select_share``, ``total_share``).

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
   1/(2σ²)). With ``target``, pairs of the other columns are scored and measured as (target, a, b). mbi's
   mirror descent fits the model to all measurements, with the noisy record count as its total. Which pairs are
   chosen depends on the data and, when given, the public choice of target alone.
3. **Accounting**: the budget is zCDP throughout. ρ comes from (ε, δ_conv) by the conversion of Canonne,
   Kamath & Steinke 2020 (Prop. 12 of "The Discrete Gaussian for Differential Privacy", the one private-pgm's
   ``cdp_rho`` uses), with δ_conv = δ·(1 − ``threshold_delta_share``); the thresholds spend the rest of δ.
   Composition: Σρ and Σδ add, and δ'-approximate ρ-zCDP is (ε, δ_conv + δ')-DP with ε from the same
   conversion. ``epsilon_spent`` is that ε for the ρ actually spent, which never exceeds what was asked.

Sampling goes along the junction tree of the measured cliques (each clique's new columns given those already
drawn) and decodes each cell back to a value: a category, NaN, a point (0) or a draw inside the bin — among its
public grid cells in proportion to their clipped noisy counts, uniform inside a cell (whole numbers stay whole) —
then gives the columns their real dtypes back. After fit the model's column metadata is replaced by the released
domains (a number's range is the range its bins decode to; a category column's values are the released ones), so
a bundle carries no observed range or category list and the finance bounds/categories checks test the output
against the domain it is sampled from.
"""

from __future__ import annotations

import dataclasses
import functools
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

from .generator import switched_off

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
    for _ in range(200):  # the optimal order α by bisection on the derivative (2^-200: past float precision)
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
    for _ in range(200):
        mid = (lo + hi) / 2
        if cdp_delta(rho, mid) <= delta:
            hi = mid
        else:
            lo = mid
    return hi


def cdp_rho(eps: float, delta: float) -> float:
    """Largest ρ whose zCDP gives (ε, δ)-DP (lower end of the bisection: never overstates ρ)."""
    lo, hi = 0.0, eps + 1
    for _ in range(200):
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
    oneway_share: float = Field(0.2, gt=0, lt=1, description="share of ρ for the 1-way marginals, which also "
                                "release the columns' domains (categories, numeric ranges) the schema does not give "
                                "(MST's third measured worse at ε = 1: benchmarks/README.md, 'Marginal-based DP')")
    select_share: float = Field(0.1, gt=0, lt=1, description="share of ρ for choosing the tree of pairs "
                                "(the rest measures the chosen pairs)")
    total_share: float = Field(0.02, gt=0, lt=0.5, description="share of ρ for a noisy record count, the model's "
                               "total (the count n itself is not released)")
    threshold_delta_share: float = Field(0.5, gt=0, lt=1, description="share of δ spent by the category thresholds "
                                         "(the rest converts ρ to ε)")
    bins: int = Field(16, ge=2, le=256, description="most bins per numeric column (fewer when the noisy counts "
                      "are small)")
    public_domains: dict[str, ColumnSchema] = Field(default_factory=dict, description="public column domains by column "
                                                    "(no budget spent on them), or '@NAME' for a reference dataset's "
                                                    "codebook (the same as codebook=NAME)")
    codebook: str | None = Field(None, description="a reference dataset's published codebook "
                                 "(synthguard_finance.codebooks) whose category lists and code ranges are public domains "
                                 "(public_domains entries win per column); generate/fit on a reference dataset set it to "
                                 "that dataset's when it has one; 'none': no codebook")
    final_iters: int = Field(1000, ge=10, description="mirror-descent iterations of the model fit")
    target: str | None = Field(None, description="the column a downstream model predicts (public: the user or the "
                               "dataset declaration names it): every chosen pair is measured jointly with it, a "
                               "tree-augmented naive Bayes structure (3-way marginals); generate/fit fill it from --target "
                               "or the reference dataset's declared target; 'none': MST's tree of pairs")
    target_source: str | None = Field(None, description="who named the target, for the ledger (set with it by "
                                      "generate/fit; unset: this config's target option)")

    @model_validator(mode="before")
    @classmethod
    def _codebook(cls, values):
        """'none' turns target/codebook off; '@NAME' public domains are codebook NAME; a codebook's domains are
        merged under the public_domains given (those win per column)."""
        if not isinstance(values, dict):
            return values
        from .codebooks import CODEBOOKS

        values = dict(values)
        domains = values.get("public_domains")
        if isinstance(domains, str):
            name = domains.removeprefix("@")
            if not domains.startswith("@") or name not in CODEBOOKS:
                raise ValueError(f"{domains!r}: expected a mapping of columns or one of "
                                 f"{['@' + k for k in CODEBOOKS]}")
            if switched_off(values.get("codebook")) not in (None, name):
                raise ValueError(f"public_domains {domains!r} and codebook {values['codebook']!r} name different "
                                 "codebooks: expected one")
            values["codebook"], values["public_domains"] = name, {}
        values["target"] = switched_off(values.get("target"))
        if values["target"] is None:
            values["target_source"] = None
        codebook = values["codebook"] = switched_off(values.get("codebook"))
        if codebook is not None:
            if codebook not in CODEBOOKS:
                raise ValueError(f"codebook {codebook!r}: expected one of {sorted(CODEBOOKS)} or 'none'")
            values["public_domains"] = {**CODEBOOKS[codebook], **dict(values.get("public_domains") or {})}
        return values

    @model_validator(mode="after")
    def _shares_leave_budget_for_pairs(self):
        used = self.oneway_share + self.select_share + self.total_share
        if used >= 1:
            raise ValueError(f"oneway_share + select_share + total_share = {used:g}: "
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
    # numeric: each bin's public grid cells [lo, hi) and their clipped noisy counts (post-processing), so a bin
    # merged from cells of unequal mass is decoded in proportion to them; empty: uniform over the bin
    cells: list[list[list[float]]] = dataclasses.field(default_factory=list)
    weights: list[list[float]] = dataclasses.field(default_factory=list)

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
            if self.cells and len(self.cells[i]) > 1 and sum(self.weights[i]) > 0:
                w = np.asarray(self.weights[i], dtype=float)
                part = rng.choice(len(w), size=len(at), p=w / w.sum())
                for j, (a, b) in enumerate(self.cells[i]):
                    values[at[part == j]] = self._uniform(a, b, int((part == j).sum()), rng)
                continue
            values[at] = self._uniform(lo, hi, len(at), rng)
        if self.datetime:
            return pd.Series(pd.to_datetime(values, unit="ns"))
        return pd.Series(values)

    def _uniform(self, lo: float, hi: float, m: int, rng: np.random.Generator) -> np.ndarray:
        """``m`` values drawn uniformly in [lo, hi) (whole numbers: ceil(lo) .. ceil(hi) − 1; a point: lo)."""
        if lo == hi:
            return np.full(m, lo)
        if self.integer:
            top = max(math.ceil(lo), math.ceil(hi) - 1)
            return rng.integers(math.ceil(lo), top + 1, size=m).astype(float)
        return rng.uniform(lo, hi, size=m)

    def value_range(self) -> tuple[float, float] | None:
        """The smallest and largest value :meth:`decode` can produce (None: no bins)."""
        if not self.bins:
            return None
        lo, hi = self.bins[0][0], self.bins[-1][1]
        if self.integer:
            return float(math.ceil(lo)), float(max(math.ceil(self.bins[-1][0]), math.ceil(hi) - 1))
        return float(lo), float(hi)


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

    @classmethod
    def public_config(cls, config, *, target=None, dataset=None) -> dict[str, Any]:
        """The user's config plus what the run makes public at no budget, unless the user set it: ``target`` (the
        user's --target, else the reference dataset's declared outcome: the tree-augmented structure) and, on a
        reference dataset with a published codebook, ``codebook`` (its category lists and code ranges). The ledger's
        ``public_knowledge`` names both. ``--set target=none`` / ``--set codebook=none`` turn them off."""
        from .codebooks import CODEBOOKS

        out = dict(config)
        if "target" not in out and target is not None:
            declared = dataset is not None and target == dataset.target
            out["target"] = target
            out["target_source"] = (f"declared by reference dataset {dataset.name!r}" if declared
                                    else "named by the user (--target)")
        if (dataset is not None and dataset.name in CODEBOOKS and "codebook" not in out
                and not isinstance(out.get("public_domains"), str)):
            out["codebook"] = dataset.name
        return out

    # ------------------------------------------------------------------ fit

    def fit(self, data: Table, *args, **kwargs) -> "FinanceMarginalDP":
        """The core's fit, then the model's column metadata replaced by what was released under DP (see
        :meth:`_released_meta`): the bundle carries no observed range or category list, and the validators check
        the output against the domain it is sampled from."""
        super().fit(data, *args, **kwargs)
        self.meta_ = self._released_meta(self.meta_)
        return self

    def _released_meta(self, meta):
        """``meta`` with each column's domain as released: a numeric column's [min, max] is the range its bins
        decode to, a category column's values are the released ones (in their real type), ``nullable`` is whether
        missing values were released, ``n_unique`` the released cells. Names, kinds, dtypes and the whole-number
        flag are the schema (public, as the ledger says)."""
        codecs = {cd.name: cd for cd in self.codecs_}
        columns = []
        for col in meta.columns:
            cd = codecs[col.name]
            if cd.kind == "categorical":
                spec = self.config.public_domains.get(col.name)
                known = list(spec.categories) if spec is not None and spec.categories is not None else []
                known += [False, True] if col.kind is ColumnKind.boolean else []
                known += list(col.categories or [])
                typed: dict[str, Any] = {}
                for v in known:
                    typed.setdefault(str(v), v)
                cats = [typed[label] for label in cd.labels]
                update = {"categories": cats, "n_unique": len(cats), "nullable": cd.nan}
            else:
                lo, hi = cd.value_range() or (None, None)
                update = {"minimum": lo, "maximum": hi, "n_unique": len(cd.bins), "nullable": cd.nan}
            columns.append(col.model_copy(update=update))
        return meta.model_copy(update={"columns": columns})

    def _fit(self, data: Table, *, device, seed: int, progress: bool) -> dict[str, Any]:
        c = self.config
        delta = self._checked_delta(data)
        mbi, estimation = _mbi()
        rng = np.random.default_rng(seed)
        codecs, domain, measurements, total, info = self._measure(data, delta, rng)
        self.codecs_ = codecs
        model = estimation.MirrorDescent().estimate(domain, measurements, known_total=total, iters=c.final_iters)
        self._set_model(model)
        return self._ledger(info)

    def measure(self, data: Table, *, seed: int = 0) -> dict[str, Any]:
        """What the mechanism releases from ``data`` before estimation, the part the ε guarantee is about (the model
        and its samples are post-processing of it): ``codecs`` (the released domains), ``measurements`` (mbi
        ``LinearMeasurement``: clique, noisy values, σ, query), ``total`` (the noisy record count, σ ``sigma_total``)
        and the ``ledger``. Same seed, same release as :meth:`fit`. For audits (``benchmarks/dp_audit.py``)."""
        delta = self._checked_delta(data)
        codecs, _, measurements, total, info = self._measure(data, delta, np.random.default_rng(seed))
        sigma_total = info["sigma_n"]
        return {"codecs": codecs, "measurements": measurements, "total": total, "sigma_total": sigma_total,
                "ledger": self._ledger(info)["privacy"]["dp"]}

    def _checked_delta(self, data: Table) -> float:
        """δ for this table, after refusing a missing ε, a δ not below 1/n and unknown column names."""
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
        if c.target is not None and c.target not in data.meta.names:
            raise ConfigError(f"{self.name}: target {c.target!r} is not a column: expected one of {data.meta.names}")
        return delta

    def _measure(self, data: Table, delta: float, rng: np.random.Generator):
        """Every step that reads the private table, in order: the noisy total, the 1-way marginals (which release the
        domains), the selection of the structure and its measurements. Returns the codecs, the mbi domain, the noisy
        measurements, the noisy total and the accounting. What follows (estimation, sampling) is post-processing."""
        mbi, _ = _mbi()
        c = self.config
        n = len(data)
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
        # the record count, noised (add/remove adjacency: n is not public); the model's total and the selection's n
        rho_n = rho * c.total_share
        sigma_n = math.sqrt(1 / (2 * rho_n))
        total = max(1.0, n + float(rng.normal(0, sigma_n)))
        empty = [cd.name for cd in codecs if cd.kind == "categorical" and not cd.labels]
        if empty:
            raise DataError(f"{self.name}: no value of column(s) {empty} cleared the DP release threshold "
                            f"(noisy count ≥ {tau:.0f} at ε = {c.epsilon:g}): expected its categories in the "
                            "public_domains option, a larger epsilon, or the column(s) dropped")
        names = [cd.name for cd in codecs]
        domain = mbi.Domain(names, [cd.size for cd in codecs])
        dataset = _Counts({cd.name: cd.encode(frame[cd.name]) for cd in codecs}, {cd.name: cd.size for cd in codecs})
        oneway, measurements = {}, []
        for cd, (y, query) in zip(codecs, released):
            p = np.zeros(cd.size)
            p[: len(y)] = np.clip(y, 0, None)  # the released cells
            if cd.kind == "categorical":  # "other": what the released cells leave of n
                p[-1] = max(0.0, total - p.sum())
            oneway[cd.name] = p / p.sum() if p.sum() > 0 else np.full(cd.size, 1 / cd.size)
            measurements.append(mbi.LinearMeasurement(np.asarray(y * np.asarray(query.w), dtype=float), (cd.name,),
                                                      stddev=sigma1, query=query))

        # 2. MST on the rest of the budget
        info = self._mst(dataset, rho, oneway, measurements, total, rng)
        rho_spent = rho_n + rho1 + info.pop("rho_spent")
        info.update(rho=rho, rho_spent=rho_spent, rho1=rho1, rho_n=rho_n, sigma_n=sigma_n, sigma1=sigma1, tau=tau,
                    delta=delta, delta_conv=delta_conv, delta_thr=delta_thr, codecs=codecs)
        return codecs, domain, measurements, total, info

    def _ledger(self, info: dict[str, Any]) -> dict[str, Any]:
        c = self.config
        codecs = info.pop("codecs")
        rho, rho_spent, rho1, delta, delta_conv, delta_thr, sigma1, tau = (info.pop(k) for k in (
            "rho", "rho_spent", "rho1", "delta", "delta_conv", "delta_thr", "sigma1", "tau"))
        rho_n, sigma_n = info.pop("rho_n"), info.pop("sigma_n")
        eps_spent = cdp_eps(rho_spent, delta_conv)
        ledger = {
            "mechanism": "MST (McKenna et al. 2021) on mbi 2.0 (Private-PGM): Gaussian 1-way marginals that also "
                         "release the domains (thresholded for categories, a public R10 grid for numbers), "
                         "exponential-mechanism tree selection, Gaussian tree 2-way marginals"
                         + (" (each measured with the target as a 3-way: tree-augmented naive Bayes)"
                            if c.target is not None else ""),
            "epsilon_target": c.epsilon, "epsilon_spent": round(eps_spent, 4), "delta": delta,
            "accountant": "zCDP: ρ from (ε, δ·(1−threshold_delta_share)) by Canonne–Kamath–Steinke 2020 "
                          "Prop. 12; "
                          "the category thresholds are δ-approximate zCDP and spend δ·threshold_delta_share",
            "rho": round(rho, 8), "rho_spent": round(rho_spent, 8), "rho_oneway": round(rho1, 8),
            "rho_total": round(rho_n, 8), "sigma_total": round(sigma_n, 4),
            "delta_conversion": delta_conv, "delta_thresholds": delta_thr,
            "sigma_1way": round(sigma1, 4), "category_threshold": round(float(tau), 4),
            "columns": {cd.name: cd.how for cd in codecs},
            "public_knowledge": self._public_knowledge(),
            **info,
            "unit": "record (one table row = one person; rows are not grouped by entity); neighbouring tables differ "
                    "by adding or removing one record",
            "noise_rng": "NumPy's seeded PCG64 (reproducible; not cryptographically secure)",
        }
        public = ledger["public_knowledge"]
        non_private = [
            *([f"target: column {public['target']['column']!r} ({public['target']['source']}) is a public choice: "
               "it decides which marginals are measured, not what they contain"] if public["target"] else []),
            *([f"public domains: {len(public['codebook']['columns'])} column(s) from the published codebook "
               f"{public['codebook']['name']!r} ({', '.join(public['codebook']['columns'])}) cost no budget"]
              if public["codebook"] else []),
            *([f"public domains given in the public_domains option: {', '.join(public['public_domains_option'])}"]
              if public["public_domains_option"] else []),
            "schema: column names, order and kinds (numeric, whole-number, categorical, boolean, datetime) are "
            "treated as public; the model's total is a noisy count, but the default δ = 1/(10·n) and the core's "
            "fit record (records, data fingerprint) state n",
            "bundle metadata: the model's column metadata is replaced after fit by the released domains (bin range, "
            "released categories), so the finance bounds/categories checks test the output against those; no "
            "hashes of the training records are kept (a bundle holding them would answer membership exactly)",
        ]
        return {"privacy": {"dp": ledger, "non_private": non_private}}

    def _domain_source(self, name: str) -> str:
        """Where a public domain came from: the codebook (as published) or the public_domains option."""
        from .codebooks import CODEBOOKS

        c = self.config
        book = CODEBOOKS.get(c.codebook, {}) if c.codebook is not None else {}
        if name in book and ColumnSchema(**book[name]) == c.public_domains.get(name):
            return f"codebook {c.codebook!r}"
        return "public_domains"

    def _public_knowledge(self) -> dict[str, Any]:
        """The public choices the mechanism used at no budget: the target column (and who named it) and the public
        domains (which columns from the codebook, which from the public_domains option)."""
        c = self.config
        sources = {name: self._domain_source(name) for name in c.public_domains}
        return {
            "target": None if c.target is None else {
                "column": c.target, "source": c.target_source or "the generator's target option (--set target=...)"},
            "codebook": None if c.codebook is None else {
                "name": c.codebook, "source": "published codebook (synthguard_finance.codebooks)",
                "columns": sorted(k for k, v in sources.items() if v.startswith("codebook"))},
            "public_domains_option": sorted(k for k, v in sources.items() if v == "public_domains"),
        }

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
                public, how = [str(v) for v in spec.categories], f"public ({self._domain_source(col.name)})"
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
                          how=f"public bounds {list(spec.bounds)} ({self._domain_source(col.name)}), {len(bins)} bins")
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
        cells = [[grid.cell(i) for i in g] for g in groups]
        weights = [[round(max(0.0, float(noisy[i])), 4) for i in g] for g in groups]
        codec = Codec(col.name, "numeric", bins=bins, nan=nan, integer=integer, datetime=datetime, how=how,
                      cells=cells, weights=weights)
        return codec, np.array(y), _Weighted(tuple(w))

    def _mst(self, data, rho: float, oneway: dict[str, np.ndarray], measurements: list, n: float, rng) -> dict:
        """MST (McKenna, Sheldon & Miklau 2021; private-pgm mechanisms/mst.py) with mbi 2.0, after the 1-ways.

        ρ·select_share picks a maximum spanning tree (d−1 exponential-mechanism draws, each among the pairs joining
        two components; quality = L1 distance between the pair's counts and the independent model of the noisy
        1-ways, sensitivity 1, minus the measurement's expected error √(2/π)·σ₂·cells as in AIM, so a large
        marginal must earn its noise); the rest of ρ measures the tree's edges.

        With a ``target`` the tree spans the other columns and every edge (a, b) is measured as the 3-way marginal
        (target, a, b), scored the same way: a tree-augmented naive Bayes (Friedman, Geiger & Goldszmidt 1997), so
        the target keeps its dependence on every column, and each pair's given the target. d−2 measurements instead
        of d−1, each twice (or |target| times) as many cells.
        """
        import mbi

        c = self.config
        names = list(data.sizes)
        t = c.target
        nodes = [a for a in names if a != t]
        edges: list[tuple[str, str]] = []
        cliques: list[tuple[str, ...]] = []
        rho_used, sigma2, draws = 0.0, None, len(nodes) - 1
        if t is not None and len(nodes) == 1:
            cliques = [(t, nodes[0])]
        m = max(draws, 0) if len(nodes) > 1 else len(cliques)
        if m:
            rho_sel = rho * c.select_share if draws > 0 else 0.0
            rho2 = rho * (1 - c.oneway_share - c.select_share - c.total_share)
            sigma2 = math.sqrt(m / (2 * rho2))  # m measurements share rho2
        if draws > 0:
            scores = {}
            for a, b in itertools.combinations(nodes, 2):  # the independent model is an outer product of the 1-ways
                cl = (t, a, b) if t is not None else (a, b)
                x = data.project(cl)
                est = n * functools.reduce(np.multiply.outer, [oneway[v] for v in cl]).ravel()
                scores[(a, b)] = float(np.abs(x - est).sum()) - math.sqrt(2 / math.pi) * sigma2 * x.size
            eps_sel = math.sqrt(8 * rho_sel / draws)  # draws, each ε²/8-zCDP
            parent = {a: a for a in nodes}

            def find(a):
                while parent[a] != a:
                    parent[a] = parent[parent[a]]
                    a = parent[a]
                return a

            for _ in range(draws):
                keys = [e for e in scores if find(e[0]) != find(e[1])]
                q = np.array([scores[e] for e in keys])
                p = np.exp(0.5 * eps_sel * (q - q.max()))
                a, b = keys[rng.choice(len(keys), p=p / p.sum())]
                parent[find(a)] = find(b)
                edges.append((a, b))
            cliques = [(t, a, b) if t is not None else (a, b) for a, b in edges]
        for cl in cliques:
            x = data.project(cl)
            measurements.append(mbi.LinearMeasurement(x + rng.normal(0, sigma2, x.size), cl, stddev=sigma2))
        if m:
            rho_used = rho_sel + rho2
        return {"rho_spent": rho_used, "sigma_measured": round(sigma2, 4) if cliques else None,
                       "structure": "tree-augmented naive Bayes on the target" if t is not None else "tree of pairs",
                       "tree": [list(e) for e in edges], "measured": [list(cl) for cl in cliques],
                       "measurements": len(measurements)}

    # ------------------------------------------------------------------ model state

    def _set_model(self, model) -> None:
        """Keep the marginals of the model's junction-tree cliques (a tree's pairs; TAN's triples) and sample from
        them in NumPy."""
        from mbi import junction_tree

        jtree, _ = junction_tree.make_junction_tree(model.domain, [tuple(cl) for cl in model.cliques])
        self.cliques_, self.marginals_ = [], []
        for cl in jtree.nodes:
            factor = model.project(tuple(cl))
            self.cliques_.append(tuple(factor.domain.attributes))
            self.marginals_.append(np.clip(np.asarray(factor.datavector(flatten=False), dtype=np.float64), 0, None))
        covered = {a for cl in self.cliques_ for a in cl}
        if covered != {cd.name for cd in self.codecs_}:
            raise RuntimeError(f"{self.name}: expected a model covering every column, got {self.cliques_}")

    def _order(self) -> list[int]:
        """A sampling order of the cliques: Prim's maximum spanning tree of the clique graph weighted by shared
        columns (for a junction tree's cliques, a junction tree: each clique's already-sampled columns lie in one
        earlier clique)."""
        left = list(range(len(self.cliques_)))
        order: list[int] = []
        seen: set[str] = set()
        while left:
            best = max(left, key=lambda i: (max((len(set(self.cliques_[i]) & set(self.cliques_[j]))
                                                for j in order), default=0), -i))
            left.remove(best)
            order.append(best)
            seen.update(self.cliques_[best])
        return order

    def _sample_codes(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Ancestral sampling along the junction tree: each clique's new columns given its already-sampled ones."""
        sizes = {cd.name: cd.size for cd in self.codecs_}
        codes: dict[str, np.ndarray] = {}
        for i in self._order():
            cl, table = self.cliques_[i], self.marginals_[i]
            sep = [k for k, a in enumerate(cl) if a in codes]
            new = [k for k, a in enumerate(cl) if a not in codes]
            if not new:
                continue
            t = np.transpose(table, sep + new)
            sep_shape, new_shape = t.shape[: len(sep)], t.shape[len(sep):]
            t = t.reshape(int(np.prod(sep_shape)), int(np.prod(new_shape)))
            rows = t.sum(axis=1, keepdims=True)
            cdf = np.cumsum(np.where(rows > 0, t / np.where(rows > 0, rows, 1), 1.0 / t.shape[1]), axis=1)
            parent = (np.ravel_multi_index([codes[cl[k]] for k in sep], sep_shape) if sep
                      else np.zeros(n, dtype=np.int64))
            u = rng.random(n)
            pick = np.empty(n, dtype=np.int64)
            for start in range(0, n, 4096):  # chunks keep the (rows x cells) comparison small
                part = slice(start, start + 4096)
                pick[part] = (u[part, None] > cdf[parent[part]]).sum(axis=1)
            pick = np.minimum(pick, t.shape[1] - 1)
            for k, v in zip(new, np.unravel_index(pick, new_shape)):
                codes[cl[k]] = v.astype(np.int64)
        for name, size in sizes.items():  # a column in no clique (cannot happen for a fitted model): uniform
            codes.setdefault(name, rng.integers(0, size, n))
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
