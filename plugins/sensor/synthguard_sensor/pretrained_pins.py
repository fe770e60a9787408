"""sha256 of each pretrained bundle this plugin ships, checked on every load (synthguard.bundle).

Written by ``synthguard pretrain`` (or ``python -m synthguard.bundle pin FOLDER``); do not edit.
"""

PINS = {
    "sensor--basic_motions": "9e0017cc8cd77eba7b7920f110eed9b6e71873447acd43e6dd21fdf2c1292c43",
    "sensor--daphnet": "dd65e48b7fd48aa1d47b64f04973b386d23b8bab03dd5e433cd7cc6c5d047962",
    "sensor-conv-ar--basic_motions": "095f50a3448519fd4c4bedbbca0b0e7d9e28e010d8403591092e01720bed460d",
    "sensor-conv-ar--daphnet": "afb1a69e33462931f5c2cbbf714451c192c7970e53b7ad32df43c3371b66005d",
}
