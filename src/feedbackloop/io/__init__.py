"""Reading and writing feedbackloop documents (loop YAML)."""

from feedbackloop.io._loopfile import atomic_write_text, dump_yaml, load_loop
from feedbackloop.io._places import read_places

__all__ = ["atomic_write_text", "dump_yaml", "load_loop", "read_places"]
