"""Utilities shared by every command: :mod:`pia_analysis.util.files` is the one place that writes files."""

__all__ = ["MANIFEST", "Interrupted", "OutputRefused", "WriteFailed", "check_file_target", "check_pack_target",
           "handle_signals", "write_file", "write_new_dir", "write_pack"]

from .files import (
    MANIFEST,
    Interrupted,
    OutputRefused,
    WriteFailed,
    check_file_target,
    check_pack_target,
    handle_signals,
    write_file,
    write_new_dir,
    write_pack,
)
