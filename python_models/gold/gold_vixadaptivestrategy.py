"""VIXAdaptiveStrategy: beta-adjusted moves of equities against thresholds that widen with the VIX.

Per equity symbol and 5-minute bar: the rolling beta of the symbol's returns to SPX's, the residual
(beta-adjusted) move over the last bars as a z-score, a threshold that widens as the VIX rises
(higher VIX, more conservative), BUY/SELL/HOLD (with a hold_reason) and a trade-quality grade A-D
from signal strength, beta fit and liquidity. The rules and formulas: optlake.strategies.vix_adaptive.

Computed one symbol at a time, in Spark's Python workers: each (symbol, day) from the symbol's
5-minute bars of [day - lookback_days, day], joined with the SPX and VIX 5-minute closes at the same
bar. A run computes the days whose bars changed since the last run (optlake.gold.runs);
`optlake strategy --strategies VIXAdaptive --symbols AAPL` re-analyses AAPL on every day and
replaces only its rows.

Parameters (dbt_project.yml, models: optlake: gold: gold_vixadaptivestrategy): asset_classes,
lookback_days, market (SPX), volatility_index (VIX), and the strategy's parameters.
"""


def model(dbt, session):
    from pyspark.sql import functions as F

    from optlake.gold.bars import bar_rows, config_list
    from optlake.gold.runs import start_run
    from optlake.strategies.vix_adaptive import OUTPUT_COLUMNS, VixAdaptiveParams, analyse_window

    dbt.config(materialized="incremental")  # a Python model's own default (table) beats dbt_project.yml
    # dbt finds a Python model's config keys in its source: each is read by a literal name
    configured = {
        "beta_window": dbt.config.get("beta_window"),
        "signal_bars": dbt.config.get("signal_bars"),
        "base_threshold": dbt.config.get("base_threshold"),
        "vix_reference": dbt.config.get("vix_reference"),
        "vix_sensitivity": dbt.config.get("vix_sensitivity"),
        "direction": dbt.config.get("direction"),
        "volume_window": dbt.config.get("volume_window"),
        "strong_ratio": dbt.config.get("strong_ratio"),
        "min_r2": dbt.config.get("min_r2"),
        "min_liquidity": dbt.config.get("min_liquidity"),
    }
    params = VixAdaptiveParams.from_config(configured)
    asset_classes = config_list(dbt.config.get("asset_classes"))
    market, volatility_index = dbt.config.get("market"), dbt.config.get("volatility_index")
    bars = bar_rows(dbt.ref("bars_5m"), "5m")
    equities = bar_rows(dbt.ref("bars_5m"), "5m", asset_classes)

    def closes(symbol: str, name: str):
        return bars.where(F.col("symbol") == symbol).select("ts", F.col("close").alias(name))

    inputs = equities.join(closes(market, "spx_close"), "ts", "left").join(
        closes(volatility_index, "vix_close"), "ts", "left"
    )
    run = start_run(
        dbt,
        session,
        {"bars_5m": "bars_version"},
        key="symbol",
        lookback_days=int(dbt.config.get("lookback_days")),
        only=dbt.config.get("gold_symbols"),
        settings=(params, asset_classes, market, volatility_index),
    )
    rows = run.window_rows(inputs.withColumnRenamed("ts", "ts_start"))

    def analyse(frame):
        window = frame.sort_values("ts_start", kind="stable").reset_index(drop=True)
        return analyse_window(window, window["output_day"].iloc[0], params)

    schema = ", ".join(f"{name} {kind}" for name, kind in OUTPUT_COLUMNS.items())
    return run.finish(rows.groupBy("symbol", "output_day").applyInPandas(analyse, schema=schema))
