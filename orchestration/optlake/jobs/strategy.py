"""`optlake strategy`: the strategy switchboard of the old pipeline, through dbt in one process.

Without names it runs the active strategies (the entries tagged `strategy` under models: optlake:
gold in dbt_project.yml). With names it runs exactly those, switched on or off. A name is the model
(`gold_laymanspystrategy`), the strategy's name as the old pipeline's config spelled it
(`LaymanSPYStrategy`), or that name without the `Strategy` suffix (`LaymanSPY`, `VIXAdaptive`);
case does not matter. With symbols, the named strategies re-run those symbols (underlyings for the
option strategies) on every day and touch no other one.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from optlake.jobs.dbt_invoke import invoke_dbt
from optlake.settings import Settings

log = logging.getLogger(__name__)

PREFIX = "gold_"


@dataclass(frozen=True)
class Strategy:
    model: str  # gold_<name>
    active: bool

    @property
    def names(self) -> set[str]:
        """Every spelling that selects it, lower case."""
        bare = self.model.removeprefix(PREFIX)
        return {self.model, bare, bare.removesuffix("strategy")}


def switchboard(project_dir: Path) -> list[Strategy]:
    """The strategies of dbt_project.yml's gold section, in file order, with their active flag."""
    project = yaml.safe_load((project_dir / "dbt_project.yml").read_text())
    gold = project["models"][project["name"]].get("gold", {})
    return [
        Strategy(model=name, active="strategy" in (entry or {}).get("+tags", []))
        for name, entry in gold.items()
        if name.startswith(PREFIX)
    ]


def resolve(names: list[str], strategies: list[Strategy]) -> list[str]:
    """The models the names select; a ValueError that lists the known names for an unknown one."""
    models = []
    for name in names:
        found = [s.model for s in strategies if name.strip().lower() in s.names]
        if not found:
            known = ", ".join(s.model.removeprefix(PREFIX) for s in strategies)
            raise ValueError(f"unknown strategy {name!r}; known: {known} (also as gold_<name> or without 'strategy')")
        models += [m for m in found if m not in models]
    return models


def run_strategies(
    settings: Settings,
    names: list[str] | None = None,
    symbols: list[str] | None = None,
    full_refresh: bool = False,
    test: bool = False,
) -> list[str]:
    """Run (or build, with their tests) the named strategies, else the active ones; returns the models."""
    strategies = switchboard(settings.project_dir)
    if names:
        models = resolve(names, strategies)
        selection = ["--select", *models]
    else:
        models = [s.model for s in strategies if s.active]
        if not models:
            raise ValueError("no strategy is active in dbt_project.yml (tag `strategy`); name one with --strategies")
        selection = ["--selector", "active_strategies"]
    args = ["build" if test else "run", *selection]
    if symbols:
        args += ["--vars", yaml.safe_dump({"gold_symbols": ",".join(symbols)}, default_flow_style=True).strip()]
    if full_refresh:
        args.append("--full-refresh")
    t0 = time.monotonic()
    log.info("strategies: %s%s", ", ".join(models), f" (symbols {', '.join(symbols)})" if symbols else "")
    invoke_dbt(settings, *args, "--quiet")
    log.info("strategies done in %.1f s", time.monotonic() - t0)
    return models
