"""The plugin contract's classes: everything a ``register`` callback accepts, and the contexts it receives.

Read this module beside :mod:`synthguard.hookspecs` (the hooks): together they are the whole contract.

============================  ==============================================  =================================
a plugin registers            by subclassing / instantiating                   through the hook
============================  ==============================================  =================================
a generator                   :class:`Generator` (+ a :class:`GeneratorConfig`) ``register_generators``
a plausibility check          :class:`Validator`                              ``register_validators``
a leak filter                 :class:`PrivacyFilter`                          ``register_privacy_filters``
a real reference dataset      a :class:`Dataset` instance                     ``register_datasets``
a fidelity/utility metric     :class:`Metric`                                 ``register_metrics``
a record distance             :class:`Distance`                               ``register_distances``
an output writer              :class:`Writer`                                 ``register_writers``
============================  ==============================================  =================================

Checks receive a :class:`CheckContext`, metrics a :class:`MetricContext`, writers the run's
:class:`CheckContext`; checks answer with a :class:`Verdict`. Every class here is exported by
``synthguard`` itself (``from synthguard import Generator, Validator, ...``).

Generators, in scikit-learn's shape: ``__init__`` only stores a validated, frozen pydantic config;
``fit`` learns and returns ``self``; fitted state ends in ``_``; ``sample`` draws records. The base
class owns what every generator needs (input checks, seeding, device choice, timing, the training
data's metadata and record hashes, state for bundles), so a plugin implements four small methods:
``_fit``, ``_sample``, ``_get_state``, ``_set_state``.

Checks (validators and privacy filters) look at a batch of synthetic records and return a
:class:`Verdict`: one reason per record (``None`` = keep). They never drop data themselves; the
pipeline removes rejected records, writes them with their reasons to ``rejected.*`` and resamples.
Validators ask "is this plausible?", privacy filters ask "does this leak a real record?" — same
shape, different hooks, different section of the report.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Iterable, Mapping

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .bundle import MANIFEST
from .data import META_TYPES, Records, entity_groups, shared_by_people
from .errors import ConfigError, DataError
from .models import resolve_device, seed_everything, torch_threads

if TYPE_CHECKING:  # pragma: no cover
    from .screen import Screen

#: What a generator is for: ``generate DOMAIN`` uses the domain's one ``default``; an ``alternative`` is a
#: documented trade-off (its description says which, in one line); a ``baseline`` is a peer's method, for comparison.
ROLES = ("default", "dp", "alternative", "baseline")


class Scoped:
    """Something that runs only for some modalities and, optionally, some domains."""

    modalities: ClassVar[frozenset[str]] = frozenset({"table"})
    domains: ClassVar[frozenset[str] | None] = None

    def applies_to(self, modality: str, domain: str | None) -> bool:
        return modality in self.modalities and (self.domains is None or domain in self.domains)


#: The ledger's line for a model trained without differential privacy.
NO_DP = "training: no --epsilon given"


def sampling_setting(default: Any, **kwargs: Any) -> Any:
    """A config field that changes only how a fitted model samples (a temperature, sampler steps): ``generate
    --set`` applies it to a pretrained bundle without training, ``sample --set`` to any bundle, and the report's
    lineage records it beside the model's own value. Every other field is a training setting."""
    return Field(default, json_schema_extra={"sampling": True}, **kwargs)


class GeneratorConfig(BaseModel):
    """Base of every generator's config: frozen, unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    epochs: int = Field(100, ge=1, description="maximum training epochs")
    epsilon: float | None = Field(None, gt=0, description="train with DP-SGD to this ε (None = no DP)")
    delta: float | None = Field(None, gt=0, lt=1, description="DP δ; default 1/(10·n)")
    max_grad_norm: float = Field(1.0, gt=0, description="DP per-record gradient clipping bound")

    @classmethod
    def sampling_settings(cls) -> frozenset[str]:
        """The fields declared with :func:`sampling_setting`."""
        return frozenset(name for name, f in cls.model_fields.items()
                         if isinstance(f.json_schema_extra, dict) and f.json_schema_extra.get("sampling"))

    @property
    def dp(self):
        """The DP settings when ε is set, else None."""
        if self.epsilon is None:
            return None
        from .models.dp import DPSettings

        return DPSettings(epsilon=self.epsilon, delta=self.delta, max_grad_norm=self.max_grad_norm)


def config_error(owner: str, err: ValidationError, known: Iterable[str] = ()) -> ConfigError:
    """One line out of pydantic's multi-line error, naming the field; an unknown one with the options ``known``."""
    first = err.errors()[0]
    if not first.get("loc"):  # a check across fields (a model validator): its own sentence, not "option 'config'"
        error = first.get("ctx", {}).get("error")
        return ConfigError(f"{owner}: {error if error is not None else first['msg']}")
    where = ".".join(str(p) for p in first.get("loc", ()))
    if first.get("type") == "extra_forbidden" and where == "workers":  # synthguard.distributed is opt-in per generator
        return ConfigError(f"{owner} trains in one process (no 'workers' option): expected --workers 1")
    if first.get("type") == "extra_forbidden" and known:
        return ConfigError(f"{owner}: unknown option {where!r}: expected one of {', '.join(sorted(known))}")
    return ConfigError(f"{owner}: option {where!r}: {first['msg']}")


def validated(cls: type[BaseModel], value: BaseModel | Mapping[str, Any] | None, owner: str) -> BaseModel:
    """``value`` as the pydantic settings model ``cls`` (None = its defaults); a bad field is one ConfigError."""
    if value is None or isinstance(value, cls):
        return value or cls()
    try:
        return cls(**value)
    except ValidationError as err:
        raise config_error(owner, err, cls.model_fields) from None


def check_conditions(meta: Any, conditions: Mapping[str, Any], extra: Iterable[str] = ()) -> None:
    """Each condition names a column (or a sequence's static attribute, or one of ``extra``) and a value it can take.

    A category or flag the data never held is refused listing the known values (the closest first when there
    are many); a numeric or date column needs a number. Called before training (``generate``) and sampling.
    """
    table = (meta.static if isinstance(meta, META_TYPES["sequence"])
             else meta.metadata if isinstance(meta, META_TYPES["image"]) else meta)
    if isinstance(meta, (META_TYPES["sequence"], META_TYPES["image"])):
        known = (table.names if table is not None else []) + list(extra)
        what = "static attributes" if isinstance(meta, META_TYPES["sequence"]) else "image labels"
        for col in conditions:
            if col not in known:
                raise DataError(f"cannot condition on {col!r}: expected one of the {what} or conditions {known}")
    elif not isinstance(meta, META_TYPES["table"]):
        return
    for col, value in conditions.items():
        if table is None or col not in table.names:
            if isinstance(meta, META_TYPES["table"]):
                raise DataError(f"condition {col}={value!r}: unknown column {col!r}: expected one of "
                                f"{', '.join(meta.names)}")
            continue
        column = table.column(col)
        if column.kind.value in ("categorical", "boolean"):
            values = [str(v) for v in column.categories or []]
            if str(value) not in values:
                raise ConfigError(f"condition {col}={value!r}: value {str(value)!r} is unknown in column {col!r}: "
                                  f"expected {_known_values(str(value), values)}")
        elif column.kind.value == "numeric" and (isinstance(value, bool) or not _is_number(value)
                                                 or not _within(float(value), column.minimum, column.maximum)):
            # outside the data's range: the range checks would refuse every draw, after the training
            raise ConfigError(f"condition {col}={value!r}: column {col!r} is numeric: expected a number "
                              f"between {column.minimum:g} and {column.maximum:g}")


def _within(value: float, low: float | None, high: float | None) -> bool:
    return (low is None or value >= low) and (high is None or value <= high)


def _is_number(value: Any) -> bool:
    try:
        return bool(np.isfinite(float(value)))
    except (TypeError, ValueError):
        return False


def _known_values(value: str, values: list[str], shown: int = 10) -> str:
    """'one of a, b, c' — all of them when few, else the closest to ``value`` and how many there are."""
    if len(values) <= shown:
        return "one of " + ", ".join(repr(v) for v in values)
    import difflib

    close = difflib.get_close_matches(value, values, n=5, cutoff=0.0)
    return f"one of the {len(values)} values seen in training, the closest: " + ", ".join(repr(v) for v in close)


class Generator:
    """Base class of all generators. Register subclasses through ``register_generators``.

    Class attributes a subclass sets:
        name: unique registry name, e.g. ``"finance"``.
        modality: ``"table"``, ``"sequence"`` or ``"image"``.
        domain: which domain's validators run behind it (``"finance"``), or None.
        role: one of :data:`ROLES` — ``"default"`` (what ``synthguard generate DOMAIN`` uses; one per domain),
            ``"dp"`` (what ``synthguard generate DOMAIN --epsilon E`` uses; at most one per domain; without one the
            default trains with DP-SGD), ``"alternative"`` (a documented trade-off) or ``"baseline"`` (a peer's
            method, for comparison).
        description: one line saying what it is; an alternative's says its trade-off.
        Config: its :class:`GeneratorConfig` subclass.
        default_dataset: dataset used by ``synthguard generate NAME`` without ``--data``.
        supports_save / supports_conditions / supports_dp / supports_resume: capabilities checked by the CLI
            and the contract tests. A ``supports_resume`` generator implements ``_resume`` (continue training a
            fitted model on new records: ``synthguard fit NAME --data NEW --resume BUNDLE``).
            A ``supports_dp`` generator trains with DP-SGD when ``config.epsilon`` is set
            (see :func:`synthguard.models.train_dp`) and returns its ledger as
            ``{"privacy": {"dp": ledger, "non_private": [...]}}`` from ``_fit``. A ``supports_screening`` table
            generator takes ``screen`` in ``_sample`` (:mod:`synthguard.screen`).
        extra_conditions: condition names a sequence generator understands besides its static attributes
            (a traffic generator's ``weekday``, ``holiday``...); :meth:`check_conditions_on` checks their values
            against the training records before training.
        long_recording_window: sequence generators: recordings read from a log or NPZ that are longer than twice
            this many steps are cut into windows of this many steps unless the user names a window (``--window``),
            said in the run's notes; the synthetic records are then windows too. None: recordings are trained whole.
        cpu_threads: at most this many torch threads while it fits and samples: 1 for small networks, which
            a second thread slows (:func:`synthguard.models.torch_threads`). None: torch's own setting (image
            convolutions gain from threads).
        smoke_config: config options that make a fit take seconds on a few dozen records; the core's contract
            test (``tests/test_contract.py``) trains every installed generator with them.
    """

    name: ClassVar[str]
    modality: ClassVar[str] = "table"
    domain: ClassVar[str | None] = None
    role: ClassVar[str | None] = None
    description: ClassVar[str] = ""
    Config: ClassVar[type[GeneratorConfig]] = GeneratorConfig
    default_dataset: ClassVar[str | None] = None
    supports_save: ClassVar[bool] = True
    #: True when the generator keeps rare values out of its output itself (k-anonymous cells, DP domains):
    #: the engine then skips value protection (:mod:`synthguard.privacy.value_protection`) for it.
    protects_values: ClassVar[bool] = False
    supports_conditions: ClassVar[bool] = False
    supports_dp: ClassVar[bool] = False
    supports_resume: ClassVar[bool] = False
    #: True when ``_sample`` takes ``screen`` (a :class:`synthguard.screen.Screen`): it draws the screen's columns
    #: first and the rest only for the partial records ``screen.keep`` keeps (tables drawn column by column)
    supports_screening: ClassVar[bool] = False
    extra_conditions: ClassVar[tuple[str, ...]] = ()
    #: fit settings measured to leak less where the audit can tell, and what was measured: a run refused by the
    #: membership attacks names them as a fix, unless its model has them already
    privacy_remedy: ClassVar[tuple[dict[str, Any], str] | None] = None
    long_recording_window: ClassVar[int | None] = None
    cpu_threads: ClassVar[int | None] = None
    smoke_config: ClassVar[dict[str, Any]] = {"epochs": 1}
    state_version: ClassVar[int] = 1

    def __init__(self, config: GeneratorConfig | Mapping[str, Any] | None = None, **params: Any):
        if isinstance(config, self.Config):
            if params:  # the settings given, then the new ones: validators see what was given, as below
                config = self.Config.model_validate({**config.model_dump(include=config.model_fields_set), **params})
            self.config = config
            return
        values = {**dict(config or {}), **params}
        try:
            self.config = self.Config(**values)
        except ValidationError as err:
            raise config_error(f"generator {self.name!r}", err, self.Config.model_fields) from None

    def __repr__(self) -> str:
        fitted = "fitted" if self.is_fitted else "not fitted"
        return f"{type(self).__name__}({self.config!r}, {fitted})"

    # ------------------------------------------------------------------ public API

    @property
    def is_fitted(self) -> bool:
        return hasattr(self, "meta_")

    def fit(self, data: Records, *, seed: int = 0, device: str = "auto", progress: bool = False,
            resume: bool = False) -> "Generator":
        """Learn from ``data`` (a container of this generator's modality). Returns self.

        ``resume=True`` continues training this fitted model on ``data`` (new
        records, same schema) instead of starting afresh; the training-record
        hashes the exact-copy filter knows become the old and the new ones.
        """
        if not isinstance(data, Records) or data.modality != self.modality:
            got = getattr(data, "modality", type(data).__name__)
            raise DataError(f"generator {self.name!r} fits {self.modality} data: got {got}")
        if self.config.epsilon is not None and not self.supports_dp:
            raise ConfigError(f"generator {self.name!r} cannot train with differential privacy: "
                              "expected a generator that supports DP (drop --epsilon)")
        if resume:
            if not self.supports_resume:
                raise ConfigError(f"generator {self.name!r} cannot resume training: expected a generator that supports it")
            if not self.is_fitted:
                raise ConfigError(f"generator {self.name!r} is not fitted: nothing to resume")
            if self.config.epsilon is not None:
                raise ConfigError("resuming a DP-trained model would spend more ε than its ledger says: train afresh")
        dev = resolve_device(device)
        seed_everything(seed)
        start = time.perf_counter()
        previous = None
        if resume:
            previous = {k: self.fit_info_.get(k) for k in ("records", "seconds", "data_fingerprint", "epochs_run")}
            previous["earlier"] = self.fit_info_.get("resumed_from", [])
            with torch_threads(self.cpu_threads):
                extra = dict(self._resume(data, device=dev, seed=seed, progress=progress) or {})
            meta = self._resumed_meta(self.meta_, data.meta)
            hashes = np.union1d(self.reference_hashes_, data.record_hashes())
        else:
            with torch_threads(self.cpu_threads):
                extra = dict(self._fit(data, device=dev, seed=seed, progress=progress) or {})
            meta, hashes = data.meta, data.record_hashes()
        if self.config.epsilon is not None and "dp" not in extra.get("privacy", {}):
            raise ConfigError(f"generator {self.name!r} was asked for ε={self.config.epsilon} but reported no DP ledger")
        extra.setdefault("privacy", {"dp": None, "non_private": [NO_DP]})
        if previous is not None:
            extra["resumed_from"] = [*previous.pop("earlier"), previous]
        self.meta_ = meta
        # a DP model keeps no hashes of its training records: a bundle holding them answers "was this record in
        # the training data?" exactly, whatever ε says (the exact-copy filter takes them from the real data at hand)
        self.reference_hashes_ = hashes if self.config.epsilon is None else np.array([], dtype=np.uint64)
        self.fit_info_ = {
            "seed": seed,
            "device": str(dev),
            "records": len(data),
            "seconds": round(time.perf_counter() - start, 3),
            "data_fingerprint": data.fingerprint(),
            "torch": torch.__version__,
            **extra,
        }
        return self

    def sample(self, n: int, *, seed: int = 0, conditions: Mapping[str, Any] | None = None,
               screen: Screen | None = None) -> Records:
        """Draw ``n`` records. Same fitted model + same seed gives the same records.

        ``screen`` (the gate's, :mod:`synthguard.screen`): a generator that ``supports_screening`` returns only the
        draws the screen kept, the others stay in the screen; any other generator ignores it."""
        if not self.is_fitted:
            raise ConfigError(f"generator {self.name!r} is not fitted: call fit() or load a bundle first")
        if not isinstance(n, int) or isinstance(n, bool) or n <= 0:
            raise ConfigError(f"rows must be a positive integer: got {n!r}")
        conditions = dict(conditions or {})
        if conditions:
            if not self.supports_conditions:
                raise ConfigError(f"generator {self.name!r} does not support conditional sampling")
            check_conditions(self.meta_, conditions, self.extra_conditions)
        seed_everything(seed)
        with torch_threads(self.cpu_threads):
            if screen is not None and self.supports_screening:
                return self._sample(n, seed=seed, conditions=conditions, screen=screen)
            return self._sample(n, seed=seed, conditions=conditions)

    def quasi_identifiers(self) -> list[str]:
        """Columns of the fitted data an attacker could know about a person (a trip's origin, destination and
        departure time): the k-anonymity gate uses them when the user names none. Default: none."""
        return []

    @classmethod
    def check_conditions_on(cls, train: Records, conditions: Mapping[str, Any],
                            config: Mapping[str, Any] | None = None) -> None:
        """Raise ConfigError/DataError for a condition among ``extra_conditions`` that ``train`` (the training
        split, before any training) cannot satisfy, e.g. traffic's ``date=`` a day no record covers. Called by
        ``generate`` with the run's ``config``. Default: nothing (the schema's columns are checked by the core)."""

    @classmethod
    def public_config(cls, config: Mapping[str, Any], *, target: str | None = None,
                      dataset: "Dataset | None" = None) -> dict[str, Any]:
        """The config the engine fits this generator with: the user's ``config`` (``--set``, ``--epsilon``...)
        completed from public facts of the run, never from the records. ``target`` is the column a downstream model
        predicts (the user's ``--target``, else the reference dataset's declared one), ``dataset`` the reference
        dataset's declaration (None on the user's own data). What the user set wins; a generator that fills an option
        says so in its ledger. Called by ``generate`` and ``fit`` before training. Default: ``config`` unchanged."""
        return dict(config)

    def get_state(self) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        """Everything needed to sample again: tensors (safetensors) and JSON-able state."""
        if not self.is_fitted:
            raise ConfigError(f"generator {self.name!r} is not fitted: nothing to save")
        tensors, state = self._get_state()
        tensors = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
        tensors["__reference_hashes__"] = torch.from_numpy(np.ascontiguousarray(self.reference_hashes_, dtype=np.uint64).view(np.int64))
        return tensors, {
            "state_version": self.state_version,
            "modality": self.modality,
            "meta": self.meta_.model_dump(mode="json"),
            # wall-clock time differs run to run; it lives in the manifest, so equal fits give equal state
            "fit": {k: v for k, v in self.fit_info_.items() if k != "seconds"},
            "model": state,
        }

    @classmethod
    def from_state(cls, config: Mapping[str, Any], tensors: dict[str, torch.Tensor], state: dict[str, Any]) -> "Generator":
        """Rebuild a fitted generator from :meth:`get_state`'s output (used by bundles)."""
        if state.get("state_version") != cls.state_version:
            raise ConfigError(
                f"generator {cls.name!r} reads state version {cls.state_version}: bundle has {state.get('state_version')} "
                "(written by another version of the generator: fit it again)"
            )
        self = cls(dict(config))
        self.meta_ = META_TYPES[state["modality"]].model_validate(state["meta"])
        self.fit_info_ = dict(state["fit"])
        tensors = dict(tensors)
        self.reference_hashes_ = tensors.pop("__reference_hashes__").numpy().view("uint64")
        self._set_state(tensors, state["model"])
        return self

    def save(self, path) -> str:
        """Write a bundle directory (safetensors + JSON); returns the bundle hash."""
        from .bundle import save_bundle

        return save_bundle(self, path)

    # ------------------------------------------------------------------ to implement

    def _fit(self, data: Records, *, device: torch.device, seed: int, progress: bool) -> dict | None:
        """Train on ``data``. May return extra JSON-able facts for ``fit_info_`` (epochs, losses)."""
        raise NotImplementedError

    def _resume(self, data: Records, *, device: torch.device, seed: int, progress: bool) -> dict | None:
        """Continue training the fitted model on ``data`` (only for ``supports_resume`` generators)."""
        raise NotImplementedError

    def _resumed_meta(self, old, new):
        """The metadata after resuming on new records (default: the new records')."""
        return new

    def _sample(self, n: int, *, seed: int, conditions: dict[str, Any]) -> Records:
        raise NotImplementedError

    def _get_state(self) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        raise NotImplementedError

    def _set_state(self, tensors: dict[str, torch.Tensor], state: dict[str, Any]) -> None:
        raise NotImplementedError


class Verdict:
    """Per-record outcome of a check: ``reasons[i]`` is None (keep) or a short reason string."""

    def __init__(self, reasons: Iterable[str | None]):
        if isinstance(reasons, np.ndarray) and reasons.dtype == object and reasons.ndim == 1:
            self.reasons = reasons
        else:
            self.reasons = np.empty(len(reasons := list(reasons)), dtype=object)
            self.reasons[:] = reasons

    @classmethod
    def keep_all(cls, n: int) -> "Verdict":
        return cls(np.full(n, None, dtype=object))

    @classmethod
    def from_mask(cls, rejected: np.ndarray, reason: str | Iterable[str] | Callable[[int], str]) -> "Verdict":
        """Reject where ``rejected`` is True, with one reason, one reason per record, or ``reason(i)``.

        A callable is called for the rejected records' indices only: the cheap way to give each one its
        own reason when most records pass (a gate sees every sampled row).
        """
        rejected = np.asarray(rejected, dtype=bool)
        out = np.full(len(rejected), None, dtype=object)
        if isinstance(reason, str):
            out[rejected] = reason
        elif callable(reason):
            out[rejected] = [reason(int(i)) for i in np.flatnonzero(rejected)]
        else:
            per = np.asarray(list(reason), dtype=object)
            out[rejected] = per[rejected]
        return cls(out)

    def __len__(self) -> int:
        return len(self.reasons)

    @property
    def rejected(self) -> np.ndarray:
        return np.not_equal(self.reasons, None).astype(bool)

    def merge(self, other: "Verdict") -> "Verdict":
        """Both checks' reasons, joined with '; ' where both reject."""
        if len(other) != len(self):
            raise ValueError("verdicts of different lengths")
        mine, theirs = self.rejected, other.rejected
        out = np.where(theirs, other.reasons, self.reasons)
        both = np.flatnonzero(mine & theirs)
        out[both] = [f"{a}; {b}" for a, b in zip(self.reasons[both], other.reasons[both])]
        return Verdict(out)


@dataclass
class CheckContext:
    """What a check may use besides the records under test.

    ``meta`` is the training data's metadata (e.g. :class:`~synthguard.data.TableMeta`),
    always present. ``reference`` is the real training data when it is at hand
    (``generate``), None when sampling from a bundle alone; ``holdout`` is real data
    kept away from training, when there is some. ``reference_hashes``
    are the training records' hashes, always present (bundles carry them).
    ``options`` holds user settings such as ``rules`` and ``bounds``.
    ``distance`` is the :class:`~synthguard.privacy.Distance` class chosen for this
    modality and domain (see ``register_distances``); :meth:`nearest_reference`
    builds the nearest-training-record index once per run and shares it.
    """

    meta: Any
    reference_hashes: np.ndarray
    reference: Records | None = None
    holdout: Records | None = None
    domain: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    distance: Any = None
    _shared: dict[str, Any] = field(default_factory=dict, repr=False)

    def nearest_reference(self):
        """:class:`~synthguard.privacy.NearestRecords` over the distinct training records (built on first use)."""
        if self.reference is None or self.distance is None:
            raise ValueError("nearest_reference needs the training records and a distance")
        if "nearest" not in self._shared:
            from .privacy.distance import NearestRecords

            # one point per distinct record: a duplicated training record (a person with several identical rows)
            # must not be its own "second nearest neighbour", or every ratio next to it reads 1
            _, first = np.unique(self.reference.record_hashes(), return_index=True)
            distinct = self.reference if len(first) == len(self.reference) else self.reference.take(np.sort(first))
            self._shared["nearest"] = NearestRecords(self.distance().fit(self.reference), distinct)
        return self._shared["nearest"]

    def _real_parts(self) -> list[Records]:
        """The real records the checks know: training, then holdout when there is one."""
        return [p for p in (self.reference, self.holdout) if p is not None]

    def _real_entity_ids(self) -> list[np.ndarray] | None:
        """Each real part's entity ids (:func:`~.data.entity_groups`), or None unless every part has them."""
        parts = self._real_parts()
        ids = [entity_groups(p) for p in parts]
        return ids if parts and all(i is not None for i in ids) else None

    def people_are_entities(self) -> bool:
        """Whether every real part (training, holdout) carries entity ids: people are then entities, otherwise
        distinct records (:meth:`real_people`). Reads the ids only, no record hashing."""
        return self._real_entity_ids() is not None

    def real_people(self) -> tuple[np.ndarray, np.ndarray, str]:
        """Every real record (training, then holdout), as ``(record hashes, the person each is, how people are
        counted)``. With entity ids (``--entity-column``) a person is an entity, so identical records of two entities
        are two people; without ids identical rows may be one person's repeats (or a planted canary), so a person is a
        distinct record: ten copies of one row are one person. Computed once, for every filter that counts people."""
        if "people" not in self._shared:
            parts = self._real_parts()
            hashes = np.concatenate([p.record_hashes() for p in parts]) if parts else np.array([], dtype=np.uint64)
            ids = self._real_entity_ids()
            if ids is not None:
                self._shared["people"] = hashes, np.concatenate([np.asarray(i).astype(str) for i in ids]), "entities"
            else:
                self._shared["people"] = hashes, hashes, "distinct records"
        return self._shared["people"]

    def shared_records(self, k: int) -> np.ndarray:
        """Hashes of the real records at least ``k`` distinct people hold (:func:`~.data.shared_by_people`, as the
        audit counts them; computed once per ``k``): a synthetic record equal to one of them points to no one in
        particular, as a k-anonymous combination does. Empty without entity ids, where every record is one person's
        by definition."""
        if ("shared", k) not in self._shared:
            self._shared[("shared", k)] = shared_by_people(self._real_parts(), k)
        return self._shared[("shared", k)]

    def unseen_holdout(self) -> tuple[Records | None, int]:
        """The holdout without records equal to a training record, and how many were left out (computed once).

        Such a record is the same record on both sides of the split (a person with several identical rows; with
        entity ids, another person who shares the record), not an unseen one. None when every holdout record is one.
        """
        if "unseen" not in self._shared:
            same = np.isin(self.holdout.record_hashes(), self.reference_hashes)
            unseen = None if same.all() else self.holdout if not same.any() else self.holdout.take(np.flatnonzero(~same))
            self._shared["unseen"] = (unseen, int(same.sum()))
        return self._shared["unseen"]

    def calibration_holdout(self, limit: int) -> tuple[Records | None, int, int]:
        """:meth:`unseen_holdout`, cut to a uniform sample of ``limit`` records (seed 0) when it holds more, with the
        count left out as equal to training records and the number of unseen records (computed once: the filters
        that calibrate on the holdout share one sample, and so one search)."""
        if "calibration" not in self._shared:
            holdout, copies = self.unseen_holdout()
            unseen = 0 if holdout is None else len(holdout)
            if unseen > limit:
                holdout = holdout.take(np.sort(np.random.default_rng(0).choice(unseen, limit, replace=False)))
            self._shared["calibration"] = (holdout, copies, unseen)
        return self._shared["calibration"]

    def reference_neighbours(self, records: Records, k: int = 2) -> tuple[np.ndarray, np.ndarray]:
        """Distances and indices (n, k) of each record's nearest training records; the last batch's search is reused."""
        cached = self._shared.get("last_search")
        if cached is None or cached[0] is not records or cached[1] != k:
            cached = (records, k, self.nearest_reference().kneighbors(records, k))
            self._shared["last_search"] = cached
        return cached[2]


class Check(Scoped):
    """Base of validators and privacy filters.

    Subclasses set ``name`` (unique, dotted by plugin, e.g. ``finance.bounds``),
    ``modalities`` (which containers they accept), ``domains`` (None = every
    domain, or e.g. ``{"finance"}`` to run only behind that domain's generators)
    and implement :meth:`check`. An instance is created once per run with no
    arguments; per-run settings come in through :class:`CheckContext`.
    """

    name: ClassVar[str]
    description: ClassVar[str] = ""
    #: The user's run options this check applies (``rules``, ``bounds``, ``rate_limits``): a run refuses one that
    #: no active check reads rather than ignore it.
    reads_options: ClassVar[frozenset[str]] = frozenset()

    def prepare(self, context: CheckContext) -> None:
        """Called once per run before the first batch: validate options, precompute lookups."""

    def check(self, records: Records, context: CheckContext) -> Verdict:  # pragma: no cover - abstract
        raise NotImplementedError

    def summary(self) -> dict[str, Any]:
        """Thresholds and settings to show in the report beside the rejection count."""
        return {}


class Validator(Check):
    """A plausibility / safety check (physical range, business rule, PII pattern...)."""

    kind: ClassVar[str] = "validator"


class PrivacyFilter(Check):
    """A leak filter (exact/near copy, rare combination...)."""

    kind: ClassVar[str] = "privacy"

    def screen_columns(self) -> tuple[str, ...]:
        """The columns this filter judges a table record by alone, after :meth:`prepare` (k-anonymity: its
        quasi-identifiers); a generator that draws them first asks it before drawing the rest
        (:mod:`synthguard.screen`). Default: none, it needs the whole record."""
        return ()


@dataclass(frozen=True)
class Dataset:
    """A real reference dataset a plugin ships for offline use.

    ``load()`` returns a container; it must not touch the network. ``bundle_dir`` is the
    plugin's folder of pretrained bundles, each named ``<generator>--<dataset>``: :meth:`bundles`
    finds this dataset's there (``pretrained`` may add others by generator name), so ``synthguard
    generate NAME`` needs no training, and ``synthguard pretrain PLUGIN`` writes there. ``source`` and ``licence``
    are shown by ``synthguard datasets``: say where the data really comes from.
    ``quasi_identifiers`` are the columns an attacker could know about a person
    (age, sex, zip...): the k-anonymity gate uses them unless the user names others.
    """

    name: str
    modality: str
    load: Callable[[], Records]
    description: str
    source: str
    licence: str
    shape: tuple[int, ...] | None = None
    target: str | None = None
    quasi_identifiers: tuple[str, ...] = ()
    pretrained: dict[str, Path] = field(default_factory=dict)
    bundle_dir: Path | None = None

    def bundles(self) -> dict[str, Path]:
        """Pretrained bundles of this dataset by generator: those in ``bundle_dir`` now, and ``pretrained``."""
        found = pretrained_bundles(Path(self.bundle_dir), self.name) if self.bundle_dir is not None else {}
        return {**found, **self.pretrained}


def pretrained_bundles(folder: Path, dataset: str) -> dict[str, Path]:
    """``Dataset.pretrained`` for ``dataset``: the bundles in ``folder`` named ``<generator>--<dataset>``, by generator.

    A directory without a manifest is not a bundle and is left out (a plugin installed without its bundles
    trains instead); a missing ``folder`` gives an empty mapping.
    """
    if not folder.is_dir():
        return {}
    found = {}
    for bundle in sorted(folder.iterdir()):
        generator, _, name = bundle.name.partition("--")
        if name == dataset and (bundle / MANIFEST).is_file():
            found[generator] = bundle
    return found


@dataclass
class MetricContext:
    """What a metric may use besides the two record sets.

    ``holdout`` is real data the generator never saw (None when there is none),
    ``target`` the column a downstream model would predict (dataset default or
    the user's ``--target``), ``domain`` the generator's domain.
    """

    holdout: Records | None = None
    target: str | None = None
    domain: str | None = None


class Writer(Scoped):
    """Writes extra output files for the delivered records (see ``register_writers``).

    ``write(records, directory, context)`` writes under ``directory`` (a temporary
    directory that becomes ``--out`` only if the whole run succeeds) and returns the
    paths it wrote, relative to ``directory``. ``context`` is the run's
    :class:`~synthguard.CheckContext` (training metadata, domain, options).
    """

    name: ClassVar[str]
    description: ClassVar[str] = ""

    def write(self, records: Records, directory: Path, context: Any) -> list[str]:  # pragma: no cover - abstract
        raise NotImplementedError


class Metric(Scoped):
    """A fidelity/utility metric shown in the report.

    ``compute(real, synthetic, context)`` returns a dict of JSON-able values; ``real``
    is the training data. It runs only when the real data is at hand (``generate``,
    ``sample --reference``). A result may carry ``"figures"``: a list of plotly
    figure dicts (``{"title", "data", "layout"}``) that the HTML report draws.
    """

    name: ClassVar[str]
    description: ClassVar[str] = ""

    def compute(self, real: Records, synthetic: Records, context: MetricContext) -> dict[str, Any]:  # pragma: no cover
        raise NotImplementedError


class Distance(Scoped):
    """Base of record distances. Subclass, set ``name``/``modalities``/``metric``, implement ``fit``/``embed``.

    ``metric`` is ``"l1"`` or ``"l2"``: the record distance is that norm of the
    difference of two embeddings. ``fit(train)`` learns from training records and
    returns self; ``embed(records)`` returns a float32 array (n, d).
    """

    name: ClassVar[str]
    description: ClassVar[str] = ""
    metric: ClassVar[str] = "l2"

    def fit(self, train: Records) -> "Distance":  # pragma: no cover - abstract
        raise NotImplementedError

    def embed(self, records: Records) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError


__all__ = ["ROLES", "Scoped", "check_conditions", "Generator", "GeneratorConfig", "sampling_setting", "config_error",
           "validated", "NO_DP", "Verdict", "CheckContext",
           "Check", "Validator", "PrivacyFilter", "Dataset", "pretrained_bundles", "Metric", "MetricContext", "Writer",
           "Distance"]
