"""Which days a Gold run recomputes (optlake.gold.changes) and how strategy names resolve (optlake.jobs.strategy)."""

from __future__ import annotations

import datetime as dt

import pytest

from optlake.gold.changes import fingerprints, plan
from optlake.jobs.strategy import Strategy, resolve

D = [dt.date(2025, 1, 27) + dt.timedelta(days=i) for i in range(10)]


def versions(*days: dt.date, v: str = "v1") -> dict[dt.date, str]:
    return dict.fromkeys(days, v)


def test_a_day_without_lookback_depends_on_itself_only() -> None:
    before = fingerprints({"silver": versions(*D[:5])}, 0)
    after = fingerprints({"silver": {**versions(*D[:5]), D[2]: "v2"}}, 0)
    assert {d for d in D[:5] if before[d] != after[d]} == {D[2]}


def test_a_reloaded_day_changes_the_days_whose_lookback_reaches_it() -> None:
    before = fingerprints({"bars": versions(*D)}, 3)
    after = fingerprints({"bars": {**versions(*D), D[2]: "v2"}}, 3)
    assert {d for d in D if before[d] != after[d]} == {D[2], D[3], D[4], D[5]}  # D[5] - 3 days = D[2]


def test_every_input_and_the_settings_count() -> None:
    base = {"bars": versions(*D[:3]), "ref": versions(*D[:3])}
    assert set(fingerprints(base, 0)) == set(D[:3])  # the days of the first input
    moved = fingerprints({**base, "ref": {**base["ref"], D[1]: "v2"}}, 0)
    assert [d for d in D[:3] if moved[d] != fingerprints(base, 0)[d]] == [D[1]]
    assert all(fingerprints(base, 0, "a")[d] != fingerprints(base, 0, "b")[d] for d in D[:3])
    with pytest.raises(ValueError, match="lookback_days"):
        fingerprints(base, -1)


def test_plan_computes_changed_and_new_days_and_clears_replaced_and_gone_ones() -> None:
    stored = {D[0]: "a", D[1]: "b", D[2]: "c", D[3]: None}
    current = {D[0]: "a", D[1]: "B", D[3]: "d", D[4]: "e"}
    run = plan(current, stored)
    assert run.days == [D[1], D[3], D[4]]  # changed, pre-fingerprint rows, new
    assert run.delete_days == (D[1], D[2], D[3])  # replaced, and D[2] whose input is gone
    assert plan(current, {}).days == sorted(current)  # a full build computes everything
    assert plan({D[0]: "a"}, {D[0]: "a"}).days == []


def test_a_named_rerun_computes_every_day_and_clears_by_key() -> None:
    run = plan({D[0]: "a", D[1]: "b"}, {D[0]: "a", D[1]: "b"}, only=["AAPL"])
    assert run.days == [D[0], D[1]] and run.delete_days == () and run.only == ("AAPL",)


STRATEGIES = [
    Strategy("gold_laymanspystrategy", True),
    Strategy("gold_vixadaptivestrategy", False),
    Strategy("gold_ironcondorstrategy", True),
]


def test_strategy_names_resolve_in_every_spelling() -> None:
    assert resolve(["LaymanSPYStrategy"], STRATEGIES) == ["gold_laymanspystrategy"]
    assert resolve(["VIXAdaptive", "vixadaptivestrategy"], STRATEGIES) == ["gold_vixadaptivestrategy"]
    assert resolve(["gold_ironcondorstrategy", "IronCondor"], STRATEGIES) == ["gold_ironcondorstrategy"]
    with pytest.raises(ValueError, match=r"unknown strategy 'Momentum'; known: laymanspystrategy, vixadaptive"):
        resolve(["Momentum"], STRATEGIES)


def test_the_new_strategies_document_every_column_they_write() -> None:
    import yaml

    from optlake.settings import PROJECT_DIR
    from optlake.strategies import rsi_bollinger, vix_adaptive

    models = yaml.safe_load((PROJECT_DIR / "python_models" / "gold" / "_gold__models.yml").read_text())["models"]
    documented = {m["name"]: [c["name"] for c in m["columns"]] for m in models}
    stamps = ["input_fingerprint", "computed_at"]
    assert documented["gold_rsibollingerstrategy"] == [*rsi_bollinger.OUTPUT_COLUMNS, *stamps]
    assert documented["gold_vixadaptivestrategy"] == [*vix_adaptive.OUTPUT_COLUMNS, *stamps]
    assert list(rsi_bollinger.COLUMN_DOCS) == list(rsi_bollinger.OUTPUT_COLUMNS)
    assert list(vix_adaptive.COLUMN_DOCS) == list(vix_adaptive.OUTPUT_COLUMNS)
