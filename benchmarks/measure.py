"""Run a command and measure it: wall time, and the peak resident memory of every process it starts.

Peak memory is the kernel's own high-water mark (VmHWM in /proc/<pid>/status) of each process
in the command's process tree (the Python process and the JVM it starts), sampled until it exits.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

SAMPLE_SECONDS = 0.25


@dataclass(frozen=True)
class Measurement:
    seconds: float
    peak_rss_bytes: int  # the largest VmHWM of any single process of the tree
    output: str


def _descendants(root: int) -> list[int]:
    """The process and all its descendants, from the kernel's per-thread children lists."""
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        try:
            for task in Path(f"/proc/{pid}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _hwm_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:  # the process has exited between listing and reading
        return 0
    return 0


def run(cmd: list[str], env: dict[str, str], cwd: Path) -> Measurement:
    """Run `cmd` to completion; raise with its output when it fails."""
    peaks: dict[int, int] = {}
    started = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            for pid in _descendants(proc.pid):
                peaks[pid] = max(peaks.get(pid, 0), _hwm_bytes(pid))
            done.wait(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = proc.communicate()
    seconds = time.monotonic() - started
    done.set()
    sampler.join()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed with exit code {proc.returncode}:\n{output[-4000:]}")
    return Measurement(seconds, max(peaks.values(), default=0), output)


def machine() -> dict[str, object]:
    """What the figures were measured on."""
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown",
    )
    mem_kb = int(
        next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    )
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": round(mem_kb / 2**20, 1),
        "kernel": os.uname().release,
    }
