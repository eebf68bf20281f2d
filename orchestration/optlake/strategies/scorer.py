"""The strategies' model scorer: an ONNX model that maps a feature vector to HOLD/BUY/SELL with a
probability, and the reasons the rule decides instead.

Why ONNX rather than a pickled scikit-learn pipeline:
  * loading it executes no code: an ONNX file is a protobuf graph of standard operators, while
    unpickling runs whatever the file says (a model file is then as dangerous as a script);
  * it is independent of the scikit-learn version that trained it (a pickle is tied to the exact
    version's internals; onnxruntime reads files written by any converter of a supported opset);
  * it is portable across runtimes and languages (the same file and the same answers from Python,
    the JVM, C++ ...), and onnxruntime is one small dependency of Spark's Python workers.

A model file must carry, in its ONNX metadata (``metadata_props``):
  optlake_features  JSON list of the feature names it expects, in order (the strategy's FEATURE_COLUMNS)
  optlake_labels    JSON list of its classes, in the order of its probability output (each one of
                    HOLD, BUY, SELL, no repeats)
with one float input [N, n_features] and a probability output [N, n_labels] (the last output: the
second when there are two, as skl2onnx writes a classifier with zipmap off).

``load_scorer(path)`` never raises: it returns a ``Scorer`` or an ``Unavailable`` with the reason
  no_model_configured  path None or empty
  model_file_missing   no file at path
  model_unreadable     onnxruntime cannot load the file (not ONNX, truncated, unsupported)
  feature_mismatch     the metadata is missing or names other features or labels, or the input is not
                       a float tensor of len(FEATURE_COLUMNS) columns, or the last output's width is
                       not the number of labels
and logs a warning once per file version. Results are cached in-process per (path, size, mtime), so
a Spark Python worker loads a file once however many groups it scores; a rewritten file is reloaded.
Each onnxruntime session is single-threaded (Spark already runs one Python worker per core).

``score(scorer, features)`` never raises either: rows with an undefined (NaN or infinite) feature are
not sent to the model (reason features_incomplete); when the model call raises or returns malformed
probabilities (wrong shape, NaN, outside [0, 1]) every row of the batch gets the reason
scoring_failed. The rule decides those rows. A scored row's label is the most probable class and its
confidence that class's probability.
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
    """A loaded model: its onnxruntime session, input name and labels (in probability order)."""

    session: Any  # onnxruntime.InferenceSession
    input_name: str
    labels: tuple[str, ...]
    path: str


#: (path, size, mtime_ns, expected features) -> the load's result; one entry per path (the newest).
_CACHE: dict[tuple, Scorer | Unavailable] = {}


def load_scorer(path: str | os.PathLike[str] | None, expected: Sequence[str] | None = None) -> Scorer | Unavailable:
    """The scorer of the model file at ``path``, or why there is none (never raises).

    ``expected``: the feature names the caller will send, in order (default: the RSI/Bollinger
    strategy's FEATURE_COLUMNS). Cached per path, size and modification time.
    """
    if expected is None:
        from optlake.strategies.rsi_bollinger import FEATURE_COLUMNS as expected
    expected = tuple(expected)
    if path is None or not str(path).strip():
        key: tuple = (None, None, None, expected)
        if key not in _CACHE:
            log.info("no scorer configured; the rules decide")
            _CACHE[key] = Unavailable("no_model_configured")
        return _CACHE[key]
    path = str(path)
    try:
        stat = os.stat(path)
        key = (path, stat.st_size, stat.st_mtime_ns, expected)
    except (OSError, ValueError) as exc:  # ValueError: a path with a NUL byte
        key = (path, None, None, expected)
        if key not in _CACHE:
            _remember(
                key, Unavailable("model_file_missing", f"{type(exc).__name__}: {getattr(exc, 'strerror', None) or exc}")
            )
        return _CACHE[key]
    if key not in _CACHE:
        try:
            found = _load(path, list(expected))
        except Exception as exc:  # never raise: anything unforeseen is an unreadable model
            found = Unavailable("model_unreadable", f"{type(exc).__name__}: {exc}")
        _remember(key, found)
    return _CACHE[key]


def _remember(key: tuple, found: Scorer | Unavailable) -> None:
    """Cache ``found`` as the path's only entry (logging why it is unavailable, once per file version)."""
    for old in [k for k in _CACHE if k[0] == key[0] and k[3] == key[3]]:
        del _CACHE[old]
    _CACHE[key] = found
    if isinstance(found, Unavailable):
        log.warning("scorer %s: %s (%s); the rules decide", key[0], found.reason, found.detail)
    else:
        log.info("scorer %s: loaded, labels %s", key[0], list(found.labels))


def _load(path: str, expected: list[str]) -> Scorer | Unavailable:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1  # Spark runs one Python worker per core
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    try:
        session = ort.InferenceSession(path, sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises several types for a bad file
        first_line = (str(exc).splitlines() or [""])[0][:200]
        return Unavailable("model_unreadable", f"{type(exc).__name__}: {first_line}")
    meta = session.get_modelmeta().custom_metadata_map
    try:
        features = json.loads(meta[FEATURES_KEY])
        labels = tuple(json.loads(meta[LABELS_KEY]))
    except (KeyError, TypeError, ValueError) as exc:
        return Unavailable("feature_mismatch", f"no readable {FEATURES_KEY}/{LABELS_KEY} metadata ({exc!r})")
    if features != expected:
        return Unavailable("feature_mismatch", f"the model expects {features}, the strategy gives {expected}")
    if not labels or set(labels) - set(LABELS) or len(set(labels)) != len(labels):
        return Unavailable("feature_mismatch", f"labels {list(labels)} are not distinct ones of {list(LABELS)}")
    inputs = session.get_inputs()
    width = inputs[0].shape[-1] if inputs and inputs[0].shape else None
    if len(inputs) != 1 or inputs[0].type != "tensor(float)" or (isinstance(width, int) and width != len(expected)):
        found = [(i.name, i.type, i.shape) for i in inputs]
        return Unavailable("feature_mismatch", f"input {found} is not one tensor(float) [N, {len(expected)}]")
    outputs = session.get_outputs()
    n_out = outputs[-1].shape[-1] if outputs and outputs[-1].shape else None
    if isinstance(n_out, int) and n_out != len(labels):
        return Unavailable("feature_mismatch", f"{n_out} probabilities per row for {len(labels)} labels")
    return Scorer(session, inputs[0].name, labels, path)


def score(scorer: Scorer | Unavailable | None, features: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(label, probability, reason) per row of ``features`` (the FEATURE_COLUMNS, in order); never raises.

    ``reason`` is None where the model decided; elsewhere the label is None and the probability NaN.
    ``scorer`` None counts as no_model_configured.
    """
    n = len(features)
    labels = np.full(n, None, dtype=object)
    probabilities = np.full(n, np.nan)
    if scorer is None:
        scorer = Unavailable("no_model_configured")
    if isinstance(scorer, Unavailable):
        return labels, probabilities, np.full(n, scorer.reason, dtype=object)
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            values = features.to_numpy(dtype=np.float64).astype(np.float32)
        complete = np.isfinite(values).all(axis=1)  # a value beyond float32's range is undefined too
        reasons = np.where(complete, None, "features_incomplete").astype(object)
        if not complete.any():
            return labels, probabilities, reasons
        expected = (int(complete.sum()), len(scorer.labels))
        outputs = scorer.session.run(None, {scorer.input_name: values[complete]})
        found = np.asarray(outputs[-1], dtype=np.float64)
        if found.shape != expected:
            raise ValueError(f"probabilities of shape {found.shape}, expected {expected}")
        if not (np.isfinite(found).all() and (found >= -1e-6).all() and (found <= 1 + 1e-6).all()):
            raise ValueError("probabilities NaN, infinite or outside [0, 1]")
        best = found.argmax(axis=1)
        labels[complete] = np.array(scorer.labels, dtype=object)[best]
        probabilities[complete] = np.clip(found[np.arange(len(best)), best], 0.0, 1.0)
    except Exception as exc:  # any failure of the batch: the rule decides all of it
        log.warning(
            "scorer %s: batch of %d rows failed (%s: %s); the rules decide",
            getattr(scorer, "path", scorer),
            n,
            type(exc).__name__,
            str(exc)[:300],
        )
        return np.full(n, None, dtype=object), np.full(n, np.nan), np.full(n, "scoring_failed", dtype=object)
    return labels, probabilities, reasons
