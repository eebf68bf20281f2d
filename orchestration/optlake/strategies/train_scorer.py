"""Train the RSI/Bollinger strategy's demonstration model and write it as ONNX (``optlake train-scorer``).

A demonstration of the model-with-rule-fallback mechanism on the project's own generated bars, not
of any trading edge: the generator's prices are random walks, so no feature predicts the next move
and the model learns little beyond the class frequencies.

Labels (``labels_for``): per symbol, in ts order, the forward log return over ``horizon`` bars,
ln(close_{t+horizon} / close_t): BUY when above ``threshold``, SELL when below -threshold, else HOLD
(strictly; the last ``horizon`` bars of a symbol have no label). The default threshold (None) is
half the population standard deviation of those returns over all symbols, so the three classes are
of comparable size. Features: optlake.strategies.rsi_bollinger.features over each symbol's whole
series (seeded at its first bar); rows with an undefined feature or label are left out.

Model: a scikit-learn pipeline, StandardScaler then multinomial LogisticRegression (lbfgs, so the
fit is deterministic for given rows; ``seed`` is passed as its random_state), trained on float32
features as the scorer sends them, converted with skl2onnx (probabilities as a tensor, no ZipMap)
and written with the metadata the scorer checks (optlake.strategies.scorer), atomically: a
temporary file in the target folder, then a rename, so a Spark worker never reads half a model.
Too few usable rows (< MIN_ROWS) or a single class is a ValueError.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from optlake.strategies.rsi_bollinger import FEATURE_COLUMNS, INPUT_COLUMNS, RsiBollingerParams, features
from optlake.strategies.scorer import FEATURES_KEY, LABELS_KEY

log = logging.getLogger(__name__)

#: Fewest usable rows (every feature and a label) a model is trained on.
MIN_ROWS = 100


def _ordered(bars: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ("symbol", "ts", "close", "volume") if c not in bars.columns]
    if missing:
        raise ValueError(f"bars lack the column(s) {missing}; need {list(INPUT_COLUMNS)}")
    return bars.sort_values(["symbol", "ts"], kind="stable")


def forward_returns(bars: pd.DataFrame, horizon: int) -> pd.Series:
    """ln(close_{t+horizon} / close_t) within each symbol in ts order, on ``bars``' index (NaN for the
    last ``horizon`` bars of a symbol)."""
    if horizon < 1:
        raise ValueError(f"horizon must be at least 1 bar, got {horizon}")
    ordered = _ordered(bars)
    close = ordered["close"].astype(float)
    ahead = close.groupby(ordered["symbol"], sort=False).shift(-horizon)
    with np.errstate(divide="ignore", invalid="ignore"):
        returns = np.log(ahead / close)
    return returns.reindex(bars.index)


def classify(returns: pd.Series, threshold: float) -> pd.Series:
    """BUY above threshold, SELL below -threshold, HOLD between; None where the return is undefined."""
    values = returns.to_numpy(dtype=float)
    labels = np.where(values > threshold, "BUY", np.where(values < -threshold, "SELL", "HOLD")).astype(object)
    labels[~np.isfinite(values)] = None
    return pd.Series(labels, index=returns.index, dtype=object)


def labels_for(bars: pd.DataFrame, horizon: int, threshold: float) -> pd.Series:
    """The label of every bar (on ``bars``' index) from its forward log return over ``horizon`` bars of
    the same symbol: > threshold BUY, < -threshold SELL, else HOLD; None without a forward bar."""
    if not threshold >= 0:
        raise ValueError(f"threshold must be >= 0, got {threshold}")
    return classify(forward_returns(bars, horizon), threshold)


def training_set(
    bars: pd.DataFrame, params: RsiBollingerParams, horizon: int, threshold: float | None
) -> tuple[np.ndarray, np.ndarray, float]:
    """(X float32 [rows, FEATURE_COLUMNS], y labels, threshold) from bars of many symbols."""
    bars = _ordered(bars).reset_index(drop=True)
    frames = [features(group, params) for _, group in bars.groupby("symbol", sort=False)]
    found = pd.concat(frames).loc[bars.index, FEATURE_COLUMNS] if frames else pd.DataFrame(columns=FEATURE_COLUMNS)
    returns = forward_returns(bars, horizon)
    if threshold is None:
        finite = returns.to_numpy(dtype=float)
        finite = finite[np.isfinite(finite)]
        threshold = 0.5 * float(np.std(finite)) if len(finite) else 0.0
    elif not threshold >= 0:
        raise ValueError(f"threshold must be >= 0, got {threshold}")
    labels = classify(returns, threshold)
    with np.errstate(over="ignore", invalid="ignore"):
        x = found.to_numpy(dtype=np.float64).astype(np.float32)
    usable = np.isfinite(x).all(axis=1) & labels.notna().to_numpy()
    return x[usable], labels.to_numpy()[usable].astype(str), threshold


def train(
    bars: pd.DataFrame,
    out_path: Path | str,
    params: RsiBollingerParams,
    horizon: int = 6,
    threshold: float | None = None,
    seed: int = 0,
) -> dict:
    """Fit the model on ``bars`` (INPUT_COLUMNS of many symbols) and write it to ``out_path``.

    Returns the report: out_path, rows (used), classes (count per label), threshold, horizon,
    in_sample_accuracy.
    """
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, y, threshold = training_set(bars, params, horizon, threshold)
    if len(y) < MIN_ROWS:
        raise ValueError(
            f"only {len(y)} bars have every feature and a label; need at least {MIN_ROWS} "
            f"(each symbol's first {params.sma_slow} bars and last {horizon} are unusable)"
        )
    classes = sorted(set(y))
    if len(classes) < 2:
        raise ValueError(f"every training label is {classes[0]} (threshold {threshold:g}): nothing to learn")
    classifier = LogisticRegression(max_iter=1000, random_state=seed)
    pipeline = make_pipeline(StandardScaler(), classifier).fit(x, y)
    onnx_model = convert_sklearn(
        pipeline,
        initial_types=[("features", FloatTensorType([None, len(FEATURE_COLUMNS)]))],
        options={id(classifier): {"zipmap": False}},
    )
    for key, value in ((FEATURES_KEY, FEATURE_COLUMNS), (LABELS_KEY, [str(c) for c in classifier.classes_])):
        entry = onnx_model.metadata_props.add()
        entry.key, entry.value = key, json.dumps(list(value))
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp", delete=False)
    try:
        with handle:
            handle.write(onnx_model.SerializeToString())
        os.chmod(handle.name, 0o644)  # readable like any written file (mkstemp makes it 0600)
        os.replace(handle.name, out)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
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
