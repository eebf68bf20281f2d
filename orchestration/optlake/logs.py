"""Logging for the optlake command line: progress on stderr, results on stdout.

Every module logs to its own logger (``logging.getLogger(__name__)``) under ``optlake``;
``--verbose`` adds debug messages with time, level and module, ``--quiet`` keeps warnings and errors.
"""

from __future__ import annotations

import logging
import sys

QUIET, NORMAL, VERBOSE = -1, 0, 1


def configure(verbosity: int = NORMAL) -> None:
    """Send the optlake loggers to stderr at the level the verbosity asks for."""
    level = {QUIET: logging.WARNING, NORMAL: logging.INFO, VERBOSE: logging.DEBUG}[verbosity]
    fmt = "%(asctime)s %(levelname)s %(name)s: %(message)s" if verbosity == VERBOSE else "%(message)s"
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(fmt, datefmt="%H:%M:%S"))
    root = logging.getLogger("optlake")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
