"""Progress output for long Spark work: a background thread that reports task progress."""

from __future__ import annotations

import threading
import time
from typing import Callable

from pyspark import SparkContext


class SparkProgress:
    """While active, prints completed/total tasks of running stages every ``interval`` seconds."""

    def __init__(self, sc: SparkContext, say: Callable[[str], None], label: str, interval: float = 5.0) -> None:
        self._sc = sc
        self._say = say
        self._label = label
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._start = 0.0

    def __enter__(self) -> "SparkProgress":
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
                self._say(f"  {self._label}: {done}/{total} tasks done, {elapsed:.0f} s")
            else:
                self._say(f"  {self._label}: working, {elapsed:.0f} s")
