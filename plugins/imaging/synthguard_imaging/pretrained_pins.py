"""sha256 of each pretrained bundle this plugin ships, checked on every load (synthguard.bundle).

Written by ``synthguard pretrain`` (or ``python -m synthguard.bundle pin FOLDER``); do not edit.
"""

PINS = {
    "imaging--brain_mri_slices": "de1cb36b745274ab6dc5c123c7a18ebc88604bc81f4d9d2a03cd64f59bef2b52",
    "imaging--dicom_patches": "cf8640724b2fd217b32c2777279f8860a6d7aa381b4e603a0ba28d86f9f69431",
}
