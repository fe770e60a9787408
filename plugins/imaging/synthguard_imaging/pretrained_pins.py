"""sha256 of each pretrained bundle this plugin ships, checked on every load (synthguard.bundle).

Written by ``synthguard pretrain`` (or ``python -m synthguard.bundle pin FOLDER``); do not edit.
"""

PINS = {
    "imaging--brain_mri_slices": "de1cb36b745274ab6dc5c123c7a18ebc88604bc81f4d9d2a03cd64f59bef2b52",
    "imaging--dicom_patches": "451e409f022b8d44c09cfd1286f6b0fc8c3ed90a7907768a818fdb10d7db0ec0",
}
