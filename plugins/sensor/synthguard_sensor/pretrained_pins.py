"""sha256 of each pretrained bundle this plugin ships, checked on every load (synthguard.bundle).

Written by ``synthguard pretrain`` (or ``python -m synthguard.bundle pin FOLDER``); do not edit.
"""

PINS = {
    "sensor--basic_motions": "5d4ffc983c4f4a961b4aa678f51931164a061eeb72bad13106e07d68e448d4d7",
    "sensor--daphnet": "9c64121655bd9177716b92c92837f3e564b9ba5e762a9cb5a6392ea85e35cee9",
    "sensor-conv-ar--basic_motions": "095f50a3448519fd4c4bedbbca0b0e7d9e28e010d8403591092e01720bed460d",
    "sensor-conv-ar--daphnet": "afb1a69e33462931f5c2cbbf714451c192c7970e53b7ad32df43c3371b66005d",
}
