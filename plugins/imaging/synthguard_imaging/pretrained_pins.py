"""sha256 of each pretrained bundle this plugin ships, checked on every load (synthguard.bundle).

Written by ``synthguard pretrain`` (or ``python -m synthguard.bundle pin FOLDER``); do not edit.
"""

PINS = {
    "imaging--brain_mri_slices": "8dba38f0786bbe8672d44a0e0182e9c95b308efeb513a6fa77387de12aa6b0c1",
    "imaging--dicom_patches": "451e409f022b8d44c09cfd1286f6b0fc8c3ed90a7907768a818fdb10d7db0ec0",
}
