"""sha256 of each pretrained bundle this plugin ships, checked on every load (synthguard.bundle).

Written by ``synthguard pretrain`` (or ``python -m synthguard.bundle pin FOLDER``); do not edit.
"""

PINS = {
    "traffic--bikeshare": "4c6e24f91d3c8898884af6e483ba58a2f2966493b946192971e80cba81b6ab5a",
    "traffic--chicago": "739d8f3e89637dcd9582bd8d33e245789baa384934945f812d0f5de6af9cf395",
    "traffic-trips--nyc_flights": "09f63f104a491629f5dadf7b94f7350cac3184a5cefabc8c265071ed1b40fe31",
}
