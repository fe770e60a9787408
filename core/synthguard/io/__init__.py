"""Reading user data and writing outputs (atomically)."""

from .atomic import atomic_directory
from .images import ImageFormat, read_images
from .readers import load_npz, read_sequences, read_table
from .writers import json_default, write_records

__all__ = ["atomic_directory", "read_table", "read_sequences", "read_images", "ImageFormat", "write_records", "json_default",
           "load_npz"]
