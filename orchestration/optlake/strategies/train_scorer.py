"""Train the RSI/Bollinger strategy's demonstration model and write it as ONNX (``optlake train-scorer``).

A demonstration of the model-with-rule-fallback mechanism on the project's own generated bars, not
of any trading edge: the generator's prices are random walks, so no feature predicts the next move
and the model learns little beyond the class frequencies.

Labels: per symbol, the forward log return over ``horizon`` bars, ln(close_{t+h} / close_t): BUY
when above ``threshold``, SELL when below -threshold, else HOLD (the last ``horizon`` bars of a
symbol have no label). The default threshold is half the standard deviation of those returns, so
the three classes are of comparable size. Features: optlake.strategies.rsi_bollinger.features over
each symbol's whole series; rows with an undefined feature or label are left out.

Model: a scikit-learn pipeline, StandardScaler then multinomial LogisticRegression (deterministic),
converted with skl2onnx (probabilities as a tensor, no ZipMap) and written with the metadata the
scorer checks (optlake.strategies.scorer), atomically (a temporary file, then a rename).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from optlake.strategies.rsi_bollinger import FEATURE_COLUMNS, RsiBollingerParams, features
from optlake.strategies.scorer import FEATURES_KEY, LABELS_KEY

log = logging.getLogger(__name__)

MIN_ROWS = 100


def forward_returns(bars: pd.DataFrame, horizon: int) -> pd.Series:
    """ln(close_{t+horizon} / close_t) within each symbol (NaN for the last ``horizon`` bars)."""
    close = bars["close"].astype(float)
    ahead = close.groupby(bars["symbol"]).shift(-horizon)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(ahead / close)


def labels_for(returns: pd.Series, threshold: float) -> pd.Series:
    """BUY above threshold, SELL below -threshold, HOLD between; None where the return is undefined."""
    labels = np.where(returns > threshold, "BUY", np.where(returns < -threshold, "SELL", "HOLD")).astype(object)
    labels[~np.isfinite(returns.to_numpy(dtype=float))] = None
    return pd.Series(labels, index=returns.index)


def training_set(
    bars: pd.DataFrame, params: RsiBollingerParams, horizon: int, threshold: float | None
) -> tuple[np.ndarray, np.ndarray, float]:
    """(X, y, threshold) from bars of many symbols (sorted by symbol, then ts)."""
    bars = bars.sort_values(["symbol", "ts"], kind="stable").reset_index(drop=True)
    frames = [features(group, params) for _, group in bars.groupby("symbol", sort=False)]
    found = pd.concat(frames).loc[bars.index, FEATURE_COLUMNS] if frames else pd.DataFrame(columns=FEATURE_COLUMNS)
    returns = forward_returns(bars, horizon)
    if threshold is None:
        spread = float(np.nanstd(returns.to_numpy(dtype=float)))
        threshold = 0.5 * spread if np.isfinite(spread) else 0.0
    labels = labels_for(returns, threshold)
    usable = np.isfinite(found.to_numpy(dtype=float)).all(axis=1) & labels.notna().to_numpy()
    return found.to_numpy(dtype=np.float32)[usable], labels.to_numpy()[usable].astype(str), threshold


def train(
    bars: pd.DataFrame,
    out_path: Path | str,
    params: RsiBollingerParams,
    horizon: int = 6,
    threshold: float | None = None,
    seed: int = 0,
) -> dict:
    """Fit the model on ``bars`` (INPUT_COLUMNS of many symbols) and write it; returns a report."""
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if horizon < 1:
        raise ValueError(f"horizon must be at least 1 bar, got {horizon}")
    x, y, threshold = training_set(bars, params, horizon, threshold)
    if len(y) < MIN_ROWS:
        raise ValueError(f"only {len(y)} bars with every feature and a label; need at least {MIN_ROWS}")
    classes = sorted(set(y))
    if len(classes) < 2:
        raise ValueError(f"every training label is {classes[0]}: nothing to learn")
    classifier = LogisticRegression(max_iter=1000, random_state=seed)
    pipeline = make_pipeline(StandardScaler(), classifier).fit(x, y)
    onnx_model = convert_sklearn(
        pipeline,
        initial_types=[("features", FloatTensorType([None, len(FEATURE_COLUMNS)]))],
        options={id(classifier): {"zipmap": False}},
    )
    for key, value in ((FEATURES_KEY, FEATURE_COLUMNS), (LABELS_KEY, [str(c) for c in classifier.classes_])):
        entry = onnx_model.metadata_props.add()
        entry.key, entry.value = key, json.dumps(value)
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=out.parent, prefix=f".{out.name}.", delete=False) as handle:
        handle.write(onnx_model.SerializeToString())
    os.replace(handle.name, out)
    counts = {str(c): int((y == c).sum()) for c in classes}
    accuracy = float((pipeline.predict(x) == y).mean())
    log.info("trained on %d bars %s, in-sample accuracy %.3f: %s", len(y), counts, accuracy, out)
    return {
        "out_path": str(out),
        "rows": len(y),
        "classes": counts,
        "threshold": round(threshold, 6),
        "horizon": horizon,
        "in_sample_accuracy": round(accuracy, 4),
    }
