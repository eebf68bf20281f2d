"""Shared fixtures: one embedded Spark session (and warehouse) per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from optlake.settings import PROJECT_DIR, Settings

#: Fixtures that start or use the embedded Spark session: a test using one is an integration test.
SPARK_FIXTURES = {"spark", "dbt", "schema", "settings"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses the Spark fixtures `integration` (modules that start the CLI or
    servers mark themselves), so that `make test-fast` (-m "not integration") runs only the rest."""
    for item in items:
        if SPARK_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)


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
    from optlake.targets.spark_session import get_spark

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


class Dbt:
    """Runs dbt in this process (optlake.jobs.dbt_invoke), on the test session's Spark and warehouse.

    dbt-spark's `session` method and the oss_spark Python submission both call
    `SparkSession.builder...getOrCreate()`, which returns the session the tests already started, so
    no dbt invocation pays for a JVM start. Each call chooses the schema dbt builds into.
    """

    def __init__(self, settings: Settings, target_path: Path) -> None:
        self.settings = settings
        self.target_path = target_path

    def __call__(self, schema: str, *args: str, project_dir: Path = PROJECT_DIR, expect_success: bool = True):
        from optlake.jobs.dbt_invoke import invoke_dbt

        settings = Settings(PROJECT_DIR, self.settings.warehouse, schema, "local")
        return invoke_dbt(
            settings,
            *args,
            "--quiet",
            project_dir=project_dir,
            target_path=self.target_path / project_dir.name,
            check=expect_success,
        )


@pytest.fixture(scope="session")
def dbt(spark, settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Dbt:
    return Dbt(settings, tmp_path_factory.mktemp("dbt"))
