"""RSIBollingerStrategy: RSI and Bollinger-band rules on bars, scored by a model when one is given.

Per symbol and bar (frequency: 1m, 5m or daily bars): BUY when RSI(14) < rsi_buy (30) and the close
is below the lower Bollinger band (20, 2 sd); SELL when RSI > rsi_sell (70) and the close is above
the upper band; otherwise HOLD. When a model file is configured and loads, it scores the feature
vector of each bar into HOLD/BUY/SELL with a confidence and decides; the rule decides where it
cannot (no model, a missing, unreadable or mismatched file, a failing batch, incomplete features),
and `decision_source` / `fallback_reason` say which decided and why. The rules, features and
formulas: optlake.strategies.rsi_bollinger; the model format (ONNX): optlake.strategies.scorer.

A day's rows read the symbol's bars of [day - lookback_days, day] (indicators seeded at the window's
first bar): each day is computed from its own window, in Spark's Python workers, one (symbol, day)
per group. A run computes the days whose bars changed since the last run (optlake.gold.runs).

Parameters (dbt_project.yml, models: optlake: gold: gold_rsibollingerstrategy): frequency (5m),
asset_classes, lookback_days, rsi_period, rsi_buy, rsi_sell, bb_period, bb_stddev; the model file:
var rsi_bollinger_scorer (default scorers/rsi_bollinger.onnx; 'none': rules only).
"""


def model(dbt, session):
    from optlake.gold.bars import bar_rows, bar_table, config_list
    from optlake.gold.runs import file_identity, start_run
    from optlake.jobs.train_scorer import scorer_path
    from optlake.settings import PROJECT_DIR
    from optlake.strategies.rsi_bollinger import OUTPUT_COLUMNS, RsiBollingerParams, analyse_window
    from optlake.strategies.scorer import load_scorer

    dbt.config(materialized="incremental")  # a Python model's own default (table) beats dbt_project.yml
    frequency = str(dbt.config.get("frequency"))
    table = bar_table(frequency)
    bars = {"1m": dbt.ref("bars_1m"), "5m": dbt.ref("bars_5m"), "daily": dbt.ref("bars_daily")}[frequency]
    params = RsiBollingerParams(
        rsi_period=int(dbt.config.get("rsi_period")),
        rsi_buy=float(dbt.config.get("rsi_buy")),
        rsi_sell=float(dbt.config.get("rsi_sell")),
        bb_period=int(dbt.config.get("bb_period")),
        bb_stddev=float(dbt.config.get("bb_stddev")),
    )
    asset_classes = config_list(dbt.config.get("asset_classes"))
    path = scorer_path(dbt.config.get("scorer_path"), PROJECT_DIR)
    model_file = None if path is None else str(path)
    load_scorer(model_file)  # logs on the driver, once, why the rule will decide (if it will)

    run = start_run(
        dbt,
        session,
        {table.model: table.version},
        key="symbol",
        lookback_days=int(dbt.config.get("lookback_days")),
        only=dbt.config.get("gold_symbols"),
        settings=(params, frequency, asset_classes, file_identity(model_file)),
    )
    rows = run.window_rows(bar_rows(bars, frequency, asset_classes))

    def analyse(frame):
        window = frame.sort_values("ts", kind="stable").reset_index(drop=True)
        return analyse_window(window, window["output_day"].iloc[0], params, load_scorer(model_file))

    schema = ", ".join(f"{name} {kind}" for name, kind in OUTPUT_COLUMNS.items())
    return run.finish(rows.groupBy("symbol", "output_day").applyInPandas(analyse, schema=schema))
