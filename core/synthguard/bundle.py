"""Model bundles: a directory of safetensors weights and JSON, verified by sha256 on load.

Layout::

    model/
      manifest.json         format, generator, plugin, versions, config, fit facts, file hashes
      weights.safetensors   tensors (model weights, training-record hashes)
      state.json            preprocessing state and column metadata

Loading never executes code from the bundle: no pickle, only ``safetensors``
and ``json``. Every file listed in the manifest must be present with the
recorded sha256; anything else is refused with a :class:`BundleError`.

The *bundle hash* is the sha256 of the sorted ``name:sha256`` lines of those
files — computable without writing to disk, so an in-memory model fitted by
``generate --data`` gets one too.

Note: a bundle is as sensitive as a model trained on the data: it holds
training-record hashes (so the exact-copy filter works when sampling without
the data). Share synthetic outputs, not bundles of private data.
"""

from __future__ import annotations

import hashlib
import json
import platform
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import BundleError
from .io.atomic import atomic_directory
from .io.writers import json_default

if TYPE_CHECKING:  # pragma: no cover
    from .engine import Engine
    from .contract import Generator

FORMAT = "synthguard-bundle"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
WEIGHTS = "weights.safetensors"
STATE = "state.json"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def bundle_hash(files: dict[str, str]) -> str:
    return _sha256("".join(f"{name}:{digest}\n" for name, digest in sorted(files.items())).encode())


def serialize(generator: "Generator") -> tuple[dict[str, bytes], dict[str, Any]]:
    """The bundle's payload files as bytes, and the manifest that describes them."""
    from safetensors.torch import save as save_tensors

    from . import __version__

    tensors, state = generator.get_state()
    payload = {
        WEIGHTS: save_tensors(tensors, metadata={"format": FORMAT}),
        STATE: json.dumps(state, indent=1, sort_keys=True, default=json_default).encode(),
    }
    files = {name: _sha256(data) for name, data in payload.items()}
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
        "files": files,
        "bundle_sha256": bundle_hash(files),
    }
    return payload, manifest


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
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True, default=json_default))
    return manifest["bundle_sha256"]


def read_manifest(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.is_dir():
        raise BundleError(f"model bundle {str(path)!r} not found: expected a directory written by 'synthguard fit'")
    try:
        manifest = json.loads((path / MANIFEST).read_text())
    except FileNotFoundError:
        raise BundleError(f"{str(path)!r} has no {MANIFEST}: expected a synthguard model bundle") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise BundleError(f"{str(path / MANIFEST)!r} is corrupt: expected JSON ({err})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BundleError(f"{str(path)!r} is not a synthguard bundle: manifest format is {manifest.get('format')!r}")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BundleError(
            f"bundle {str(path)!r} has format version {manifest.get('format_version')}: this synthguard reads {FORMAT_VERSION}"
        )
    files = manifest.get("files")
    if not isinstance(files, dict) or set(files) != {WEIGHTS, STATE}:
        raise BundleError(f"bundle {str(path)!r} manifest lists files {files!r}: expected {WEIGHTS} and {STATE}")
    if manifest.get("bundle_sha256") != bundle_hash(files):
        raise BundleError(f"bundle {str(path)!r} manifest was altered: its bundle_sha256 does not match its file list")
    return manifest


def load_bundle(path: str | Path, engine: "Engine") -> "Generator":
    """Verify and load a bundle; the generator class comes from the installed plugins, never the bundle."""
    from safetensors import SafetensorError
    from safetensors.torch import load as load_tensors

    path = Path(path)
    manifest = read_manifest(path)
    payload = {}
    for name, digest in manifest["files"].items():
        try:
            data = (path / name).read_bytes()
        except FileNotFoundError:
            raise BundleError(f"bundle {str(path)!r} is missing {name}: expected it (listed in the manifest)") from None
        if _sha256(data) != digest:
            raise BundleError(f"bundle file {str(path / name)!r} fails its sha256 check: it was modified or truncated")
        payload[name] = data
    name = manifest.get("generator")
    try:
        cls = engine.registry.get("generators", name)
    except Exception:
        raise BundleError(
            f"bundle {str(path)!r} needs generator {name!r}, which no installed plugin provides "
            f"(it was saved with {manifest.get('versions')})"
        ) from None
    try:
        tensors = load_tensors(payload[WEIGHTS])
        state = json.loads(payload[STATE])
    except (SafetensorError, json.JSONDecodeError, UnicodeDecodeError) as err:
        raise BundleError(f"bundle {str(path)!r} payload cannot be read: {err}") from None
    generator = cls.from_state(manifest.get("config", {}), tensors, state)
    generator.fit_info_ = {**generator.fit_info_, **manifest.get("fit", {})}
    generator.bundle_sha256_ = manifest["bundle_sha256"]
    return generator
