"""Progress output for long Spark work: a background thread that logs task progress."""

from __future__ import annotations

import logging
import threading
import time

from pyspark import SparkContext

log = logging.getLogger(__name__)


class SparkProgress:
    """While active, logs completed/total tasks of running stages every ``interval`` seconds."""

    def __init__(self, sc: SparkContext, label: str, interval: float = 5.0) -> None:
        self._sc = sc
        self._label = label
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._start = 0.0

    def __enter__(self) -> SparkProgress:
        self._start = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=2)

    def _run(self) -> None:
        tracker = self._sc.statusTracker()
        while not self._stop.wait(self._interval):
            done = total = 0
            for stage_id in tracker.getActiveStageIds():
                info = tracker.getStageInfo(stage_id)
                if info:
                    done += info.numCompletedTasks
                    total += info.numTasks
            elapsed = time.monotonic() - self._start
            if total:
                log.info("  %s: %d/%d tasks done, %.0f s", self._label, done, total, elapsed)
            else:
                log.info("  %s: working, %.0f s", self._label, elapsed)
