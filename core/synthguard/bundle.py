"""Model bundles: a directory of safetensors weights and JSON, checked against a schema and a hash on load.

Layout::

    model/
      manifest.json         format, generator, plugin, versions, config, fit facts, file hashes
      weights.safetensors   tensors (model weights, training-record hashes)
      state.json            preprocessing state and column metadata

Loading never executes code from the bundle: no pickle, only ``safetensors`` and ``json``.
The manifest and the state are validated against a schema before use, and every file listed
in the manifest must be present with the recorded sha256; anything else is refused with a
one-line :class:`BundleError` naming the bundle, the field and what was expected.

The *bundle hash* (``bundle_sha256``) is the sha256 of the manifest's canonical JSON without
``created`` and itself: it covers the file hashes *and* every field the report or the gate trusts
(generator, config, fit facts, the DP ledger; the training-record hashes live in the weights). It
is computable without writing to disk, so an in-memory model fitted by ``generate --data`` gets
one too.

What the hash protects against: accidents (a truncated copy, an edit by hand, a wrong file).
What it does not: anyone who can write the bundle can rehash it. The integrity anchors are
outside the bundle: plugins pin their pretrained bundles' hashes in their code
(:func:`pin_pretrained`, checked on every load) and ``synthguard sample --expect-sha256 HASH``
checks a user's bundle against the hash recorded when it was written. A DP claim in the manifest
is recomputed from its recorded parameters where the accountant allows (DP-SGD) and refused if it
does not match; other mechanisms' claims are marked unverified.

Note: a bundle is as sensitive as a model trained on the data: it holds
training-record hashes (so the exact-copy filter works when sampling without
the data). Share synthetic outputs, not bundles of private data.
"""

from __future__ import annotations

import hashlib
import json
import math
import platform
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError

__all__ = ["pin_pretrained"]  # what a plugin may call (tests/test_public_api.py); the rest serves the core

from .errors import BundleError, SynthGuardError
from .io.atomic import atomic_directory
from .io.writers import json_default

if TYPE_CHECKING:  # pragma: no cover
    from .engine import Engine
    from .contract import Generator

FORMAT = "synthguard-bundle"
FORMAT_VERSION = 2  # 2: the bundle hash covers the whole manifest (1: only the file list)
MANIFEST = "manifest.json"
WEIGHTS = "weights.safetensors"
STATE = "state.json"
PINS_MODULE = "pretrained_pins.py"
_HEX64 = r"^[0-9a-f]{64}$"
_UNHASHED = ("bundle_sha256", "created")  # created: two saves of one model get one hash


# ---------------------------------------------------------------------------------------------- schema

class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class DPClaim(_Open):
    """A generator's DP ledger entry (mechanism-specific fields besides these are kept)."""

    mechanism: str
    epsilon_target: float | None = None
    epsilon_spent: float = Field(ge=0, allow_inf_nan=False)
    delta: float = Field(ge=0, lt=1, allow_inf_nan=False)
    accountant: str
    unit: str | None = None


class PrivacyFacts(_Open):
    dp: DPClaim | None = None
    non_private: list[str] = []


class History(_Open):
    train_loss: list[float | None] = []
    val_loss: list[float | None] = []
    val_epochs: list[int] = []
    best_epoch: int | None = None


class Training(_Open):
    """One training of the model (:mod:`synthguard.trainings`): ``fit``, then each ``fit --resume``."""

    records: int | None = Field(None, ge=0)
    data_fingerprint: str | None = Field(None, pattern=_HEX64)
    source_fingerprint: str | None = Field(None, pattern=_HEX64)


class FitFacts(_Open):
    """The fit facts the report, the CLI summary and ``generate``'s pretrained-bundle check read."""

    privacy: PrivacyFacts | None = None
    history: History | None = None
    records: int | None = None
    seed: int | None = None
    seconds: float | None = None
    epochs_run: int | None = None
    best_epoch: int | None = None
    device: str | None = None
    figures: list[dict[str, Any]] | None = None
    value_protection: dict[str, Any] | None = None
    data_fingerprint: str | None = None
    source_fingerprint: str | None = None
    trainings: list[Training] | None = None  # absent in bundles written before 2026-12-03: one training, the above


class Files(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    weights: str = Field(alias=WEIGHTS, pattern=_HEX64)
    state: str = Field(alias=STATE, pattern=_HEX64)


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal["synthguard-bundle"]
    format_version: Literal[2]
    generator: str
    generator_class: str
    modality: Literal["table", "sequence", "image"]
    config: dict[str, Any]
    fit: FitFacts
    versions: dict[str, str]
    created: str
    files: Files
    bundle_sha256: str = Field(pattern=_HEX64)


class State(_Open):
    state_version: int
    modality: Literal["table", "sequence", "image"]
    meta: dict[str, Any]
    fit: FitFacts
    model: Any


def _schema_error(where: str, err: ValidationError) -> BundleError:
    first = err.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or "(top level)"
    got = type(first.get("input")).__name__
    return BundleError(f"{where} field {field!r} is wrong: {first['msg']} (got {got})")


# ---------------------------------------------------------------------------------------------- hashing

def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def bundle_hash(manifest: Mapping[str, Any]) -> str:
    """sha256 of the manifest's canonical JSON, without ``bundle_sha256`` and ``created``."""
    covered = {k: v for k, v in manifest.items() if k not in _UNHASHED}
    text = json.dumps(covered, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=json_default)
    return _sha256(text.encode())


def serialize(generator: "Generator") -> tuple[dict[str, bytes], dict[str, Any]]:
    """The bundle's payload files as bytes, and the manifest that describes them."""
    from safetensors.torch import save as save_tensors

    from . import __version__

    tensors, state = generator.get_state()
    payload = {
        WEIGHTS: save_tensors(tensors, metadata={"format": FORMAT}),
        STATE: json.dumps(_finite(json.loads(json.dumps(state, default=json_default))), indent=1, sort_keys=True,
                          allow_nan=False).encode(),
    }
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "generator": generator.name,
        "generator_class": f"{type(generator).__module__}.{type(generator).__qualname__}",
        "modality": generator.modality,
        "config": generator.config.model_dump(mode="json"),
        "fit": generator.fit_info_,
        "versions": {"synthguard": __version__, "python": platform.python_version(), **_plugin_version(generator)},
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "files": {name: _sha256(data) for name, data in payload.items()},
    }
    manifest = _finite(json.loads(json.dumps(manifest, default=json_default)))  # the JSON the file will hold
    manifest["bundle_sha256"] = bundle_hash(manifest)
    return payload, manifest


def _finite(value: Any) -> Any:
    """``value`` with NaN and infinities as None (null): standard JSON, which :func:`load_bundle` insists on."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _plugin_version(generator: "Generator") -> dict[str, str]:
    import importlib.metadata

    top = type(generator).__module__.split(".")[0]
    dists = importlib.metadata.packages_distributions().get(top, [])
    out = {}
    for dist in dists[:1]:
        try:
            out[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            pass
    return out


def save_bundle(generator: "Generator", path: str | Path, overwrite: bool = False) -> str:
    """Write ``generator`` as a bundle at ``path`` atomically; returns the bundle hash."""
    if not generator.supports_save:
        raise BundleError(f"generator {generator.name!r} cannot be saved as a bundle (it has no pickle-free state)")
    payload, manifest = serialize(generator)
    with atomic_directory(path, overwrite=overwrite) as tmp:
        for name, data in payload.items():
            (tmp / name).write_bytes(data)
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
    return manifest["bundle_sha256"]


# ---------------------------------------------------------------------------------------------- pins

_PINS: dict[Path, dict[str, str]] = {}


def pin_pretrained(folder: str | Path, pins: Mapping[str, str]) -> None:
    """Pin the hashes of the bundles a plugin ships in ``folder`` (``{bundle directory name: bundle_sha256}``).

    Called by a plugin beside where it registers its pretrained bundles, with the dict of its
    ``pretrained_pins.py``; :func:`load_bundle` then refuses any bundle in ``folder`` whose hash is
    not the pinned one. ``synthguard pretrain`` rewrites the pins of the bundles it trains
    (:func:`write_pins`; by hand: ``python -m synthguard.bundle pin FOLDER``).
    """
    _PINS[Path(folder).resolve()] = dict(pins)


def write_pins(folder: str | Path) -> Path:
    """Write ``pretrained_pins.py`` beside ``folder`` with the hash of every bundle in it; returns its path."""
    folder = Path(folder).resolve()
    pins = {}
    for bundle in sorted(p for p in folder.iterdir() if (p / MANIFEST).is_file()):
        pins[bundle.name] = _verified_manifest(bundle)["bundle_sha256"]
    lines = ['"""sha256 of each pretrained bundle this plugin ships, checked on every load (synthguard.bundle).',
             "", "Written by ``synthguard pretrain`` (or ``python -m synthguard.bundle pin FOLDER``); do not edit.",
             '"""', "", "PINS = {"]
    lines += [f'    "{name}": "{digest}",' for name, digest in pins.items()]
    lines += ["}", ""]
    target = folder.parent / PINS_MODULE
    target.write_text("\n".join(lines))
    _PINS[folder] = pins
    return target


def _pinned(path: Path) -> str | None | Literal[False]:
    """The pinned hash of the bundle at ``path``; False if its folder is pinned but it is not; None if unpinned."""
    pins = _PINS.get(path.resolve().parent)
    if pins is None:
        return None
    return pins.get(path.name, False)


# ---------------------------------------------------------------------------------------------- reading

def _reject_nonfinite(token: str):
    raise ValueError(f"{token} is not allowed: expected a finite number")


def _json(path: Path, data: bytes, what: str) -> Any:
    try:
        return json.loads(data, parse_constant=_reject_nonfinite)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise BundleError(f"{str(path)!r} is corrupt: expected JSON ({err})") from None
    except ValueError as err:  # NaN / Infinity
        raise BundleError(f"{str(path)!r} holds {err} in the {what}") from None


def read_manifest(path: str | Path) -> dict[str, Any]:
    """The bundle's manifest, validated against the schema and its hash (files are not read)."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise BundleError(f"model bundle {str(path)!r} is a file, not a bundle: expected a directory written by "
                          "'synthguard fit' (to learn from a table: synthguard generate DOMAIN --data FILE)")
    if not path.is_dir():
        raise BundleError(f"model bundle {str(path)!r} not found: expected a directory written by 'synthguard fit'")
    file = path / MANIFEST
    if file.is_dir():
        raise BundleError(f"{str(file)!r} is a directory: expected the bundle's JSON manifest")
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise BundleError(f"{str(path)!r} has no {MANIFEST}: expected a synthguard model bundle") from None
    manifest = _json(file, data, "manifest")
    if not isinstance(manifest, dict):
        raise BundleError(f"{str(file)!r} is a JSON {type(manifest).__name__}: expected an object (a synthguard manifest)")
    if manifest.get("format") != FORMAT:
        raise BundleError(f"{str(path)!r} is not a synthguard bundle: manifest format is {manifest.get('format')!r}")
    if manifest.get("format_version") != FORMAT_VERSION:
        old = " (its hash does not cover the manifest's fields: re-save it with 'python -m synthguard.bundle upgrade " \
              "DIR' if you trust it, or fit it again)" if manifest.get("format_version") == 1 else ""
        raise BundleError(f"bundle {str(path)!r} has format version {manifest.get('format_version')!r}: "
                          f"this synthguard reads {FORMAT_VERSION}{old}")
    try:
        Manifest.model_validate(manifest)
    except ValidationError as err:
        raise _schema_error(f"bundle {str(path)!r}: {MANIFEST}", err) from None
    if manifest["bundle_sha256"] != bundle_hash(manifest):
        raise BundleError(f"bundle {str(path)!r} manifest was altered: its bundle_sha256 does not match its fields "
                          "(generator, config, fit, DP ledger, file hashes)")
    return manifest


def _verified_manifest(path: Path) -> dict[str, Any]:
    """:func:`read_manifest` plus every listed file present with its recorded sha256."""
    manifest = read_manifest(path)
    for name, digest in manifest["files"].items():
        try:
            data = (path / name).read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            raise BundleError(f"bundle {str(path)!r} is missing {name}: expected it (listed in the manifest)") from None
        if _sha256(data) != digest:
            raise BundleError(f"bundle file {str(path / name)!r} fails its sha256 check: it was modified or truncated")
    return manifest


def check_expected(path: str | Path, manifest: Mapping[str, Any], expect_sha256: str | None) -> None:
    """Refuse a bundle whose hash is not the one pinned by its plugin, or not ``expect_sha256`` when given."""
    path = Path(path)
    digest = manifest["bundle_sha256"]
    if expect_sha256 is not None:
        expected = expect_sha256.strip().lower()
        if not re.fullmatch(_HEX64, expected):
            raise BundleError(f"--expect-sha256 {expect_sha256!r} is malformed: expected the 64 hex digits of the "
                              f"bundle_sha256 recorded when {str(path)!r} was written")
        if digest != expected:
            raise BundleError(f"bundle {str(path)!r} has sha256 {digest}: expected {expected} (--expect-sha256); "
                              "it is not the bundle you recorded")
    pinned = _pinned(path)
    if pinned is False:
        raise BundleError(f"pretrained bundle {str(path)!r} is not pinned by its plugin: expected an entry in "
                          f"{PINS_MODULE} (retrain with 'synthguard pretrain', which pins what it writes)")
    if pinned is not None and digest != pinned:
        raise BundleError(f"pretrained bundle {str(path)!r} has sha256 {digest[:16]}…: its plugin pins "
                          f"{pinned[:16]}… — it was modified (retrain with 'synthguard pretrain' to replace it)")


def load_bundle(path: str | Path, engine: "Engine", expect_sha256: str | None = None) -> "Generator":
    """Verify and load a bundle; the generator class comes from the installed plugins, never the bundle.

    ``expect_sha256``: refuse the bundle unless its hash is this one (``sample --expect-sha256``).
    """
    from safetensors import SafetensorError
    from safetensors.torch import load as load_tensors

    path = Path(path)
    manifest = _verified_manifest(path)
    check_expected(path, manifest, expect_sha256)
    name = manifest["generator"]
    try:
        cls = engine.registry.get("generators", name)
    except Exception:
        raise BundleError(
            f"bundle {str(path)!r} needs generator {name!r}, which no installed plugin provides "
            f"(it was saved with {manifest.get('versions')})"
        ) from None
    try:
        tensors = load_tensors((path / WEIGHTS).read_bytes())
    except SafetensorError as err:
        raise BundleError(f"bundle {str(path)!r} payload cannot be read: {err}") from None
    state = _json(path / STATE, (path / STATE).read_bytes(), "state")
    if not isinstance(state, dict):
        raise BundleError(f"bundle {str(path)!r}: {STATE} is a JSON {type(state).__name__}: expected an object")
    try:
        State.model_validate(state)
    except ValidationError as err:
        raise _schema_error(f"bundle {str(path)!r}: {STATE}", err) from None
    claimed = (manifest["fit"].get("privacy") or {}).get("dp")
    _check_tensors(path, tensors, dp=bool(claimed))
    dp = _verify_dp(path, claimed)
    try:
        generator = cls.from_state(manifest["config"], tensors, state)
    except SynthGuardError as err:
        raise BundleError(f"bundle {str(path)!r} does not fit generator {name!r}: {err}") from None
    except (RuntimeError, KeyError, TypeError, ValueError, IndexError, AttributeError) as err:
        first = str(err).strip().splitlines()
        detail = " ".join(line.strip() for line in first[:2]) if first else type(err).__name__
        raise BundleError(f"bundle {str(path)!r} state does not fit generator {name!r}: "
                          f"{type(err).__name__}: {detail[:300]}") from None
    generator.fit_info_ = {**generator.fit_info_, **manifest["fit"]}
    if dp is not None:
        generator.fit_info_["privacy"]["dp"] = dp
    generator.bundle_sha256_ = manifest["bundle_sha256"]
    return generator


def _check_tensors(path: Path, tensors: dict, dp: bool = False) -> None:
    import torch

    hashes = tensors.get("__reference_hashes__")
    if hashes is None or hashes.dtype != torch.int64 or hashes.dim() != 1:
        raise BundleError(f"bundle {str(path)!r}: {WEIGHTS} tensor '__reference_hashes__' is missing or malformed: "
                          "expected a 1-D int64 tensor of training-record hashes")
    if hashes.numel() == 0 and not dp:  # a DP bundle keeps none (Generator.fit)
        raise BundleError(f"bundle {str(path)!r} holds no training-record hashes: expected one per training record "
                          "(the exact-copy filter needs them)")
    for key, tensor in tensors.items():
        if tensor.is_floating_point() and bool(torch.isnan(tensor).any()):
            raise BundleError(f"bundle {str(path)!r}: {WEIGHTS} tensor {key!r} holds NaN: expected finite weights")


# ---------------------------------------------------------------------------------------------- DP claims

#: Relative tolerance between a claimed ε and the one recomputed from its (rounded) parameters.
DP_TOLERANCE = 0.01


def _verify_dp(path: Path, dp: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The bundle's DP claim with a ``verification`` note; refused where its own parameters contradict it."""
    if not dp:
        return None
    dp = dict(dp)
    dp.pop("verification", None)  # a bundle cannot vouch for itself
    target, spent = dp.get("epsilon_target"), dp["epsilon_spent"]
    if target is not None and spent > target * (1 + 1e-6):
        raise BundleError(f"bundle {str(path)!r} DP ledger says ε spent {spent} exceeds its target {target}: "
                          "expected spent ≤ target")
    recomputed = _recompute_epsilon(dp)
    if recomputed is None:
        dp["verification"] = ("unverified: claimed by the bundle; this synthguard does not recompute this "
                              "mechanism's ε on load")
        return dp
    if not math.isclose(recomputed, spent, rel_tol=DP_TOLERANCE, abs_tol=1e-3):
        raise BundleError(f"bundle {str(path)!r} claims DP ε = {spent}, but its recorded parameters (noise multiplier "
                          f"{dp.get('noise_multiplier')}, sample rate {dp.get('sample_rate')}, steps {dp.get('steps')}) "
                          f"give ε = {recomputed:.4g} with the {dp['accountant']} accountant: expected them to agree")
    dp["verification"] = (f"verified on load: the {dp['accountant']} accountant gives ε = {recomputed:.4g} from the "
                          f"recorded noise multiplier, sample rate and steps")
    return dp


def _recompute_epsilon(dp: Mapping[str, Any]) -> float | None:
    """ε of a DP-SGD ledger recomputed with Opacus' accountant; None for mechanisms it cannot account."""
    if not str(dp.get("mechanism", "")).startswith("DP-SGD"):
        return None
    params = (dp.get("noise_multiplier"), dp.get("sample_rate"), dp.get("steps"))
    ok = (isinstance(params[0], (int, float)) and params[0] > 0 and isinstance(params[1], (int, float))
          and 0 < params[1] <= 1 and isinstance(params[2], int) and params[2] >= 0)
    if not ok or dp.get("accountant") not in ("rdp", "prv", "gdp"):
        raise BundleError(f"DP-SGD ledger has noise multiplier {params[0]!r}, sample rate {params[1]!r}, steps "
                          f"{params[2]!r}, accountant {dp.get('accountant')!r}: expected positive numbers, a rate in "
                          "(0, 1], whole steps and one of rdp, prv, gdp")
    if params[2] == 0:
        return 0.0
    from opacus.accountants import create_accountant

    accountant = create_accountant(mechanism=dp["accountant"])
    accountant.history = [(float(params[0]), float(params[1]), int(params[2]))]
    return float(accountant.get_epsilon(delta=float(dp["delta"])))


# ---------------------------------------------------------------------------------------------- maintenance

def upgrade(path: str | Path) -> str:
    """Re-hash a format-1 bundle as format 2 (after checking its files); the caller vouches for its manifest."""
    path = Path(path)
    manifest = json.loads((path / MANIFEST).read_text())
    if manifest.get("format_version") != 1:
        raise BundleError(f"bundle {str(path)!r} has format version {manifest.get('format_version')!r}: expected 1")
    for name, digest in manifest["files"].items():
        if _sha256((path / name).read_bytes()) != digest:
            raise BundleError(f"bundle file {str(path / name)!r} fails its sha256 check: not upgraded")
    manifest["format_version"] = FORMAT_VERSION
    manifest["bundle_sha256"] = bundle_hash(manifest)
    (path / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
    read_manifest(path)
    return manifest["bundle_sha256"]


def main(argv: list[str] | None = None) -> None:
    """``python -m synthguard.bundle upgrade DIR...`` / ``pin FOLDER...``."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    if len(args) < 2 or args[0] not in ("upgrade", "pin"):
        sys.exit("usage: python -m synthguard.bundle upgrade BUNDLE... | pin FOLDER...")
    try:
        for target in args[1:]:
            print(f"{target}: {upgrade(target)}" if args[0] == "upgrade" else f"wrote {write_pins(target)}")
    except SynthGuardError as err:
        sys.exit(f"error: {err}")


if __name__ == "__main__":  # pragma: no cover
    main()
