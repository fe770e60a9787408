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

What touches the private table, and what each step costs (everything below is in ``fit_info_["privacy"]``):

1. **Domains** (which categories exist, which range a number spans) are either public — the ``public_domains``
   option (``{"col": {"categories": [...]}}`` or ``{"col": {"bounds": [lo, hi]}}``), and a boolean's
   {False, True} — or released with a share (``domain_share``) of the budget. Categories: a *thresholded
   Gaussian histogram*: every value observed in the column (and missing) gets its count plus N(0, σ²) and is
   released only if that clears τ = 1 + σ·Φ⁻¹(1 − δ_col). A record whose value is unique to it is released
   with probability at most δ_col, otherwise the release is a Gaussian mechanism of ℓ2-sensitivity 1: the
   column's histogram is δ_col-approximate ρ_col-zCDP (Bun & Steinke 2016, §8). Numbers: the cells are public
   (missing, exact 0, signed decades ``[10^k, 10^(k+1))``), so every cell gets noise, empty or not (plain
   ρ_col-zCDP, no δ); the largest noisy cell and any above σ·Φ⁻¹(1 − 1%/cells) are kept. Values below the
   threshold are merged: rare categories into one "other" cell (sampled back as a released category, in
   proportion to the model's marginal), numbers into the nearest released range. A number's released range
   is then cut into ``bins``
   bins (unit bins for small integer ranges, geometric bins across decades, equal-width otherwise) — a
   function of the released cells only. Released category counts are reused as measurements (free).
2. **Mechanism** (MST): the 1-way marginal of every column (ρ/3), a maximum spanning tree of column pairs
   chosen by d−1 exponential-mechanism draws (ρ/3; each ε_r-DP, i.e. ε_r²/8-zCDP) scoring how far a pair's
   counts are from the independent model fit to the noisy 1-ways, and the tree's pairs measured (ρ/3), all
   with Gaussian noise (a measurement of σ costs 1/(2σ²)); mbi's mirror descent fits the model to them.
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
from pydantic import BaseModel, ConfigDict, Field
from scipy.stats import norm
from synthguard import ConfigError, DataError, Generator, GeneratorConfig, Table
from synthguard.data import ColumnKind, numeric_values, restore_types
from synthguard.models.dp import default_delta

#: Decade cells of numbers: |v| in [10^k, 10^(k+1)) for k in [KMIN, KMAX] (smaller |v| joins KMIN, larger KMAX).
KMIN, KMAX = -4, 19
OTHER = "\x00other"
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
    epsilon: float | None = Field(None, gt=0, description="total privacy budget ε (required: preprocessing + mechanism)")
    delta: float | None = Field(None, gt=0, lt=1, description="total DP δ; default 1/(10·n), as for DP-SGD")
    domain_share: float = Field(0.1, ge=0, lt=1, description="share of ρ spent releasing the columns' domains "
                                "(categories, numeric ranges) that the schema does not give")
    threshold_delta_share: float = Field(0.5, gt=0, lt=1, description="share of δ spent by the domain thresholds "
                                         "(the rest converts ρ to ε)")
    bins: int = Field(16, ge=2, le=256, description="bins per released numeric range")
    public_domains: dict[str, ColumnSchema] = Field(default_factory=dict, description="public column domains by column "
                                                    "(no budget spent on them)")
    iters: int = Field(300, ge=10, description="mirror-descent iterations of the 1-way estimate (tree selection)")
    final_iters: int = Field(2000, ge=10, description="mirror-descent iterations of the final estimate")


# --------------------------------------------------------------------------- column codecs

def _range_bins(a: float, b: float, n_bins: int, integer: bool) -> list[list[float]]:
    """``[lo, hi)`` bins over [a, b): unit bins for small whole-number ranges, geometric across decades, linear otherwise."""
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


def _cell_keys(values: np.ndarray) -> np.ndarray:
    """A number's discovery cell: NaN, exact 0, or a signed decade ``+k`` / ``-k``."""
    out = np.empty(len(values), dtype=object)
    nan = np.isnan(values)
    zero = values == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        k = np.clip(np.floor(np.log10(np.abs(values))), KMIN, KMAX)
    for i, v in enumerate(values):
        out[i] = NAN if nan[i] else "0" if zero[i] else f"{'+' if v > 0 else '-'}{int(k[i])}"
    return out


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
class _Head:
    """mbi query: the first ``k`` cells of a 1-way marginal (the released categories, not "other")."""

    k: int

    def __call__(self, f):
        return f.datavector()[: self.k]

    def op_norm_sq(self) -> float:
        return 1.0


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


def _marginal(model, attr: str) -> np.ndarray:
    """The model's 1-way marginal of ``attr``, summed in NumPy from a clique marginal that holds it."""
    for cl in model.marginals.cliques:
        if attr in cl:
            table = np.asarray(model.marginals.tables[cl].values, dtype=float)
            return table.sum(axis=tuple(i for i, a in enumerate(cl) if a != attr))
    raise KeyError(attr)


class FinanceMarginalDP(Generator):
    """MST over DP-released column domains: the finance domain's generator for ``--epsilon``."""

    name = "finance-mst"
    role = "dp"
    modality = "table"
    domain = "finance"
    description = ("MST marginal-based DP synthesizer (mbi graphical model): the finance generator for --epsilon, "
                   "column domains released under the same budget")
    Config = MarginalDPConfig
    default_dataset = "german_credit"
    supports_dp = True
    smoke_config = {"epsilon": 50.0, "iters": 50, "final_iters": 50, "bins": 4}
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
            raise ConfigError(f"{self.name}: schema names unknown column(s) {unknown}: expected some of {data.meta.names}")
        mbi, estimation = _mbi()
        rng = np.random.default_rng(seed)
        delta_thr = delta * c.threshold_delta_share
        delta_conv = delta - delta_thr
        rho = cdp_rho(c.epsilon, delta_conv)

        # 1. domains: public (schema, booleans) or released by thresholded noisy histograms
        frame = data.frame
        private_cols = [col for col in data.meta.columns if not self._public(col)]
        rho_pre = rho * c.domain_share if private_cols else 0.0
        rho_col = rho_pre / max(1, len(private_cols))
        n_cat = sum(col.kind in (ColumnKind.categorical, ColumnKind.boolean) for col in private_cols)
        delta_col = delta_thr / max(1, n_cat)  # only categories (a private domain) are thresholded
        sigma_pre = math.sqrt(1 / (2 * rho_col)) if rho_col > 0 else math.inf
        tau = 1 + sigma_pre * norm.isf(delta_col) if rho_col > 0 else math.inf
        codecs, measurements = [], []
        for col in data.meta.columns:
            codec, released = self._codec(col, frame[col.name], rng, sigma_pre, tau)
            codecs.append(codec)
            if released is not None:
                measurements.append(released)
        self.codecs_ = codecs
        names = [cd.name for cd in codecs]
        domain = mbi.Domain(names, [cd.size for cd in codecs])
        encoded = {cd.name: cd.encode(frame[cd.name]) for cd in codecs}
        dataset = _Counts(encoded, {cd.name: cd.size for cd in codecs})
        reuse = [mbi.LinearMeasurement(np.asarray(y, dtype=float), (name,), stddev=sigma_pre, query=_Head(k))
                 for name, k, y in measurements]

        # 2. MST on the rest of the budget
        rho_mech = rho - rho_pre
        model, info = self._mst(dataset, domain, rho_mech, reuse, rng, estimation)
        self._set_model(model)
        rho_spent = rho_pre + info.pop("rho_spent")
        eps_spent = cdp_eps(rho_spent, delta_conv)
        ledger = {
            "mechanism": "MST (McKenna et al. 2021) on mbi 2.0 (Private-PGM): Gaussian 1-way and tree 2-way marginals, "
                         "exponential-mechanism tree selection; column domains by thresholded Gaussian histograms",
            "epsilon_target": c.epsilon, "epsilon_spent": round(eps_spent, 4), "delta": delta,
            "accountant": "zCDP: ρ from (ε, δ·(1−threshold_delta_share)) by Canonne–Kamath–Steinke 2020 Prop. 12; "
                          "the domain thresholds are δ-approximate zCDP and spend δ·threshold_delta_share",
            "rho": round(rho, 8), "rho_spent": round(rho_spent, 8), "rho_domains": round(rho_pre, 8),
            "delta_conversion": delta_conv, "delta_thresholds": delta_thr,
            "domain_sigma": None if math.isinf(sigma_pre) else round(sigma_pre, 4),
            "domain_threshold": None if math.isinf(tau) else round(float(tau), 4),
            "columns": {cd.name: cd.how for cd in codecs},
            **info,
            "unit": "record (one table row = one person; rows are not grouped by entity)",
            "noise_rng": "NumPy's seeded PCG64 (reproducible; not cryptographically secure)",
        }
        non_private = [
            "schema: column names, order and kinds (numeric, whole-number, categorical, boolean, datetime) are "
            "treated as public; so is the record count n in the default δ = 1/(10·n)",
            "bundle metadata: the core stores the training table's column metadata (observed ranges and category "
            "lists) with every model; this generator does not use it, but a saved bundle carries it",
            "privacy gate and validators: near-copy/NNDR/k-anonymity filtering and the finance bounds/categories "
            "checks compare the output with training records or their ranges; the released records are "
            "therefore not covered by ε, only the model is",
        ]
        return {"privacy": {"dp": ledger, "non_private": non_private}}

    def _public(self, col) -> bool:
        spec = self.config.public_domains.get(col.name)
        if spec is not None and (spec.categories is not None or spec.bounds is not None):
            return True
        return False  # a boolean's {False, True} is public, but whether it has missing values is discovered

    def _codec(self, col, series: pd.Series, rng, sigma: float, tau: float):
        """The column's cells, and (name, k, noisy counts) of released categories to reuse as a measurement."""
        spec = self.config.public_domains.get(col.name)
        categorical = col.kind in (ColumnKind.categorical, ColumnKind.boolean)
        if categorical:
            public = [str(v) for v in spec.categories] if spec is not None and spec.categories is not None else \
                (["False", "True"] if col.kind is ColumnKind.boolean else [])
            keys = _category_keys(series)
        else:
            public = []
            keys = _cell_keys(numeric_values(series, col.kind))
        uniq, counts = np.unique(keys.astype(str), return_counts=True)
        observed = dict(zip(uniq.tolist(), counts.tolist()))
        if spec is not None and (spec.categories is not None or spec.bounds is not None):
            released = {}  # nothing private to release: the domain is public
        elif not categorical and math.isfinite(sigma):
            # a number's cells are public (NaN, 0, ±decades): every cell gets noise, empty or not (a plain Gaussian
            # mechanism, no δ), cells clearing σ·Φ⁻¹(1 − 1%/cells) are kept, and the largest noisy cell always is
            grid = [NAN, "0", *(f"{sign}{k}" for sign in "+-" for k in range(KMIN, KMAX + 1))]
            noisy = {k: observed.get(k, 0) + rng.normal(0, sigma) for k in grid}
            cut = sigma * norm.isf(0.01 / len(grid))
            released = {k: y for k, y in noisy.items() if y >= cut}
            top = max(noisy, key=noisy.get)
            released[top] = noisy[top]
        else:
            noisy = {k: v + rng.normal(0, sigma) for k, v in sorted(observed.items())} if math.isfinite(sigma) else {}
            released = {k: y for k, y in noisy.items() if y >= tau and k not in public}
        nullable = bool(spec.nullable) if spec is not None else False
        if categorical:
            labels = public + sorted(k for k in released if k != NAN)
            nan = nullable or NAN in released
            how = ("public (public_domains)" if spec is not None and spec.categories is not None else
                   "public ({False, True}) + " if col.kind is ColumnKind.boolean else "") + \
                  (f"released {len(labels) - len(public)} of the observed values by a noisy count above the threshold"
                   if not (spec is not None and spec.categories is not None) else "")
            codec = Codec(col.name, "categorical", labels=labels, nan=nan, how=how or "public (public_domains)")
            if not released or public:
                return codec, None
            sel = labels + ([NAN] if nan else [])
            return codec, (col.name, len(sel), np.array([released[k] for k in sel]))
        integer = bool(col.integer) and col.kind is ColumnKind.numeric
        datetime = col.kind is ColumnKind.datetime
        if spec is not None and spec.bounds is not None:
            lo, hi = spec.bounds
            bins = _range_bins(lo, hi + (1 if integer else 0), self.config.bins, integer)
            how = f"public bounds {list(spec.bounds)} (public_domains), {len(bins)} bins"
            return Codec(col.name, "numeric", bins=bins, nan=nullable, integer=integer, datetime=datetime, how=how), None
        pos = sorted(int(k[1:]) for k in released if k.startswith("+"))
        neg = sorted(int(k[1:]) for k in released if k.startswith("-"))
        bins: list[list[float]] = []
        if neg:
            bins += _range_bins(-(10.0 ** (neg[-1] + 1)), -(10.0 ** neg[0]), self.config.bins, integer)
        if "0" in released:
            bins.append([0.0, 0.0])
        if pos:
            bins += _range_bins(10.0 ** pos[0], 10.0 ** (pos[-1] + 1), self.config.bins, integer)
        nan = NAN in released
        cells = ", ".join(sorted(released))
        how = (f"released cells {{{cells}}} of the public grid (signed decades, 0, missing) by noisy counts "
               f"(largest, and any above σ·Φ⁻¹(1 − 1%/cells)), {len(bins)} bins" if released
               else "no budget for domains: sampled as missing")
        return Codec(col.name, "numeric", bins=bins, nan=nan or not bins, integer=integer, datetime=datetime, how=how), None

    def _mst(self, data, domain, rho: float, reuse: list, rng, estimation):
        """MST (McKenna, Sheldon & Miklau 2021; private-pgm mechanisms/mst.py) with mbi 2.0.

        A third of ρ measures every 1-way marginal, a third picks a maximum spanning tree of pairs (d−1
        exponential-mechanism draws, each among the pairs joining two components, quality = L1 distance between
        the pair's counts and the independent estimate, sensitivity 1), a third measures the tree's pairs.
        """
        import mbi

        c = self.config
        names = list(domain.attributes)
        d = len(names)
        sigma1 = math.sqrt(3 * d / (2 * rho))  # d measurements share ρ/3
        measurements = list(reuse)
        for name in names:
            x = data.project((name,))
            measurements.append(mbi.LinearMeasurement(x + rng.normal(0, sigma1, x.size), (name,), stddev=sigma1))
        md = estimation.MirrorDescent()
        rho_used = rho / 3
        edges: list[tuple[str, str]] = []
        if d > 1:
            model = md.estimate(domain, measurements, iters=c.iters)
            oneway = {a: np.clip(_marginal(model, a), 0, None) for a in names}
            total = float(model.total)
            scores = {}
            for a, b in itertools.combinations(names, 2):  # the independent model's pair marginal is an outer product
                x = data.project((a, b))
                est = np.outer(oneway[a], oneway[b]).ravel() / max(total, 1e-9)
                scores[(a, b)] = float(np.abs(x - est).sum())
            eps_sel = math.sqrt(8 * (rho / 3) / (d - 1))  # d−1 draws, each ε²/8-zCDP
            parent = {a: a for a in names}

            def find(a):
                while parent[a] != a:
                    parent[a] = parent[parent[a]]
                    a = parent[a]
                return a

            for _ in range(d - 1):
                keys = [e for e in scores if find(e[0]) != find(e[1])]
                q = np.array([scores[e] for e in keys])
                logits = 0.5 * eps_sel * (q - q.max())
                p = np.exp(logits)
                a, b = keys[rng.choice(len(keys), p=p / p.sum())]
                parent[find(a)] = find(b)
                edges.append((a, b))
            rho_used += rho / 3
            sigma2 = math.sqrt(3 * (d - 1) / (2 * rho))  # d−1 measurements share ρ/3
            for cl in edges:
                x = data.project(cl)
                measurements.append(mbi.LinearMeasurement(x + rng.normal(0, sigma2, x.size), cl, stddev=sigma2))
            rho_used += rho / 3
        model = md.estimate(domain, measurements, iters=c.final_iters)
        return model, {"rho_spent": rho_used, "sigma_1way": round(sigma1, 4),
                       "sigma_2way": round(sigma2, 4) if edges else None, "tree": [list(e) for e in edges],
                       "measurements": len(measurements)}

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
