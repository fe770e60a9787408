"""sha256 of each pretrained bundle this plugin ships, checked on every load (synthguard.bundle).

Written by ``synthguard pretrain`` (or ``python -m synthguard.bundle pin FOLDER``); do not edit.
"""

PINS = {
    "sensor--basic_motions": "78e3679ede80aa74228bafe2840f0c311147efe381021ba13c25678600448a9d",
    "sensor--daphnet": "45cf775a458f5435e9cf32fa1883db03508b6d98928a3bb094dd281f34f92227",
    "sensor-conv-ar--basic_motions": "095f50a3448519fd4c4bedbbca0b0e7d9e28e010d8403591092e01720bed460d",
    "sensor-conv-ar--daphnet": "afb1a69e33462931f5c2cbbf714451c192c7970e53b7ad32df43c3371b66005d",
}
