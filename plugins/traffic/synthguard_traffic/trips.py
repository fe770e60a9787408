"""The trip generator: trip records that keep the origin-destination matrix and the departure profile.

A trip is (origin, destination, departure time, ...the rest: duration, distance,
mode...). The generator factorises it the way a transport planner reads it:

1. **Cells** (origin, destination, departure-hour): drawn by their real counts, so
   the OD matrix and departure profile are preserved. k-anonymity is built in:
   a cell fewer than ``k`` real trips share is generalised to its 4-hour block,
   then to the whole day, and suppressed (never drawn) if the OD pair itself has
   fewer than ``k`` trips. Only counts of cells with at least ``k`` trips are stored.
2. **Everything else**, given the cell: a column-autoregressive network (PyTorch):
   column j is drawn from a head that sees the cell's embeddings (origin,
   destination, time bin) and the columns before it. Numbers are modelled as a
   Gaussian mixture on their normal scores (quantile transform), categories by a
   softmax; the exact departure minute inside its bin is one of these columns.

Why not a generic tabular model: OD structure is what trip data is about, and a
generic model must learn a (zones × zones × hours) table from few rows per cell;
here it is counted exactly (and k-anonymised), and the network only learns what
varies within a cell.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import torch
from pydantic import Field, field_validator
from scipy.special import ndtr, ndtri
from synthguard import ColumnKind, DataError, Generator, GeneratorConfig, Table
from synthguard import restore_types
from synthguard.baselines import GaussianCopulaGenerator
from synthguard.models import torch_generator, train_loop
from torch import nn

from .roles import departure_unit, trip_columns

#: Generalisation ladder of the departure bin, in minutes: hour, 4-hour block, whole day.
LEVELS = (60, 240, 1440)
QUANTILES = 201
MAX_CATEGORIES = 500
OFFSET, DAY, MISSING = "__departure_offset__", "__departure_day__", "__missing__"


class TripConfig(GeneratorConfig):
    k: int = Field(5, ge=1, le=1000, description="fewest real trips an (origin, destination, departure bin) cell needs")
    epochs: int = Field(200, ge=1)
    patience: int = Field(15, ge=1)
    batch_size: int = Field(512, ge=8)
    lr: float = Field(3e-3, gt=0)
    hidden: int = Field(64, ge=8, le=2048)
    embedding: int = Field(16, ge=2, le=1024)
    components: int = Field(6, ge=1, le=32, description="Gaussian-mixture components per numeric column")
    origin: str | None = Field(None, description="origin zone column (default: found by name)")
    destination: str | None = Field(None, description="destination zone column (default: found by name)")
    departure: str | None = Field(None, description="departure time column (default: found by name)")
    zones: list[str] | None = Field(None, description="the zones that exist; trips naming another are refused")

    @field_validator("zones", mode="before")
    @classmethod
    def _comma_list(cls, value):
        return [z.strip() for z in value.split(",") if z.strip()] if isinstance(value, str) else value


class _Column:
    """How one column is coded for the network: a category index or a normal score."""

    def __init__(self, name: str, kind: str, categories: list[str] | None = None, quantiles: list[float] | None = None,
                 integer: bool = False):
        self.name, self.kind, self.categories, self.quantiles, self.integer = name, kind, categories, quantiles, integer

    @property
    def width(self) -> int:
        return len(self.categories) if self.kind == "cat" else 1

    def encode(self, values: pd.Series) -> np.ndarray:
        if self.kind == "cat":
            index = {c: i for i, c in enumerate(self.categories)}
            return np.array([index[str(v)] for v in values.astype(str)], dtype=np.int64)
        q = np.asarray(self.quantiles)
        x = values.to_numpy(dtype=float)
        left, right = np.searchsorted(q, x, "left"), np.searchsorted(q, x, "right")
        below = q[np.clip(left - 1, 0, len(q) - 1)]
        above = q[np.clip(left, 0, len(q) - 1)]
        inside = (left - 1 + (x - below) / np.where(above > below, above - below, 1.0))
        rank = np.where(right > left, (left + right - 1) / 2, inside)  # ties (whole minutes) get their mid-rank
        p = np.clip(rank / (len(q) - 1), 0.5 / QUANTILES, 1 - 0.5 / QUANTILES)
        return ndtri(p).astype(np.float32)

    def decode(self, z: np.ndarray) -> np.ndarray:
        if self.kind == "cat":
            return np.asarray(self.categories, dtype=object)[z.astype(int)]
        x = np.interp(ndtr(z), np.linspace(0, 1, len(self.quantiles)), self.quantiles)
        return np.round(x) if self.integer else x

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "categories": self.categories, "quantiles": self.quantiles,
                "integer": self.integer}


class _ColumnAR(nn.Module):
    """One head per column; head j sees the cell embedding and columns 0..j-1 (masked input, MADE-style)."""

    def __init__(self, columns: list[_Column], n_origin: int, n_dest: int, n_bins: int, hidden: int, emb: int, k: int):
        super().__init__()
        self.columns, self.k = columns, k
        self.e_o, self.e_d, self.e_b = nn.Embedding(n_origin, emb), nn.Embedding(n_dest, emb), nn.Embedding(n_bins, emb)
        widths = [c.width for c in columns]
        self.offsets = np.concatenate([[0], np.cumsum(widths)]).astype(int)
        total = int(self.offsets[-1])
        masks = torch.zeros(len(columns), total)
        for j in range(len(columns)):
            masks[j, : self.offsets[j]] = 1
        self.register_buffer("masks", masks)
        outs = [c.width if c.kind == "cat" else 3 * k for c in columns]
        self.heads = nn.ModuleList(nn.Sequential(nn.Linear(3 * emb + total, hidden), nn.ReLU(), nn.Linear(hidden, hidden),
                                                 nn.ReLU(), nn.Linear(hidden, o)) for o in outs)

    def _context(self, o, d, b):
        return torch.cat([self.e_o(o), self.e_d(d), self.e_b(b)], dim=-1)

    def _onehot(self, x: list[torch.Tensor]) -> torch.Tensor:
        parts = [nn.functional.one_hot(v, c.width).float() if c.kind == "cat" else v.unsqueeze(-1)
                 for v, c in zip(x, self.columns)]
        return torch.cat(parts, dim=-1)

    def loss(self, o, d, b, x: list[torch.Tensor]) -> torch.Tensor:
        ctx, enc = self._context(o, d, b), self._onehot(x)
        total = 0.0
        for j, (head, col) in enumerate(zip(self.heads, self.columns)):
            out = head(torch.cat([ctx, enc * self.masks[j]], dim=-1))
            if col.kind == "cat":
                total = total + nn.functional.cross_entropy(out, x[j])
            else:
                logit, mu, log_sd = out.split(self.k, dim=-1)
                log_sd = log_sd.clamp(-5, 3)
                z = (x[j].unsqueeze(-1) - mu) / log_sd.exp()
                log_p = torch.log_softmax(logit, -1) - 0.5 * z.pow(2) - log_sd - 0.5 * math.log(2 * math.pi)
                total = total - torch.logsumexp(log_p, -1).mean()
        return total / len(self.columns)

    @torch.no_grad()
    def sample(self, o, d, b, gen: torch.Generator) -> list[torch.Tensor]:
        ctx = self._context(o, d, b)
        n = o.shape[0]
        x = [torch.zeros(n, dtype=torch.long) if c.kind == "cat" else torch.zeros(n) for c in self.columns]
        for j, (head, col) in enumerate(zip(self.heads, self.columns)):
            out = head(torch.cat([ctx, self._onehot(x) * self.masks[j]], dim=-1))
            if col.kind == "cat":
                x[j] = torch.multinomial(torch.softmax(out, -1), 1, generator=gen)[:, 0]
            else:
                logit, mu, log_sd = out.split(self.k, dim=-1)
                comp = torch.multinomial(torch.softmax(logit, -1), 1, generator=gen)
                m, s = mu.gather(1, comp)[:, 0], log_sd.clamp(-5, 3).gather(1, comp)[:, 0].exp()
                x[j] = m + s * torch.randn(n, generator=gen)
        return x


class TripGenerator(Generator):
    """Trip records (origin, destination, departure, duration, distance, mode...) with a k-anonymous OD-time table."""

    name = "traffic-trips"
    modality = "table"
    domain = "traffic"
    role = "alternative"
    protects_values = True  # releases only k-anonymous cells: no rare zone or time survives
    description = ("trip tables (origin/destination records) rather than detector series: k-anonymous OD x "
                   "departure-hour cells + column-autoregressive network for the rest (PyTorch)")
    Config = TripConfig
    smoke_config = {"epochs": 1, "hidden": 8, "embedding": 2, "components": 2, "k": 1}
    default_dataset = "nyc_flights"
    cpu_threads = 1  # a small network per column: a second CPU thread only slows it (synthguard.models.torch_threads)

    # ------------------------------------------------------------------ roles

    def _roles(self, data: Table) -> tuple[str, str, str | None]:
        c = self.config
        found = trip_columns(list(data.frame.columns), {k: v for k, v in
                                                        (("origin", c.origin), ("destination", c.destination),
                                                         ("departure", c.departure)) if v})
        for role in ("origin", "destination"):
            if role not in found:
                raise DataError(f"no {role} column among {list(data.frame.columns)}: expected one named like "
                                f"'origin'/'dest' (or --set {role}=COLUMN)")
            if found[role] not in data.frame.columns:
                raise DataError(f"{role} column {found[role]!r} not found in {list(data.frame.columns)}")
        return found["origin"], found["destination"], found.get("departure")

    def _clock(self, values: pd.Series) -> tuple[np.ndarray, np.ndarray | None]:
        """(minutes after midnight, day number or None) of a departure column."""
        if pd.api.types.is_datetime64_any_dtype(values):
            t = pd.to_datetime(values)
            return (t.dt.hour * 60 + t.dt.minute + t.dt.second / 60).to_numpy(float), \
                (t.dt.normalize().astype("int64") // 86_400_000_000_000).to_numpy(float)
        unit = departure_unit(values, str(values.name))  # seconds per unit of the clock numbers
        if unit is None:
            raise DataError(f"departure column {values.name!r} holds text: expected datetimes or clock times "
                            "(hours, minutes or seconds after midnight)")
        return pd.to_numeric(values, errors="coerce").to_numpy(float) * unit / 60, None

    def quasi_identifiers(self) -> list[str]:
        """A trip is singled out by where and when it starts and ends: the k-anonymity gate's default."""
        return [c for c in (self.origin_, self.dest_, self.departure_) if c]

    # ------------------------------------------------------------------ fit

    def _fit(self, data: Table, *, device: torch.device, seed: int, progress: bool) -> dict[str, Any]:
        c = self.config
        frame = data.frame
        self.origin_, self.dest_, self.departure_ = self._roles(data)
        for col in (self.origin_, self.dest_):
            if frame[col].isna().any():
                raise DataError(f"zone column {col!r} has {int(frame[col].isna().sum())} missing values: expected a zone on every trip")
        o, d = frame[self.origin_].astype(str), frame[self.dest_].astype(str)
        if c.zones is not None:
            unknown = sorted((set(o) | set(d)) - {str(z) for z in c.zones})
            if unknown:
                raise DataError(f"trips name zones {unknown[:10]} that are not among the {len(c.zones)} declared zones")
        self.origins_, self.dests_ = sorted(o.unique()), sorted(d.unique())
        if len(self.origins_) * len(self.dests_) > 250_000:
            raise DataError(f"{len(self.origins_)} origins x {len(self.dests_)} destinations: expected at most 250,000 OD "
                            "pairs (aggregate zones first)")
        parts = {self.origin_: o, self.dest_: d}
        minutes = day = None
        if self.departure_:
            if frame[self.departure_].isna().any():
                raise DataError(f"departure column {self.departure_!r} has missing values: expected a time on every trip")
            minutes, day = self._clock(frame[self.departure_])
            self.departure_kind_ = "datetime" if day is not None else "clock"
            # minutes per unit of the user's clock numbers (1/60 for seconds, 60 for hours), to write them back
            self.departure_scale_ = departure_unit(frame[self.departure_], self.departure_) / 60 if day is None else 1.0
        cells, bins = self._cells(o, d, minutes)
        self.cells_ = cells
        # the columns the network draws, in order: departure offset (and day), then the user's other columns
        extra = pd.DataFrame(index=frame.index)
        if minutes is not None:
            width = np.array([LEVELS[lv] for lv in bins["level"]])
            extra[OFFSET] = np.clip((minutes - bins["start"].to_numpy()) / width, 0, 1 - 1e-9)
            if day is not None:
                extra[DAY] = day
        rest = [col for col in frame.columns if col not in (self.origin_, self.dest_, self.departure_)]
        self.columns_, coded = [], []
        for name in list(extra.columns) + rest:
            series = extra[name] if name in extra.columns else frame[name]
            meta = None if name in extra.columns else data.meta.column(name)
            if series.isna().any():
                flag = _Column(MISSING + name, "cat", ["False", "True"])
                self.columns_.append(flag)
                coded.append(flag.encode(series.isna()))
            col = self._column(name, series, meta)
            self.columns_.append(col)
            filled = series.fillna(series.mode().iloc[0] if col.kind == "cat" else series.median())
            coded.append(col.encode(filled))
        keep = bins["cell"].to_numpy() >= 0  # suppressed cells' trips teach the network nothing it may repeat
        if not keep.any():
            raise DataError(f"none of the {len(frame)} trips shares its origin, destination and departure period with "
                            f"{c.k - 1} others: expected more trips, or a smaller k (--set k=...)")
        self.model_ = _ColumnAR(self.columns_, len(self.origins_), len(self.dests_), _n_bins(), c.hidden, c.embedding,
                                c.components).to(device)
        return self._train(o[keep], d[keep], bins["bin"].to_numpy()[keep], [x[keep] for x in coded], device, seed, progress) | {
            "cells": len(cells), "trips_in_suppressed_cells": int((~keep).sum())}

    def _cells(self, o: pd.Series, d: pd.Series, minutes: np.ndarray | None) -> tuple[list[list], pd.DataFrame]:
        """k-anonymous cells (origin, dest, level, start, count) and each trip's cell/bin."""
        k = self.config.k
        n = len(o)
        level = np.full(n, -1)
        start = np.zeros(n)
        key = pd.DataFrame({"o": o.to_numpy(), "d": d.to_numpy()})
        for width in LEVELS if minutes is not None else LEVELS[-1:]:  # hour, 4-hour block, day (no time: day only)
            todo = level < 0
            if not todo.any():
                break
            s = np.floor(minutes / width) * width if minutes is not None else np.zeros(n)
            sizes = key.assign(s=s)[todo].groupby(["o", "d", "s"]).transform("size").to_numpy()
            rows = np.flatnonzero(todo)[sizes >= k]
            level[rows], start[rows] = LEVELS.index(width), s[rows]
        table = pd.DataFrame({"o": o.to_numpy(), "d": d.to_numpy(), "level": level, "start": start})
        counted = table[level >= 0].groupby(["o", "d", "level", "start"]).size().reset_index(name="count")
        cells = counted.values.tolist()
        index = {tuple(r[:4]): i for i, r in enumerate(cells)}
        cell = np.array([index.get((a, b, lv, st), -1) for a, b, lv, st in table.itertuples(index=False)])
        return cells, pd.DataFrame({"cell": cell, "level": np.maximum(level, 0), "start": start,
                                    "bin": [_bin_id(lv, st) for lv, st in zip(np.maximum(level, 0), start)]})

    def _column(self, name: str, series: pd.Series, meta) -> _Column:
        s = series.dropna()
        numeric = pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
        if meta is not None and meta.kind is ColumnKind.datetime:
            raise DataError(f"column {name!r} holds dates: expected the departure column to be the only time "
                            f"(name it with --set departure={name}) or numbers")
        if not numeric or (meta is not None and meta.kind in (ColumnKind.categorical, ColumnKind.boolean)):
            cats = sorted(s.astype(str).unique())
            if len(cats) > MAX_CATEGORIES:
                raise DataError(f"column {name!r} has {len(cats)} distinct values: expected at most {MAX_CATEGORIES} "
                                "(an ID? drop it)")
            return _Column(name, "cat", cats)
        q = np.quantile(s.to_numpy(float), np.linspace(0, 1, QUANTILES)).tolist()
        integer = bool(meta.integer) if meta is not None else False
        return _Column(name, "num", quantiles=q, integer=integer)

    def _train(self, o, d, b, coded, device, seed, progress) -> dict[str, Any]:
        c = self.config
        oi = torch.tensor([self.origins_.index(v) for v in o], device=device)
        di = torch.tensor([self.dests_.index(v) for v in d], device=device)
        bi = torch.tensor(b, dtype=torch.long, device=device)
        xs = [torch.from_numpy(x).to(device) for x in coded]
        gen = torch_generator(seed)
        perm = torch.randperm(len(oi), generator=gen)
        n_val = max(1, len(perm) // 10) if len(perm) >= 50 else 0
        val, train = perm[:n_val].to(device), perm[n_val:].to(device)
        model = self.model_

        def loss(idx, _gen):
            return model.loss(oi[idx], di[idx], bi[idx], [x[idx] for x in xs])

        hist = train_loop(model, loss, train, val if n_val else None, epochs=c.epochs,
                          batch_size=min(c.batch_size, max(8, len(train) // 2)), lr=c.lr, generator=gen,
                          patience=c.patience if n_val else None, progress=progress,
                          description=f"fitting {self.name} on {device}", val_repeats=1)
        return {"epochs_run": hist.epochs_run, "best_epoch": hist.best_epoch, "history": hist.to_json(),
                "parameters": sum(p.numel() for p in model.parameters())}

    # ------------------------------------------------------------------ sample

    def _sample(self, n: int, *, seed: int, conditions: dict[str, Any]) -> Table:
        rng = np.random.default_rng(seed)
        cells = pd.DataFrame(self.cells_, columns=["o", "d", "level", "start", "count"])
        weights = cells["count"].to_numpy(float)
        for col, value in conditions.items():
            role = {self.origin_: "o", self.dest_: "d"}.get(col)
            if role is None:
                raise DataError(f"cannot condition trips on {col!r}: expected {self.origin_!r} or {self.dest_!r}")
            weights = weights * (cells[role] == str(value)).to_numpy()
        if weights.sum() == 0:
            raise DataError(f"no k-anonymous cell matches {conditions}: expected zones with at least k={self.config.k} trips")
        pick = cells.iloc[rng.choice(len(cells), size=n, p=weights / weights.sum())].reset_index(drop=True)
        device = next(self.model_.parameters()).device
        gen = torch_generator(seed, device=device)
        oi = torch.tensor([self.origins_.index(v) for v in pick["o"]], device=device)
        di = torch.tensor([self.dests_.index(v) for v in pick["d"]], device=device)
        bi = torch.tensor([_bin_id(lv, st) for lv, st in zip(pick["level"], pick["start"])], dtype=torch.long, device=device)
        xs = self.model_.sample(oi, di, bi, gen)
        out = {self.origin_: pick["o"].to_numpy(), self.dest_: pick["d"].to_numpy()}
        decoded = {col.name: col.decode(x.cpu().numpy()) for col, x in zip(self.columns_, xs)}
        for name in list(decoded):
            if name.startswith(MISSING):
                target = name[len(MISSING):]
                decoded[target] = np.where(decoded[name] == "True", np.nan, decoded[target]) if target in decoded else decoded[target]
        if self.departure_:
            width = np.array([LEVELS[int(lv)] for lv in pick["level"]])
            minutes = pick["start"].to_numpy(float) + np.clip(decoded[OFFSET].astype(float), 0, 1 - 1e-9) * width
            if self.departure_kind_ == "datetime":
                day = np.round(decoded[DAY].astype(float)).astype("int64")
                out[self.departure_] = (day.astype("datetime64[D]").astype("datetime64[ns]")
                                        + (minutes * 60e9).astype("int64").astype("timedelta64[ns]"))
            else:
                value = minutes / self.departure_scale_
                out[self.departure_] = np.floor(value) if self.meta_.column(self.departure_).integer else value
        for name, values in decoded.items():
            if not name.startswith("__"):
                out[name] = values
        frame = pd.DataFrame(out)[list(self.meta_.names)]
        return Table(restore_types(frame, self.meta_), self.meta_)

    # ------------------------------------------------------------------ bundle

    def _get_state(self):
        state = {"origin": self.origin_, "destination": self.dest_, "departure": self.departure_,
                 "origins": self.origins_, "dests": self.dests_, "cells": self.cells_,
                 "columns": [c.to_json() for c in self.columns_]}
        if self.departure_:
            state.update(departure_kind=self.departure_kind_, departure_scale=self.departure_scale_)
        return dict(self.model_.state_dict()), state

    def _set_state(self, tensors, state) -> None:
        self.origin_, self.dest_, self.departure_ = state["origin"], state["destination"], state["departure"]
        self.origins_, self.dests_, self.cells_ = state["origins"], state["dests"], state["cells"]
        self.columns_ = [_Column(**c) for c in state["columns"]]
        if self.departure_:
            self.departure_kind_, self.departure_scale_ = state["departure_kind"], float(state["departure_scale"])
        c = self.config
        self.model_ = _ColumnAR(self.columns_, len(self.origins_), len(self.dests_), _n_bins(), c.hidden, c.embedding,
                                c.components)
        self.model_.load_state_dict(tensors)
        self.model_.eval()


def _n_bins() -> int:
    return sum(1440 // w for w in LEVELS)


def _bin_id(level: int, start: float) -> int:
    """Index of a (level, start) departure bin among all levels' bins: 24 hours, 6 blocks, 1 day."""
    return sum(1440 // w for w in LEVELS[:int(level)]) + int(start // LEVELS[int(level)])


class TripGaussianCopula(GaussianCopulaGenerator):
    """SDV GaussianCopulaSynthesizer on the trip table (baseline: no OD structure, no k-anonymous cells)."""

    name = "traffic-trips-gc"
    domain = "traffic"
    role = "baseline"
    default_dataset = "nyc_flights"
