"""`sqlfluff lint` of the dbt SQL (models, singular tests, analyses) is clean in both dialects:
sparksql on the `local` target's rendering, athena on the `athena` target's."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from loopback import athena_profile_env, moto_server
from optlake.settings import PROJECT_DIR, Settings

pytestmark = pytest.mark.integration

LINTED = ["models", "tests/dbt", "analyses"]


def sqlfluff(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    command = [str(Path(sys.executable).parent / "sqlfluff"), "lint", *LINTED, "--disable-progress-bar", *args]
    return subprocess.run(command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=600)


def test_sqlfluff_lint_is_clean(tmp_path: Path):
    # Its own warehouse: the dbt templater opens a Spark connection of its own.
    env = {**os.environ, **Settings(PROJECT_DIR, tmp_path, "trading_db", "local").dbt_env()}
    done = sqlfluff(env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "All Finished" in done.stdout


def test_sqlfluff_lint_athena_dialect_is_clean(tmp_path: Path):
    """The athena target's rendering (Trino dispatch variants) in sqlfluff's athena dialect. The
    templater opens the athena profile, whose AWS calls (Glue lookups of existing relations) go to
    a moto server on loopback; nothing exists there, so every model renders as a first build."""
    with moto_server() as endpoint:
        env = athena_profile_env(endpoint, "s3://lint-results/", "s3://lint-data/")
        done = sqlfluff(env, "--config", "conf/sqlfluff-athena.cfg", "-v")
        rendered = subprocess.run(
            [
                str(Path(sys.executable).parent / "sqlfluff"),
                "render",
                "models/staging/stg_bronze__options_chain.sql",
                "--config",
                "conf/sqlfluff-athena.cfg",
            ],
            cwd=PROJECT_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "All Finished" in done.stdout
    assert re.search(r"dialect:\s+athena", done.stdout)
    # what was linted is the athena target's rendering (Trino functions), not Spark's
    assert rendered.returncode == 0, rendered.stdout + rendered.stderr
    assert "regexp_like(" in rendered.stdout and "rlike" not in rendered.stdout
