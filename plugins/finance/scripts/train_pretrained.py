"""Train the pretrained bundles this plugin ships (run by hand; a GPU is used when present).

    python plugins/finance/scripts/train_pretrained.py                 # every reference dataset
    python plugins/finance/scripts/train_pretrained.py german_credit   # one
    python plugins/finance/scripts/train_pretrained.py --encoder-only  # re-derive the encoders, keep the weights

Each bundle is trained on the training split `generate` uses (the holdout stays unseen;
see `Engine.pretrain`), lands in synthguard_finance/pretrained/<generator>--<dataset>/ and
records seed, device, epochs and seconds in its manifest (``fit``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import synthguard as sg
from synthguard.bundle import save_bundle
from synthguard.data import holdout_split
from synthguard.engine import HOLDOUT, SPLIT_SEED
from synthguard_finance.encoding import TableEncoder

OUT = Path(__file__).resolve().parents[1] / "synthguard_finance" / "pretrained"
GENERATOR = "finance"


def refresh_encoder(engine: sg.Engine, name: str) -> None:
    """Recompute a bundle's encoder from the same training split, keeping its trained weights.

    For encoder changes that leave every token as it was (the in-bin shapes): the weights a
    retrain would learn from the same tokens and seed are the ones already in the bundle.
    Refuses when the tokens would change (bin edges, vocabularies): that needs a retrain.
    """
    path = OUT / f"{GENERATOR}--{name}"
    model = engine.load(path)
    train, _ = holdout_split(engine.dataset(name).load(), HOLDOUT, seed=SPLIT_SEED)
    fresh = TableEncoder.fit(train, max_bins=model.config.max_bins, max_values=model.config.max_bins)
    if [c.vocab_size for c in fresh.codecs] != model.encoder_.vocab_sizes or (
            fresh.encode(train.frame) != model.encoder_.encode(train.frame)).any():
        raise SystemExit(f"{name}: the new encoder changes the tokens; retrain instead")
    model.encoder_ = fresh
    print(f"{name}: encoder refreshed, weights kept -> {save_bundle(model, path, overwrite=True)[:12]}")


def main(names: list[str]) -> None:
    engine = sg.Engine()
    if names[:1] == ["--encoder-only"]:
        for name in names[1:] or ["german_credit", "credit_data", "lending_club"]:
            refresh_encoder(engine, name)
        return
    for name in names or ["german_credit", "credit_data", "lending_club"]:
        model, digest = engine.pretrain(GENERATOR, name, OUT / f"{GENERATOR}--{name}", seed=0, progress=True)
        info = model.fit_info_
        print(f"{name}: {info['epochs_run']} epochs (best {info['best_epoch']}) on {info['device']} "
              f"in {info['seconds']:.1f}s -> {digest[:12]}")


if __name__ == "__main__":
    main(sys.argv[1:])
