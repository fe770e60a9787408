"""sha256 of each pretrained bundle this plugin ships, checked on every load (synthguard.bundle).

Written by ``synthguard pretrain`` (or ``python -m synthguard.bundle pin FOLDER``); do not edit.
"""

PINS = {
    "imaging--brain_mri_slices": "1a3ae99b70d14425e01fb4e75f57e9818ce99ce7f142189bde871509bbad4362",
    "imaging--dicom_patches": "cf8640724b2fd217b32c2777279f8860a6d7aa381b4e603a0ba28d86f9f69431",
}
