"""Collect what optlake logs during a block (its modules log to loggers under `optlake`)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator


class _Collector(logging.Handler):
    def __init__(self, messages: list[str]) -> None:
        super().__init__(logging.DEBUG)
        self.messages = messages

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextlib.contextmanager
def captured_log(name: str = "optlake") -> Iterator[list[str]]:
    """The INFO-and-above messages logged under ``name`` while the block runs."""
    messages: list[str] = []
    logger = logging.getLogger(name)
    handler = _Collector(messages)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
