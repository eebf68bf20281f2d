"""The model scorer with rule fallback (optlake.strategies.scorer, train_scorer): a real ONNX model
trained here, and every way the rule takes over."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import numpy as np
import onnx
import pandas as pd
import pytest

from logcapture import captured_log
from optlake.strategies import scorer as scorer_module
from optlake.strategies.rsi_bollinger import FEATURE_COLUMNS, OUTPUT_COLUMNS, RsiBollingerParams, analyse_window
from optlake.strategies.scorer import Scorer, Unavailable, load_scorer, score
from optlake.strategies.train_scorer import MIN_ROWS, labels_for, train

P = RsiBollingerParams()
DAY3 = dt.date(2025, 1, 29)
LABELS = {"BUY", "HOLD", "SELL"}


def bars(symbol: str, n: int = 78 * 3, seed: int = 1) -> pd.DataFrame:
    """n 5-minute bars of a random walk, 78 a day from 2025-01-27."""
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


TRAINING = pd.concat([bars(s, seed=i) for i, s in enumerate(["A", "B", "C", "D"])], ignore_index=True)


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[Path, dict]:
    path = tmp_path_factory.mktemp("scorer") / "models" / "rsi.onnx"
    return path, train(TRAINING, path, P, horizon=6)


@pytest.fixture(scope="module")
def model_file(trained) -> Path:
    return trained[0]


def test_labels_by_hand() -> None:
    frame = pd.DataFrame(
        {
            "symbol": ["X", "X", "X", "X", "Y", "Y"],
            "ts": [1, 2, 3, 4, 1, 2],
            "close": [100.0, 100.0 * np.exp(0.02), 100.0 * np.exp(0.025), 100.0 * np.exp(0.02), 10.0, 9.0],
            "volume": 1.0,
        }
    ).iloc[[3, 1, 4, 0, 5, 2]]  # the order of the rows does not matter: ts does, within the symbol
    labels = labels_for(frame, horizon=1, threshold=0.01)
    # X: +0.02 BUY, +0.005 HOLD, -0.005 HOLD, last bar none; Y: ln(0.9) SELL, last bar none
    assert labels.index.equals(frame.index)
    assert labels.sort_index().tolist() == ["BUY", "HOLD", "HOLD", None, "SELL", None]
    assert labels_for(frame, horizon=2, threshold=0.01).sort_index().tolist() == ["BUY", "HOLD", None, None, None, None]
    assert labels_for(frame, horizon=1, threshold=0.0).sort_index().tolist() == [
        "BUY",
        "BUY",
        "SELL",
        None,
        "SELL",
        None,
    ]
    with pytest.raises(ValueError, match="horizon"):
        labels_for(frame, horizon=0, threshold=0.01)
    with pytest.raises(ValueError, match="threshold"):
        labels_for(frame, horizon=1, threshold=-0.01)


def test_training_writes_a_model_with_its_schema_and_a_report(trained) -> None:
    path, report = trained
    assert report["out_path"] == str(path) and report["horizon"] == 6
    assert report["rows"] == 4 * (78 * 3 - 49 - 6)  # each symbol's first 49 bars lack SMA(50), its last 6 a label
    assert set(report["classes"]) == LABELS and sum(report["classes"].values()) == report["rows"]
    assert 0 <= report["in_sample_accuracy"] <= 1 and report["threshold"] > 0
    meta = {p.key: json.loads(p.value) for p in onnx.load(str(path)).metadata_props}
    assert meta["optlake_features"] == FEATURE_COLUMNS and set(meta["optlake_labels"]) == LABELS
    assert os.listdir(path.parent) == [path.name]  # the temporary file was renamed, nothing left behind


def test_training_is_deterministic(model_file, tmp_path) -> None:
    again = tmp_path / "again.onnx"
    train(TRAINING.sample(frac=1, random_state=3), again, P, horizon=6)  # row order does not matter
    scorer, other = load_scorer(str(model_file)), load_scorer(str(again))
    x = np.random.default_rng(0).normal(size=(50, len(FEATURE_COLUMNS))).astype(np.float32)
    first = scorer.session.run(None, {scorer.input_name: x})[-1]
    assert np.array_equal(first, other.session.run(None, {other.input_name: x})[-1])


def test_training_refuses_too_few_rows_or_one_class(tmp_path) -> None:
    with pytest.raises(ValueError, match=rf"only \d+ bars .* at least {MIN_ROWS}"):
        train(bars("A", n=120), tmp_path / "m.onnx", P)
    with pytest.raises(ValueError, match="every training label is HOLD"):
        train(TRAINING, tmp_path / "m.onnx", P, threshold=10.0)
    with pytest.raises(ValueError, match="lack the column"):
        train(TRAINING.drop(columns="close"), tmp_path / "m.onnx", P)
    assert not list(tmp_path.iterdir())


def test_with_a_model_the_model_decides_every_complete_row(model_file) -> None:
    scorer = load_scorer(str(model_file))
    assert isinstance(scorer, Scorer) and set(scorer.labels) == LABELS
    assert scorer.session.get_session_options().intra_op_num_threads == 1
    out = analyse_window(bars("AAPL", seed=9), DAY3, P, scorer)
    assert list(out.columns) == list(OUTPUT_COLUMNS) and len(out) == 78
    assert set(out["decision_source"]) == {"model"} and out["fallback_reason"].isna().all()
    assert (out["signal"] == out["model_signal"]).all() and set(out["signal"]) <= LABELS
    assert (out["confidence"] == out["model_confidence"]).all() and out["confidence"].between(1 / 3, 1).all()
    assert set(out["rule_signal"]) <= LABELS and out["rule_confidence"].between(0, 1).all()
    # the confidence is the largest class probability, and the label its class, straight from onnxruntime
    raw = scorer.session.run(None, {scorer.input_name: out[FEATURE_COLUMNS].to_numpy(np.float32)})[-1]
    assert np.allclose(out["model_confidence"], raw.max(axis=1), rtol=0, atol=1e-7)
    assert list(out["model_signal"]) == [scorer.labels[i] for i in raw.argmax(axis=1)]
    assert np.allclose(raw.sum(axis=1), 1, atol=1e-5)


def test_rows_with_undefined_features_fall_back_in_the_same_batch(model_file) -> None:
    out = analyse_window(bars("AAPL", n=78, seed=9), dt.date(2025, 1, 27), P, load_scorer(str(model_file)))
    early, late = out.iloc[:49], out.iloc[49:]  # SMA(50) needs 50 bars
    assert set(early["fallback_reason"]) == {"features_incomplete"} and set(early["decision_source"]) == {"rule"}
    assert (early["signal"] == early["rule_signal"]).all() and early["model_signal"].isna().all()
    assert early["model_confidence"].isna().all() and (early["confidence"] == early["rule_confidence"]).all()
    assert set(late["decision_source"]) == {"model"} and late["fallback_reason"].isna().all()


def test_score_sends_only_complete_rows(model_file) -> None:
    scorer = load_scorer(str(model_file))
    x = np.random.default_rng(1).normal(size=(6, len(FEATURE_COLUMNS)))
    x[1, 3], x[4, 0], x[5, 9] = np.nan, np.inf, 1e300  # 1e300 does not fit a float32
    labels, probabilities, reasons = score(scorer, pd.DataFrame(x, columns=FEATURE_COLUMNS))
    assert list(reasons) == [None, "features_incomplete", None, None, "features_incomplete", "features_incomplete"]
    assert [label is None for label in labels] == [False, True, False, False, True, True]
    assert np.isnan(probabilities[[1, 4, 5]]).all() and np.isfinite(probabilities[[0, 2, 3]]).all()
    raw = scorer.session.run(None, {scorer.input_name: x[[0, 2, 3]].astype(np.float32)})[-1]
    assert np.array_equal(probabilities[[0, 2, 3]], raw.max(axis=1).astype(np.float64))
    empty = score(scorer, pd.DataFrame(columns=FEATURE_COLUMNS, dtype=float))
    assert all(len(part) == 0 for part in empty)


def write(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


def with_metadata(source: Path, path: Path, **changes: object) -> str:
    """A copy of the model whose metadata entries are replaced (a value None: the entry removed)."""
    model = onnx.load(str(source))
    kept = [p for p in model.metadata_props if p.key not in changes]
    del model.metadata_props[:]
    model.metadata_props.extend(kept)
    for key, value in changes.items():
        if value is not None:
            entry = model.metadata_props.add()
            entry.key, entry.value = key, value if isinstance(value, str) else json.dumps(value)
    onnx.save(model, str(path))
    return str(path)


def narrow_model(path: Path) -> str:
    """A valid model of 3 inputs whose metadata nevertheless claims FEATURE_COLUMNS."""
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 3)).astype(np.float32)
    classifier = LogisticRegression().fit(x, np.array(["HOLD", "BUY", "SELL"] * 20))
    model = convert_sklearn(
        classifier, initial_types=[("x", FloatTensorType([None, 3]))], options={id(classifier): {"zipmap": False}}
    )
    for key, value in (("optlake_features", FEATURE_COLUMNS), ("optlake_labels", list(classifier.classes_))):
        entry = model.metadata_props.add()
        entry.key, entry.value = key, json.dumps([str(v) for v in value])
    return write(path, model.SerializeToString())


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda tmp, good: None, "no_model_configured"),
        (lambda tmp, good: "", "no_model_configured"),
        (lambda tmp, good: str(tmp / "absent.onnx"), "model_file_missing"),
        (lambda tmp, good: write(tmp / "noise.onnx", np.random.default_rng(0).bytes(4096)), "model_unreadable"),
        (lambda tmp, good: write(tmp / "cut.onnx", good.read_bytes()[:300]), "model_unreadable"),
        (lambda tmp, good: write(tmp / "empty.onnx", b""), "model_unreadable"),
        (lambda tmp, good: str(tmp), "model_unreadable"),  # a folder
        (
            lambda tmp, good: with_metadata(good, tmp / "other.onnx", optlake_features=[*FEATURE_COLUMNS[:-1], "x"]),
            "feature_mismatch",
        ),
        (
            lambda tmp, good: with_metadata(good, tmp / "order.onnx", optlake_features=FEATURE_COLUMNS[::-1]),
            "feature_mismatch",
        ),
        (lambda tmp, good: with_metadata(good, tmp / "none.onnx", optlake_features=None), "feature_mismatch"),
        (lambda tmp, good: with_metadata(good, tmp / "junk.onnx", optlake_features="not json"), "feature_mismatch"),
        (
            lambda tmp, good: with_metadata(good, tmp / "labels.onnx", optlake_labels=["HOLD", "BUY", "SHORT"]),
            "feature_mismatch",
        ),
        (
            lambda tmp, good: with_metadata(good, tmp / "two.onnx", optlake_labels=["HOLD", "BUY"]),
            "feature_mismatch",
        ),
        (lambda tmp, good: narrow_model(tmp / "narrow.onnx"), "feature_mismatch"),
    ],
)
def test_the_rule_decides_when_the_model_cannot(model_file, tmp_path, make, reason) -> None:
    scorer = load_scorer(make(tmp_path, model_file))
    assert isinstance(scorer, Unavailable) and scorer.reason == reason
    out = analyse_window(bars("AAPL", seed=9), DAY3, P, scorer)
    assert list(out.columns) == list(OUTPUT_COLUMNS)
    assert set(out["decision_source"]) == {"rule"} and set(out["fallback_reason"]) == {reason}
    assert (out["signal"] == out["rule_signal"]).all() and out["model_signal"].isna().all()
    assert (out["confidence"] == out["rule_confidence"]).all()


class Broken:
    def run(self, *args, **kwargs):
        raise RuntimeError("out of memory")


class Short:
    def run(self, *args, **kwargs):
        return [np.zeros(1), np.full((1, 3), 1 / 3)]  # one row of probabilities for the whole batch


class NotANumber:
    def run(self, feeds=None, inputs=None, *args, **kwargs):
        n = len(next(iter(inputs.values())))
        return [np.zeros(n), np.full((n, 3), np.nan, dtype=np.float32)]


class Negative:
    def run(self, feeds=None, inputs=None, *args, **kwargs):
        n = len(next(iter(inputs.values())))
        return [np.zeros(n), np.tile(np.array([[1.5, -0.25, -0.25]], dtype=np.float32), (n, 1))]


@pytest.mark.parametrize("session", [Broken(), Short(), NotANumber(), Negative()], ids=type)
def test_a_failing_batch_falls_back_to_the_rule(model_file, session) -> None:
    good = load_scorer(str(model_file))
    scorer = Scorer(session, good.input_name, good.labels, "test")
    x = np.ones((5, len(FEATURE_COLUMNS)))
    x[2, 0] = np.nan
    with captured_log() as messages:
        labels, probabilities, reasons = score(scorer, pd.DataFrame(x, columns=FEATURE_COLUMNS))
    assert list(reasons) == ["scoring_failed"] * 5 and all(label is None for label in labels)
    assert np.isnan(probabilities).all()
    assert any("batch of 5 rows failed" in m for m in messages)
    out = analyse_window(bars("AAPL", seed=9), DAY3, P, scorer)
    assert set(out["decision_source"]) == {"rule"} and set(out["fallback_reason"]) == {"scoring_failed"}
    assert (out["signal"] == out["rule_signal"]).all()


def test_a_loaded_model_is_cached_and_a_rewritten_one_reloaded(model_file, tmp_path) -> None:
    copy = tmp_path / "copy.onnx"
    copy.write_bytes(model_file.read_bytes())
    first = load_scorer(str(copy))
    assert load_scorer(str(copy)) is first and load_scorer(copy) is first  # a Path is fine too
    broken = write(tmp_path / "copy.onnx", b"not a model any more")
    os.utime(broken, ns=(1, 1))  # a new modification time, whatever the clock's resolution
    assert load_scorer(broken).reason == "model_unreadable"
    assert sum(1 for key in scorer_module._CACHE if key[0] == str(copy)) == 1  # the old version is dropped


def test_each_unavailable_file_is_logged_once(tmp_path) -> None:
    path = str(tmp_path / "never.onnx")
    with captured_log() as messages:
        for _ in range(3):
            assert load_scorer(path).reason == "model_file_missing"
    assert len([m for m in messages if path in m]) == 1 and "model_file_missing" in messages[0]


def test_score_without_a_scorer_falls_back() -> None:
    labels, probabilities, reasons = score(None, pd.DataFrame(np.ones((2, len(FEATURE_COLUMNS)))))
    assert list(reasons) == ["no_model_configured"] * 2 and list(labels) == [None, None]
    assert np.isnan(probabilities).all()
