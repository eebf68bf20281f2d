"""`optlake train-scorer`: train the RSI/Bollinger strategy's demonstration model on the warehouse's
bars and write it as ONNX where the strategy looks for it (optlake.strategies.train_scorer trains)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from optlake.gold.bars import bar_rows, bar_table
from optlake.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

#: Where gold_rsibollingerstrategy looks for its model when var rsi_bollinger_scorer is not set
#: (relative paths are relative to the project folder).
DEFAULT_SCORER = "scorers/rsi_bollinger.onnx"
#: The asset classes the strategy trades by default (dbt_project.yml repeats them).
ASSET_CLASSES = ("equity", "etf", "index")


def scorer_path(configured: str | None, project_dir: Path) -> Path | None:
    """The model file a configured path names: '' -> the default; 'none' -> no model."""
    text = (configured or "").strip()
    if text.lower() == "none":
        return None
    path = Path(text or DEFAULT_SCORER)
    return path if path.is_absolute() else project_dir / path


def train_scorer(
    spark: SparkSession, settings: Settings, out: str | None, frequency: str = "5m", horizon: int = 6
) -> dict:
    """Train on the warehouse's bars of ``frequency`` and write the model; returns the training report."""
    from optlake.strategies.rsi_bollinger import RsiBollingerParams
    from optlake.strategies.train_scorer import train

    table = f"{settings.schema}.{bar_table(frequency).model}"
    if not spark.catalog.tableExists(table):
        raise ValueError(f"{table} does not exist: load bars and run Silver first (optlake daily)")
    bars = bar_rows(spark.table(table), frequency, list(ASSET_CLASSES)).toPandas()
    if bars.empty:
        raise ValueError(f"{table} has no bars of {', '.join(ASSET_CLASSES)} to train on")
    path = scorer_path(out, settings.project_dir)
    if path is None:
        raise ValueError("--out none: name a file to write")
    path.parent.mkdir(parents=True, exist_ok=True)
    log.info("training on %d bars of %d symbols from %s", len(bars), bars["symbol"].nunique(), table)
    return train(bars.sort_values(["symbol", "ts"]), path, RsiBollingerParams(), horizon=horizon)
