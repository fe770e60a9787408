"""sha256 of each pretrained bundle this plugin ships, checked on every load (synthguard.bundle).

Written by ``synthguard pretrain`` (or ``python -m synthguard.bundle pin FOLDER``); do not edit.
"""

PINS = {
    "sensor--basic_motions": "009570686ce4cab0b2a9494514fc48ec667c114c750bc06caa356416f5bc5b09",
    "sensor--daphnet": "f7f4f85fde6546e3cfee1c79ad21650bd184b443a08f3c2d06dcf05d3157457a",
    "sensor-conv-ar--basic_motions": "095f50a3448519fd4c4bedbbca0b0e7d9e28e010d8403591092e01720bed460d",
    "sensor-conv-ar--daphnet": "afb1a69e33462931f5c2cbbf714451c192c7970e53b7ad32df43c3371b66005d",
}
