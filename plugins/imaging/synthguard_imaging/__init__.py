"""SynthGuard imaging plugin: synthetic medical images with memorization checks and DICOM de-identification."""

__all__: list[str] = []
