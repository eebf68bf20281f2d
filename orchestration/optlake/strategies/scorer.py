"""The strategies' model scorer: an ONNX model that maps a feature vector to HOLD/BUY/SELL with a
probability, and the reasons the rule decides instead.

Why ONNX: the file is portable (any ONNX runtime, any language, the same answers), loading it runs no
code (a pickled scikit-learn pipeline runs arbitrary code on load and is tied to the scikit-learn
version that wrote it), and onnxruntime is one small dependency of Spark's Python workers.

A model file must carry, in its ONNX metadata (``metadata_props``):
  optlake_features  JSON list of the feature names it expects, in order (the strategy's FEATURE_COLUMNS)
  optlake_labels    JSON list of its classes, in the order of its probability output (each one of
                    HOLD, BUY, SELL)
with one float input [N, n_features] and a probability output [N, n_labels] (the second output when
there are two, as skl2onnx writes a classifier with zipmap off).

``load_scorer(path)`` never raises: it returns a ``Scorer`` or an ``Unavailable`` with the reason
(no_model_configured, model_file_missing, model_unreadable, feature_mismatch) and logs a warning once
per file version. ``score`` never raises either: a failing or malformed batch gives every row the
reason scoring_failed, and a row with an undefined feature the reason features_incomplete; the rule
decides those rows.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

LABELS = ("HOLD", "BUY", "SELL")
FEATURES_KEY = "optlake_features"
LABELS_KEY = "optlake_labels"


@dataclass(frozen=True)
class Unavailable:
    """No model: the rule decides every row, for ``reason``."""

    reason: str
    detail: str = ""


@dataclass
class Scorer:
    session: Any  # onnxruntime.InferenceSession
    input_name: str
    labels: tuple[str, ...]
    path: str


_CACHE: dict[tuple, Scorer | Unavailable] = {}


def load_scorer(path: str | None, expected: Sequence[str] | None = None) -> Scorer | Unavailable:
    """The scorer of the model file at ``path`` (cached per path, size and modification time)."""
    if expected is None:
        from optlake.strategies.rsi_bollinger import FEATURE_COLUMNS as expected
    if not path:
        return Unavailable("no_model_configured")
    try:
        stat = os.stat(path)
    except OSError:
        key = (path, None, None, tuple(expected))
        if key not in _CACHE:
            log.warning("scorer %s: file not found; the rules decide", path)
            _CACHE[key] = Unavailable("model_file_missing", path)
        return _CACHE[key]
    key = (path, stat.st_size, stat.st_mtime_ns, tuple(expected))
    if key not in _CACHE:
        _CACHE[key] = _load(path, list(expected))
        if isinstance(_CACHE[key], Unavailable):
            log.warning("scorer %s: %s (%s); the rules decide", path, _CACHE[key].reason, _CACHE[key].detail)
    return _CACHE[key]


def _load(path: str, expected: list[str]) -> Scorer | Unavailable:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1  # Spark runs one Python worker per core
    options.inter_op_num_threads = 1
    try:
        session = ort.InferenceSession(path, sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises several types for a bad file
        return Unavailable("model_unreadable", f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
    meta = session.get_modelmeta().custom_metadata_map
    try:
        features = json.loads(meta[FEATURES_KEY])
        labels = tuple(json.loads(meta[LABELS_KEY]))
    except (KeyError, ValueError) as exc:
        return Unavailable("feature_mismatch", f"no readable {FEATURES_KEY}/{LABELS_KEY} metadata ({exc})")
    if features != expected:
        return Unavailable("feature_mismatch", f"the model expects {features}, the strategy gives {expected}")
    if not labels or set(labels) - set(LABELS):
        return Unavailable("feature_mismatch", f"labels {list(labels)} are not among {list(LABELS)}")
    inputs = session.get_inputs()
    width = inputs[0].shape[-1] if inputs and inputs[0].shape else None
    if len(inputs) != 1 or (isinstance(width, int) and width != len(expected)):
        return Unavailable(
            "feature_mismatch", f"input {[(i.name, i.shape) for i in inputs]} is not [N, {len(expected)}]"
        )
    return Scorer(session, inputs[0].name, labels, path)


def score(scorer: Scorer | Unavailable, features: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(label, probability, reason) per row: reason None where the model decided, label and
    probability None/NaN where it did not."""
    n = len(features)
    labels = np.full(n, None, dtype=object)
    probabilities = np.full(n, np.nan)
    if isinstance(scorer, Unavailable):
        return labels, probabilities, np.full(n, scorer.reason, dtype=object)
    values = features.to_numpy(dtype=np.float64)
    complete = np.isfinite(values).all(axis=1)
    reasons = np.where(complete, None, "features_incomplete").astype(object)
    if not complete.any():
        return labels, probabilities, reasons
    try:
        outputs = scorer.session.run(None, {scorer.input_name: values[complete].astype(np.float32)})
        found = np.asarray(outputs[-1], dtype=np.float64)
        if found.shape != (int(complete.sum()), len(scorer.labels)) or not np.isfinite(found).all():
            raise ValueError(
                f"probabilities of shape {found.shape}, expected ({int(complete.sum())}, {len(scorer.labels)})"
            )
    except Exception as exc:  # any failure of the batch: the rule decides all of it
        log.warning(
            "scorer %s: batch of %d rows failed (%s: %s); the rules decide", scorer.path, n, type(exc).__name__, exc
        )
        return labels, probabilities, np.full(n, "scoring_failed", dtype=object)
    best = found.argmax(axis=1)
    labels[complete] = np.array(scorer.labels, dtype=object)[best]
    probabilities[complete] = found[np.arange(len(best)), best]
    return labels, probabilities, reasons
