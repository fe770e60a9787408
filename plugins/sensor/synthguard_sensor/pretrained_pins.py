"""sha256 of each pretrained bundle this plugin ships, checked on every load (synthguard.bundle).

Written by ``synthguard pretrain`` (or ``python -m synthguard.bundle pin FOLDER``); do not edit.
"""

PINS = {
    "sensor--basic_motions": "6c462560528cd79958c5c0c81093a82c348b48b576fe524017efd11bec921fc9",
    "sensor--daphnet": "37c573eee9861474dae7eee198270b5eb2538c6c0fd6cb4c40773a9695f082e2",
    "sensor-conv-ar--basic_motions": "095f50a3448519fd4c4bedbbca0b0e7d9e28e010d8403591092e01720bed460d",
    "sensor-conv-ar--daphnet": "afb1a69e33462931f5c2cbbf714451c192c7970e53b7ad32df43c3371b66005d",
}
