"""sha256 of each pretrained bundle this plugin ships, checked on every load (synthguard.bundle).

Written by ``synthguard pretrain`` (or ``python -m synthguard.bundle pin FOLDER``); do not edit.
"""

PINS = {
    "imaging--brain_mri_slices": "39824a2eada1ff8036765b8f7d93bac67358fc88bb0cdcd9a11273f6121f0175",
    "imaging--dicom_patches": "058351d60904f86b22a0c2fd2060057066a45fe40bd0a45213978279e333ecd7",
}
