"""option_analytics, iv_surface_daily and vol_index on generated days, built for real, checked
against the generator's truth sidecar (tests/option_truth.py recomputes it independently).

- IV: on the tick-rounded quotes, |IV - true IV| <= half the spread / vega (at the true
  volatility) for >= 99% of the quotes with time value; the parity forward within 1e-4 relative of the true forward.
- Incremental: a new day adds only its partitions; a reloaded day replaces only its own.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from decimal import Decimal

import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.special import ndtr

from landings import copied_landing
from option_truth import true_chain, true_quote
from optlake.bronze import load
from optlake.bronze.spec import trade_date_from_name
from optlake.generator import generate

DAYS = (dt.date(2025, 1, 28), dt.date(2025, 1, 29))
ROWS = {DAYS[0]: 400_000, DAYS[1]: 1_000_000}  # the second day's chains are dense enough for the index
SCHEMA = "opt_an"
LIQUID_ROOTS = ("SPXW", "SPX", "SPY", "QQQ", "NDXP", "NDX", "IWM")
BUILD = ("build", "--select", "+option_analytics", "+iv_surface_daily", "+vol_index", "--exclude", "tag:gold")
RUN = ("run", "--select", "tag:silver", "option_analytics", "iv_surface_daily", "vol_index")


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict:
    """Per day: its generated files (options and bars), and the folder of its truth sidecar."""
    found: dict = {}
    for day in DAYS:
        folder = tmp_path_factory.mktemp(f"optgen{day:%d}")
        paths = generate(folder, 1, ROWS[day], day, sets=("options", "bars"))
        found[day] = [p for p in paths if trade_date_from_name(p.name) == day]
        found[("truth", day)] = folder / "truth" / f"opra-pillar-{day:%Y%m%d}.truth.json"
    return found


def snapshot(spark, table: str) -> dict[dt.date, tuple[int, object]]:
    """Per trade date: (rows, computed_at) of a table."""
    found = spark.sql(
        f"select trade_date, count(*), max(computed_at) from {SCHEMA}.{table} group by trade_date"
    ).collect()
    return {r[0]: (r[1], r[2]) for r in found}


@pytest.fixture(scope="module")
def built(spark, dbt, files, tmp_path_factory) -> dict[str, dict]:
    """Day 1 built; day 2 loaded and run; day 1 reloaded and run; the tables' state after each step."""
    tmp = tmp_path_factory.mktemp("optland")
    spark.sql(f"create database if not exists {SCHEMA}")
    states = {}
    load(spark, copied_landing(tmp / "day1", files[DAYS[0]]), SCHEMA)
    dbt(SCHEMA, *BUILD)
    states["day1"] = {t: snapshot(spark, t) for t in ("option_analytics", "iv_surface_daily", "vol_index")}
    load(spark, copied_landing(tmp / "day2", files[DAYS[1]]), SCHEMA)
    dbt(SCHEMA, *RUN)
    states["day2"] = {t: snapshot(spark, t) for t in ("option_analytics", "iv_surface_daily", "vol_index")}
    options_day1 = [p for p in files[DAYS[0]] if p.name.startswith("opra")]
    load(spark, copied_landing(tmp / "again", options_day1), SCHEMA, reprocess=True)
    dbt(SCHEMA, *RUN)
    states["reload"] = {t: snapshot(spark, t) for t in ("option_analytics", "iv_surface_daily", "vol_index")}
    return states


def truth(files, day: dt.date) -> dict:
    return json.loads(files[("truth", day)].read_text())


def analytics_rows(spark, day: dt.date) -> list[dict]:
    return [
        r.asDict()
        for r in spark.sql(f"select * from {SCHEMA}.option_analytics where trade_date = date'{day}'").collect()
    ]


def text_ts(ts: dt.datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.000000000Z")


def test_snapshots_are_every_30_minutes_and_every_quote_keeps_its_row(spark, built) -> None:
    minutes = spark.sql(
        f"select distinct ts_recv from {SCHEMA}.option_analytics where trade_date = date'{DAYS[1]}' order by 1"
    ).collect()
    assert len(minutes) == 13  # 10:00, 10:30, ..., 16:00 New York
    silver = spark.sql(
        f"select count(*) from {SCHEMA}.enriched_options_silver where trade_date = date'{DAYS[1]}'"
        " and minute(ts_recv) % 30 = 0"
    ).first()[0]
    assert built["day2"]["option_analytics"][DAYS[1]][0] == silver


def test_implied_vols_match_the_truth_within_half_the_spread_over_vega(spark, built, files) -> None:
    day = DAYS[1]
    doc = truth(files, day)
    rows = [r for r in analytics_rows(spark, day) if r["iv_status"] == "ok"]
    assert len(rows) > 5000
    within, worst = 0, 0.0
    for r in rows:
        true = true_quote(doc, r["symbol"], text_ts(r["ts_recv"]))
        half_spread = float(r["ask_px_00"] - r["bid_px_00"]) / 2
        bound = half_spread / true.vega if true.vega > 0 else math.inf  # the quote's vol precision
        error = abs(r["iv"] - true.vol)
        within += error <= bound
        worst = max(worst, error / bound)
    share = within / len(rows)
    print(f"IV within half-spread/vega: {share:.4%} of {len(rows)} quotes; worst ratio {worst:.2f}")
    assert share >= 0.99


def test_parity_forwards_match_the_truth(spark, built, files) -> None:
    day = DAYS[1]
    doc = truth(files, day)
    chains = spark.sql(
        f"select root, expiry_date, ts_recv, first(symbol) as symbol, first(forward_price) as forward,"
        f" first(forward_method) as method, first(parity_strikes) as strikes"
        f" from {SCHEMA}.option_analytics where trade_date = date'{day}' and years_to_expiry > 0"
        f" group by root, expiry_date, ts_recv"
    ).collect()
    fitted = [c for c in chains if c["method"].startswith("parity") and c["strikes"] >= 4]
    assert len(fitted) >= 0.9 * len(chains)
    errors = {c["root"]: [] for c in fitted}
    for c in fitted:
        errors[c["root"]].append(abs(c["forward"] / true_quote(doc, c["symbol"], text_ts(c["ts_recv"])).forward - 1))
    for root, found in sorted(errors.items()):
        print(f"{root}: forward relative error median {np.median(found):.1e}, max {max(found):.1e}")
    # Index and ETF options quote tight enough to pin the forward within 1e-4 (99% of their
    # chains; the rest within 2e-4, a 1.2-1.5% wide monthly); VIX options (3% wide, 5-cent ticks
    # on a few dollars), F (a $12 stock) and the high-vol single stocks only to a few 1e-4:
    # every chain within 2e-3, the median of all chains within 2e-5.
    liquid = [e for root in LIQUID_ROOTS for e in errors.get(root, [])]
    assert len(liquid) > 500 and np.quantile(liquid, 0.99) <= 1e-4 and max(liquid) <= 2e-4
    assert max(max(found) for found in errors.values()) <= 2e-3
    assert np.median([e for found in errors.values() for e in found]) <= 2e-5


def test_a_new_day_adds_only_its_partitions_and_a_reload_replaces_only_its_own(built) -> None:
    for table in ("option_analytics", "iv_surface_daily", "vol_index"):
        day1, day2, reload = built["day1"][table], built["day2"][table], built["reload"][table]
        assert set(day1) == {DAYS[0]} and set(day2) == set(DAYS), table
        assert day2[DAYS[0]] == day1[DAYS[0]], table  # untouched by the day-2 run
        assert reload[DAYS[1]] == day2[DAYS[1]], table  # untouched by the day-1 reload
        assert reload[DAYS[0]][0] == day1[DAYS[0]][0] and reload[DAYS[0]][1] > day1[DAYS[0]][1], table


def spx_vol_index(spark, day: dt.date) -> list[dict]:
    return [
        r.asDict()
        for r in spark.sql(
            f"select * from {SCHEMA}.vol_index where trade_date = date'{day}' and underlying = 'SPX' order by ts_recv"
        ).collect()
    ]


def interpolated(t1: float, v1: float, t2: float, v2: float, target: float) -> float:
    """Total variance linear in time between (t1, v1) and (t2, v2), annualised at ``target``."""
    return (t1 * v1 * (t2 - target) + t2 * v2 * (target - t1)) / (t2 - t1) / target


def test_vol_index_matches_the_truths_30_day_variance_swap(spark, built, files) -> None:
    day = DAYS[1]
    doc = truth(files, day)
    rows = spx_vol_index(spark, day)
    assert len(rows) == 13 and all(r["status"] == "ok" for r in rows)
    differences = []
    for r in rows:
        ts = text_ts(r["ts_recv"])
        near = true_chain(doc, r["near_root"], r["near_expiry_date"], ts)
        far = true_chain(doc, r["next_root"], r["next_expiry_date"], ts)
        assert near.years == pytest.approx(r["near_years"], abs=1e-12) and far.years == pytest.approx(r["next_years"])
        variance = interpolated(near.years, near.variance_swap(), far.years, far.variance_swap(), 30 / 365)
        differences.append(r["vol_index"] - 100 * math.sqrt(variance))
    print(f"vol index - truth's variance swap: {min(differences):+.3f} .. {max(differences):+.3f} vol points")
    assert max(abs(d) for d in differences) <= 0.5


def true_iv_at_delta(chain, call_delta: float) -> float:
    """The truth smile's IV at the strike whose forward call delta N(d1) is ``call_delta``."""

    def gap(log_k: float) -> float:
        vol = float(chain.vol(math.exp(log_k)))
        d1 = (math.log(chain.forward) - log_k + vol * vol * chain.years / 2) / (vol * math.sqrt(chain.years))
        return ndtr(d1) - call_delta

    log_f = math.log(chain.forward)
    return float(chain.vol(math.exp(brentq(gap, log_f - 3, log_f + 3, xtol=1e-12))))


def test_surface_matches_the_truth_where_strikes_are_dense(spark, built, files) -> None:
    """SPX at the day's last snapshot, tenors 14 and 30 days (weekly expiries on both sides), call
    deltas 0.20-0.80 (the generator's inner strikes span about +-1 standard deviation), against
    the truth smile of the SPXW expiries at the same delta, interpolated in total variance to the
    tenor. (The 7-day node sits between expiries 2 and 5 trading days out around a weekend: the
    generator prices on trading time, so no calendar-time interpolation of the truth is exact
    there.)"""
    day = DAYS[1]
    doc = truth(files, day)
    surface = {
        r["tenor_days"]: r.asDict()
        for r in spark.sql(
            f"select * from {SCHEMA}.iv_surface_daily where trade_date = date'{day}' and underlying = 'SPX'"
        ).collect()
    }
    assert sorted(surface) == [7, 14, 30, 60, 91, 182, 365]
    ts = text_ts(surface[30]["ts_recv"])
    expiries = sorted(dt.date.fromisoformat(e) for e in doc["roots"]["SPXW"]["trading_days_to_expiry"])
    chains = [true_chain(doc, "SPXW", e, ts) for e in expiries]
    chains = [c for c in chains if c.years > 0.5 / 365]
    errors = []
    for tenor in (14, 30):
        target = tenor / 365
        below = max((c for c in chains if c.years <= target), key=lambda c: c.years)
        above = min((c for c in chains if c.years > target), key=lambda c: c.years)
        for delta in [round(0.2 + 0.05 * i, 2) for i in range(13)]:
            v1, v2 = true_iv_at_delta(below, delta) ** 2, true_iv_at_delta(above, delta) ** 2
            expected = math.sqrt(interpolated(below.years, v1, above.years, v2, target))
            errors.append(abs(surface[tenor][f"iv_d{round(delta * 100):02d}"] - expected))
    print(f"surface vs truth: max {max(errors) * 100:.3f}, mean {np.mean(errors) * 100:.3f} vol points")
    assert max(errors) <= 0.005


def test_the_delta_iron_condor_sells_where_the_strike_rank_condor_cannot(spark, dbt, built) -> None:
    dbt(SCHEMA, "build", "--select", "gold_deltaironcondorstrategy", "gold_ironcondorstrategy")
    rows = [
        r.asDict()
        for r in spark.sql(
            f"select * from {SCHEMA}.gold_deltaironcondorstrategy where trade_date = date'{DAYS[1]}'"
        ).collect()
    ]
    sells = [r for r in rows if r["signal"] == "SELL_IRON_CONDOR"]
    assert sells and all(r["net_credit"] >= Decimal("0.10") and r["hold_reason"] is None for r in sells)
    spx = [r for r in sells if r["underlying"] == "SPX"]
    assert spx, "no SPX condor sold"
    for r in spx:
        assert r["short_call_delta"] > r["long_call_delta"] > 0 > r["long_put_delta"] > r["short_put_delta"], r
        if (r["expiry_date"] - DAYS[1]).days >= 7:  # strikes dense in delta: the legs sit near their targets
            assert abs(r["short_call_delta"] - 0.16) < 0.06 and abs(abs(r["short_put_delta"]) - 0.16) < 0.06, r
        assert r["long_put_strike"] < r["short_put_strike"] < r["short_call_strike"] < r["long_call_strike"]
        assert r["max_loss"] == r["width"] - r["net_credit"]
    old = spark.sql(
        f"select count(*) from {SCHEMA}.gold_ironcondorstrategy"
        f" where trade_date = date'{DAYS[1]}' and signal = 'SELL_IRON_CONDOR'"
    ).first()[0]
    assert old < len(sells)


def test_a_day_the_input_no_longer_has_is_deleted_and_the_others_are_kept(spark, dbt, built) -> None:
    """The post-hook (delete_days_missing_from, from the partitions metadata tables): a day gone from
    Silver leaves option_analytics, and then the surface and the index; the other day stays as it was.
    (Last in this module: it removes the first day.)"""
    gone, kept = DAYS
    before = {t: snapshot(spark, t) for t in ("option_analytics", "iv_surface_daily", "vol_index")}
    spark.sql(f"delete from {SCHEMA}.enriched_options_silver where trade_date = date'{gone}'")
    dbt(
        SCHEMA, "run", "--select", "option_analytics", "iv_surface_daily", "vol_index"
    )  # not Silver: it would reload the day
    for table in ("option_analytics", "iv_surface_daily", "vol_index"):
        after = snapshot(spark, table)
        assert set(after) == {kept}, table
        assert after[kept] == before[table][kept], table
