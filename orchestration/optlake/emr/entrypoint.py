"""EMR Serverless entry point: ``optlake <mode> <arguments>`` from the project archive.

The job run extracts the project archive as ./project and the Python environment as ./environment
(spark.archives); this file (the job's entryPoint, standard library only) puts ./project/orchestration
first on sys.path, points optlake and dbt at ./project, and hands the arguments to optlake.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    project = Path(os.environ.get("OPTLAKE_EMR_PROJECT", "project")).resolve()
    if not (project / "dbt_project.yml").is_file():
        print(
            f"optlake-emr: error: no project at {project} (is project.tar.gz#project in spark.archives?)",
            file=sys.stderr,
        )
        return 2
    sys.path.insert(0, str(project / "orchestration"))
    os.environ["OPTLAKE_PROJECT_DIR"] = str(project)
    os.environ.setdefault("DBT_PROFILES_DIR", str(project))

    import optlake
    from optlake.emr.runtime import run

    print(f"optlake-emr: project {project}, optlake from {Path(optlake.__file__).parent}", file=sys.stderr)
    return run(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
