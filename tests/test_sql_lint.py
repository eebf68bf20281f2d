"""`sqlfluff lint` (sparksql dialect, dbt templater) of the dbt SQL is clean."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from optlake.settings import PROJECT_DIR, Settings


def test_sqlfluff_lint_is_clean(tmp_path: Path):
    # Its own warehouse: the dbt templater opens a Spark connection of its own.
    env = {**os.environ, **Settings(PROJECT_DIR, tmp_path, "trading_db", "local").dbt_env()}
    sqlfluff = Path(sys.executable).parent / "sqlfluff"
    done = subprocess.run(
        [str(sqlfluff), "lint", "models", "tests/dbt", "--disable-progress-bar"],
        cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "All Finished" in done.stdout
