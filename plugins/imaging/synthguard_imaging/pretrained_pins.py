"""sha256 of each pretrained bundle this plugin ships, checked on every load (synthguard.bundle).

Written by ``synthguard pretrain`` (or ``python -m synthguard.bundle pin FOLDER``); do not edit.
"""

PINS = {
    "imaging--brain_mri_slices": "e49933377f82034149be1848ce963f6af31f0d0bd5e5759030e2695558134d31",
    "imaging--dicom_patches": "23aea5be6b4c32b0a8daa0c9f5ae1f02a7b2e345d1dd7953e068e3b7f5fb5daa",
}
