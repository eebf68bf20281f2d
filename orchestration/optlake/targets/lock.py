"""One command at a time on an embedded warehouse.

The embedded Derby metastore admits one process; a second one used to print thousands of lines of
Java stack traces before going on. Commands that open the embedded warehouse first take an
exclusive lock on `<warehouse>/.optlake.lock` (flock: released by the kernel when the process ends,
even on SIGKILL). A second command waits, says once who holds the lock and since when, and gives
up with a clear message after a timeout.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import logging
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)

LOCK_FILE = ".optlake.lock"
DEFAULT_TIMEOUT_S = 600.0


class WarehouseBusy(RuntimeError):
    """Another command held the warehouse for longer than the timeout."""


def holder_text(info: dict) -> str:
    """Who holds the lock, for the user: `optlake load` (pid 123 on host) since 2026-11-22 03:41:57 UTC."""
    if not info:
        return "another process (no details recorded)"
    return (
        f"`{info.get('command', '?')}` (pid {info.get('pid', '?')} on {info.get('host', '?')}) "
        f"since {info.get('since', '?')}"
    )


def _read_holder(fd: int) -> dict:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        return json.loads(os.read(fd, 4096).decode() or "{}")
    except (OSError, ValueError):
        return {}


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


@contextlib.contextmanager
def warehouse_lock(warehouse: Path, command: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> Iterator[None]:
    """Hold the warehouse's lock for the duration of the block; wait up to ``timeout_s`` for it."""
    warehouse.mkdir(parents=True, exist_ok=True)
    path = warehouse / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if not _try_lock(fd):
            holder = holder_text(_read_holder(fd))
            log.warning(
                "waiting for the warehouse %s: %s holds it (waiting up to %.0f s)", warehouse, holder, timeout_s
            )
            deadline = time.monotonic() + timeout_s
            while not _try_lock(fd):
                if time.monotonic() >= deadline:
                    raise WarehouseBusy(
                        f"the warehouse {warehouse} is busy: {holder_text(_read_holder(fd))} still holds it after "
                        f"{timeout_s:.0f} s; nothing was changed by this command. Run it again when the other "
                        f"one has finished, or wait longer with --lock-timeout SECONDS"
                    )
                time.sleep(0.25)
        since = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        info = {"command": command, "pid": os.getpid(), "host": socket.gethostname(), "since": since}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock
