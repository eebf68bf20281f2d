"""The strategy switchboard: active strategies by tag, off by editing one entry, override by name."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml

from cbbo_text import write_day
from optlake.bronze import load
from optlake.bronze.landing import LocalLanding
from optlake.jobs.strategy import run_strategies
from optlake.settings import PROJECT_DIR, Settings

STRATEGIES = [
    "gold_deltaironcondorstrategy",
    "gold_ironcondorstrategy",
    "gold_laymanspystrategy",
    "gold_rsibollingerstrategy",
    "gold_vixadaptivestrategy",
]
PROJECT_PARTS = (
    "dbt_project.yml",
    "profiles.yml",
    "selectors.yml",
    "models",
    "macros",
    "python_models",
    "seeds",
    "tests/dbt",
)


def selected(dbt, *args: str, project_dir: Path = PROJECT_DIR) -> list[str]:
    result = dbt("switchboard", "ls", "--resource-type", "model", "--output", "name", *args, project_dir=project_dir)
    return sorted(result.result)


@pytest.fixture(scope="module")
def condor_off(tmp_path_factory) -> Path:
    """A copy of the project whose switchboard has the iron condor switched off."""
    copy = tmp_path_factory.mktemp("project") / "optlake_condor_off"
    for part in PROJECT_PARTS:
        source = PROJECT_DIR / part
        if source.is_dir():
            shutil.copytree(source, copy / part)
        else:
            (copy / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, copy / part)
    project = yaml.safe_load((copy / "dbt_project.yml").read_text())
    entry = project["models"]["optlake"]["gold"]["gold_ironcondorstrategy"]
    assert entry.pop("+tags") == ["strategy"]
    (copy / "dbt_project.yml").write_text(yaml.safe_dump(project, sort_keys=False))
    return copy


def test_all_strategies_are_active_in_the_shipped_configuration(dbt):
    assert selected(dbt, "--selector", "active_strategies") == STRATEGIES
    assert selected(dbt, "--select", "tag:strategy") == STRATEGIES
    assert set(STRATEGIES) <= set(selected(dbt))  # the default selector of a plain `dbt build`


def test_a_strategy_switched_off_is_left_out_of_every_selector(dbt, condor_off):
    assert selected(dbt, "--selector", "active_strategies", project_dir=condor_off) == [
        s for s in STRATEGIES if s != "gold_ironcondorstrategy"
    ]
    everything = selected(dbt, project_dir=condor_off)
    assert "gold_ironcondorstrategy" not in everything
    assert {"enriched_options_silver", "gold_laymanspystrategy"} <= set(everything)


def test_a_strategy_switched_off_is_still_built_when_named(spark, dbt, settings, condor_off, tmp_path):
    schema = "switchboard"
    spark.sql(f"create database if not exists {schema}")
    write_day(
        tmp_path, dt.date(2025, 1, 14), [("SPY   250117C00600000", "1", "1.2"), ("SPY   250117P00580000", "1", "1.2")]
    )
    load(spark, LocalLanding(tmp_path), schema)

    dbt(schema, "build", project_dir=condor_off)
    tables = {r["tableName"] for r in spark.sql(f"show tables in {schema} like 'gold_*'").collect()}
    assert tables == set(STRATEGIES) - {"gold_ironcondorstrategy"}

    # `optlake strategy --strategies IronCondorStrategy`: the old pipeline's name, switched off or not
    ran = run_strategies(Settings(condor_off, settings.warehouse, schema, "local"), ["IronCondorStrategy"])
    assert ran == ["gold_ironcondorstrategy"]
    tables = {r["tableName"] for r in spark.sql(f"show tables in {schema} like 'gold_*'").collect()}
    assert tables == set(STRATEGIES)
