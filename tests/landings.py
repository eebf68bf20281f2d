"""A landing folder holding copies of generated files (tests load a chosen subset of them)."""

from __future__ import annotations

import shutil
from pathlib import Path

from optlake.bronze import LocalLanding


def copied_landing(folder: Path, paths: list[Path]) -> LocalLanding:
    """``folder`` (created) with a copy of each of ``paths``, as a landing."""
    folder.mkdir(parents=True, exist_ok=True)
    for p in paths:
        shutil.copy(p, folder / p.name)
    return LocalLanding(folder)
