"""Where things live: project folder, warehouse, schema. Read from the environment once, passed around."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

#: The repository root (this package is installed editable from orchestration/).
PROJECT_DIR = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Settings:
    project_dir: Path
    warehouse: Path
    schema: str
    target: str
    #: The `thrift` target's own folder: PostgreSQL metastore data, server logs and its warehouse.
    thrift_home: Path | None = None
    thrift_port: int = 10000
    metastore_port: int = 54329

    def __post_init__(self) -> None:
        if self.thrift_home is None:
            object.__setattr__(self, "thrift_home", self.project_dir / ".thrift")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        project_dir = Path(env.get("OPTLAKE_PROJECT_DIR", PROJECT_DIR)).resolve()
        warehouse = Path(env.get("OPTLAKE_WAREHOUSE", project_dir / "warehouse"))
        if not warehouse.is_absolute():
            warehouse = (project_dir / warehouse).resolve()
        return cls(
            project_dir=project_dir,
            warehouse=warehouse,
            schema=env.get("OPTLAKE_SCHEMA", "trading_db"),
            target=env.get("OPTLAKE_TARGET", "local"),
            thrift_home=Path(env.get("OPTLAKE_THRIFT_HOME", project_dir / ".thrift")).resolve(),
            thrift_port=int(env.get("OPTLAKE_THRIFT_PORT", "10000")),
            metastore_port=int(env.get("OPTLAKE_METASTORE_PORT", "54329")),
        )

    def dbt_env(self) -> dict[str, str]:
        """Environment for a dbt subprocess so that it sees the same target, warehouse, schema and servers."""
        return {
            "OPTLAKE_PROJECT_DIR": str(self.project_dir),
            "OPTLAKE_WAREHOUSE": str(self.warehouse),
            "OPTLAKE_SCHEMA": self.schema,
            "OPTLAKE_TARGET": self.target,
            "DBT_PROFILES_DIR": str(self.project_dir),
            "OPTLAKE_THRIFT_HOME": str(self.thrift_home),
            "OPTLAKE_THRIFT_PORT": str(self.thrift_port),
            "OPTLAKE_METASTORE_PORT": str(self.metastore_port),
        }
