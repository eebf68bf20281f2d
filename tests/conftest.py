"""Shared fixtures: one embedded Spark session (and warehouse) per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from optlake.settings import PROJECT_DIR, Settings

FIXTURE = PROJECT_DIR.parent / "shared" / "fixtures" / "opra-pillar-20250128.cbbo-1m.csv"
if not FIXTURE.exists():  # CI clones the repo with shared/ beside it
    FIXTURE = Path(os.environ.get("OPTLAKE_FIXTURE", FIXTURE))


@pytest.fixture(scope="session")
def fixture_csv() -> Path:
    assert FIXTURE.is_file(), f"real OPRA sample not found at {FIXTURE}"
    return FIXTURE


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    warehouse = tmp_path_factory.mktemp("warehouse")
    return Settings(project_dir=PROJECT_DIR, warehouse=warehouse, schema="trading_db", target="local")


@pytest.fixture(scope="session")
def spark(settings: Settings):
    from optlake.spark_session import get_spark

    session = get_spark(settings, "optlake-tests")
    yield session
    session.stop()


_schema_counter = iter(range(1_000_000))


@pytest.fixture
def schema(spark) -> str:
    """A fresh schema per test, so tests sharing the session warehouse do not see each other."""
    name = f"t{next(_schema_counter)}_{os.getpid()}"
    spark.sql(f"create database if not exists {name}")
    return name
