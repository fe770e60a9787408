"""sha256 of each pretrained bundle this plugin ships, checked on every load (synthguard.bundle).

Written by ``synthguard pretrain`` (or ``python -m synthguard.bundle pin FOLDER``); do not edit.
"""

PINS = {
    "finance--credit_data": "a1d86ef45282e2d9628672ea1d1bd7aa805b597ea27ce9558bd0e1640571a480",
    "finance--german_credit": "a76fee0ec9b309838f4135ae5b9ea6e16517442a1e2296ec923a4f598d5400c1",
    "finance--lending_club": "5ef7fc952e228ec3785989d639425509bbae9be25a1407ee51a25e15fa55a3e5",
}
