"""sha256 of each pretrained bundle this plugin ships, checked on every load (synthguard.bundle).

Written by ``synthguard pretrain`` (or ``python -m synthguard.bundle pin FOLDER``); do not edit.
"""

PINS = {
    "imaging--brain_mri_slices": "3d38cec83d916e266eefab1d2fbf09c84d2dd47caaed49bc79499879e517266c",
    "imaging--dicom_patches": "96a6be787c9cee38c81fd5f5445ba9c631224f2a6121e1d584660f9f3cfb51dc",
}
