"""sha256 of each pretrained bundle this plugin ships, checked on every load (synthguard.bundle).

Written by ``synthguard pretrain`` (or ``python -m synthguard.bundle pin FOLDER``); do not edit.
"""

PINS = {
    "finance--credit_data": "2f305b7945ac5a3554d02168eb876efd17f61ab366d8eabccdd6559ad314620d",
    "finance--german_credit": "5765784302c03e930bad3c67b37aa77542b5392ac06204bc269e577b2de88320",
    "finance--lending_club": "bfc6f36d005077fb923ec756ec4d3f44377a703c2efee6b1ac5a47fe57b12652",
}
