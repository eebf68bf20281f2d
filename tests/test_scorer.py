"""The model scorer with rule fallback (optlake.strategies.scorer, train_scorer): a real ONNX model
trained here, and every way the rule takes over."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import onnx
import pandas as pd
import pytest

from optlake.strategies.rsi_bollinger import FEATURE_COLUMNS, RsiBollingerParams, analyse_window
from optlake.strategies.scorer import Scorer, Unavailable, load_scorer, score
from optlake.strategies.train_scorer import labels_for, train

P = RsiBollingerParams()
DAY3 = dt.date(2025, 1, 29)


def bars(symbol: str, n: int = 78 * 3, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = 50 * np.exp(np.cumsum(rng.normal(0, 0.004, n)))
    start = dt.datetime(2025, 1, 27, 14, 30)
    ts = [start + dt.timedelta(days=i // 78, minutes=5 * (i % 78)) for i in range(n)]
    return pd.DataFrame(
        {
            "symbol": symbol,
            "trade_date": [t.date() for t in ts],
            "ts": ts,
            "open": close,
            "high": close,
            "low": close,
            "close": close,
            "volume": rng.integers(100, 1000, n).astype(float),
        }
    )


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("scorer") / "rsi.onnx"
    training = pd.concat([bars(s, seed=i) for i, s in enumerate(["A", "B", "C", "D"])])
    report = train(training, path, P, horizon=6)
    assert report["rows"] > 500 and set(report["classes"]) == {"BUY", "HOLD", "SELL"}
    return path


def test_labels_by_hand() -> None:
    assert list(labels_for(pd.Series([0.02, -0.02, 0.01, np.nan]), 0.01)) == ["BUY", "SELL", "HOLD", None]


def test_with_a_model_the_model_decides_every_complete_row(model_file) -> None:
    scorer = load_scorer(str(model_file))
    assert isinstance(scorer, Scorer) and set(scorer.labels) == {"BUY", "HOLD", "SELL"}
    out = analyse_window(bars("AAPL", seed=9), DAY3, P, scorer)
    assert set(out["decision_source"]) == {"model"} and out["fallback_reason"].isna().all()
    assert (out["signal"] == out["model_signal"]).all() and set(out["signal"]) <= {"BUY", "HOLD", "SELL"}
    assert (out["confidence"] == out["model_confidence"]).all() and out["confidence"].between(1 / 3, 1).all()
    # the confidence is the largest class probability, straight from onnxruntime
    raw = scorer.session.run(None, {scorer.input_name: out[FEATURE_COLUMNS].to_numpy(np.float32)})[-1]
    assert np.allclose(out["model_confidence"], raw.max(axis=1))


def test_rows_with_undefined_features_fall_back_in_the_same_batch(model_file) -> None:
    out = analyse_window(bars("AAPL", n=78, seed=9), dt.date(2025, 1, 27), P, load_scorer(str(model_file)))
    early, late = out.iloc[:40], out.iloc[60:]  # SMA(50) and MACD need 50 and 34 bars
    assert set(early["fallback_reason"]) == {"features_incomplete"} and set(early["decision_source"]) == {"rule"}
    assert set(late["decision_source"]) == {"model"}
    assert (early["signal"] == early["rule_signal"]).all() and early["model_signal"].isna().all()


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda tmp, good: None, "no_model_configured"),
        (lambda tmp, good: str(tmp / "absent.onnx"), "model_file_missing"),
        (lambda tmp, good: write(tmp / "noise.onnx", np.random.default_rng(0).bytes(4096)), "model_unreadable"),
        (lambda tmp, good: write(tmp / "cut.onnx", good.read_bytes()[:300]), "model_unreadable"),
        (lambda tmp, good: relabel(good, tmp / "other.onnx", [*FEATURE_COLUMNS[:-1], "sentiment"]), "feature_mismatch"),
        (lambda tmp, good: relabel(good, tmp / "none.onnx", None), "feature_mismatch"),
    ],
)
def test_the_rule_decides_when_the_model_cannot(model_file, tmp_path, make, reason) -> None:
    scorer = load_scorer(make(tmp_path, model_file))
    assert isinstance(scorer, Unavailable) and scorer.reason == reason
    out = analyse_window(bars("AAPL", seed=9), DAY3, P, scorer)
    assert set(out["decision_source"]) == {"rule"} and set(out["fallback_reason"]) == {reason}
    assert (out["signal"] == out["rule_signal"]).all()


def test_a_failing_batch_falls_back_to_the_rule(model_file) -> None:
    good = load_scorer(str(model_file))

    class Broken:
        def run(self, *args, **kwargs):
            raise RuntimeError("out of memory")

    class Short:
        def run(self, *args, **kwargs):
            return [np.zeros(1), np.full((1, 3), 1 / 3)]  # one row of probabilities for a whole batch

    for session in (Broken(), Short()):
        scorer = Scorer(session, good.input_name, good.labels, "test")
        labels, probabilities, reasons = score(scorer, pd.DataFrame(np.ones((5, len(FEATURE_COLUMNS)))))
        assert list(reasons) == ["scoring_failed"] * 5 and all(label is None for label in labels)
        assert np.isnan(probabilities).all()


def write(path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


def relabel(source, path, features) -> str:
    """A copy of the model whose feature metadata names other features (None: no metadata)."""
    model = onnx.load(str(source))
    kept = [p for p in model.metadata_props if p.key != "optlake_features"]
    del model.metadata_props[:]
    model.metadata_props.extend(kept)
    if features is not None:
        entry = model.metadata_props.add()
        entry.key, entry.value = "optlake_features", json.dumps(features)
    onnx.save(model, str(path))
    return str(path)
