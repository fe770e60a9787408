"""Reading user data and writing outputs (atomically)."""

from .atomic import atomic_directory
from .readers import read_table
from .writers import write_records

__all__ = ["atomic_directory", "read_table", "write_records"]
