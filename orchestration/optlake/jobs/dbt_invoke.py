"""Run dbt in this process (dbtRunner, the API behind the `dbt` command).

With the `local` target, dbt's `session` connection and the Python models reuse this process's
Spark session, so a pipeline that loads Bronze and then runs dbt starts one JVM, not three.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from optlake.settings import Settings


class DbtError(RuntimeError):
    """A dbt invocation did not succeed (dbt has already printed why)."""


def invoke_dbt(
    settings: Settings,
    *args: str,
    project_dir: Path | None = None,
    target_path: Path | None = None,
    check: bool = True,
    callbacks: list[Callable] | None = None,
):
    """Run `dbt ARGS` on the settings' warehouse and schema; returns dbt's result object.

    ``callbacks`` receive every event dbt fires (e.g. a macro's `log()` lines)."""
    from dbt.cli.main import dbtRunner

    project_dir = project_dir or settings.project_dir
    env = settings.dbt_env()
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    paths = ["--project-dir", str(project_dir)]
    if target_path is not None:
        paths += ["--target-path", str(target_path), "--log-path", str(target_path)]
    try:
        result = dbtRunner(callbacks=callbacks or []).invoke([*args, *paths])
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    if check and not result.success:
        raise DbtError(f"dbt {' '.join(args)} failed: {result.exception or 'see the dbt output above'}")
    return result
