"""sha256 of each pretrained bundle this plugin ships, checked on every load (synthguard.bundle).

Written by ``synthguard pretrain`` (or ``python -m synthguard.bundle pin FOLDER``); do not edit.
"""

PINS = {
    "finance--credit_data": "dc12d6f97255a725bc336a18b14397c3158e95facbf7896bd7fc787642855a87",
    "finance--german_credit": "f9889b33e59856c041b0930f8be1e899749495fb73a61af2b2b5ff69f56e5b02",
    "finance--lending_club": "8f9ad9a16c6207610b5fd5b0412bd8c5de2e177678fdbca5959b3f9c597813d9",
}
