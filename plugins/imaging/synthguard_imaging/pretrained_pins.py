"""sha256 of each pretrained bundle this plugin ships, checked on every load (synthguard.bundle).

Written by ``synthguard pretrain`` (or ``python -m synthguard.bundle pin FOLDER``); do not edit.
"""

PINS = {
    "imaging--brain_mri_slices": "f9f757565fa96ad7469d939aad2b9178638d90a8106cc4a591cbf45cbbf850cf",
    "imaging--dicom_patches": "6d189133bf7ce7c8589dc6ca7ef798f4086323b321eb08521f8aebc849b7aca5",
}
