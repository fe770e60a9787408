"""sha256 of each pretrained bundle this plugin ships, checked on every load (synthguard.bundle).

Written by ``synthguard pretrain`` (or ``python -m synthguard.bundle pin FOLDER``); do not edit.
"""

PINS = {
    "traffic--bikeshare": "a83c316e1d7d261415eea875ed45334acd9eaec6efa64d13d8e6addb534f7334",
    "traffic--chicago": "999524f64d14d1d130346b28fdd9505b042f1eec311f55699da145685045ca26",
    "traffic-trips--nyc_flights": "09f63f104a491629f5dadf7b94f7350cac3184a5cefabc8c265071ed1b40fe31",
}
