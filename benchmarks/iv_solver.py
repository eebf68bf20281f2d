"""Throughput of the implied-volatility solver (optlake.analytics.options.implied_vol) on one core.

One million mixed options, as a day of quotes mixes them: forwards 10..5000, strikes 0.5..1.5 x F,
expiries uniform from one minute to two years, volatilities 5%..200%, calls and puts, rates 0..5%;
prices from ``black76.price``. The process is pinned to one CPU while it measures (the solver is
numpy ufuncs and scipy.special, which use no thread pool, so this is the same as OMP_NUM_THREADS=1);
``implied_vol`` runs ``repeats`` times on the same arrays and the median is kept.

    python benchmarks/iv_solver.py [--n 1000000] [--repeats 5] [--out FILE]

``measure(n, repeats)`` returns the same figures as a dict (``ivs_per_second``, ``median_seconds``, ...).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from optlake.analytics.options import black76
from optlake.analytics.options.implied_vol import OK, implied_vol

MINUTE = 1.0 / 525_600
SEED = 20250128


def mixed_options(n: int, seed: int = SEED) -> dict[str, np.ndarray]:
    """n options with their true volatility and Black-76 price (module docstring)."""
    rng = np.random.default_rng(seed)
    forward = np.exp(rng.uniform(np.log(10.0), np.log(5000.0), n))
    years = rng.uniform(MINUTE, 2.0, n)
    options = {
        "forward": forward,
        "strike": forward * rng.uniform(0.5, 1.5, n),
        "years": years,
        "vol": rng.uniform(0.05, 2.0, n),
        "is_call": rng.random(n) < 0.5,
        "discount": np.exp(-rng.uniform(0.0, 0.05, n) * years),
    }
    options["price"] = black76.price(
        *(options[k] for k in ("forward", "strike", "years", "vol", "is_call", "discount"))
    )
    return options


@contextmanager
def one_cpu():
    """Pin this process to a single CPU for the duration (where the OS allows it)."""
    if not hasattr(os, "sched_getaffinity"):
        yield None
        return
    before = os.sched_getaffinity(0)
    cpu = min(before)
    os.sched_setaffinity(0, {cpu})
    try:
        yield cpu
    finally:
        os.sched_setaffinity(0, before)


def measure(n: int = 1_000_000, repeats: int = 5) -> dict:
    """Median seconds and IVs per second of ``implied_vol`` on n mixed options, one core."""
    o = mixed_options(n)
    args = (o["price"], o["forward"], o["strike"], o["years"], o["discount"], o["is_call"])
    seconds = []
    with one_cpu() as cpu:
        implied_vol(*args)  # warm-up (imports, first-touch allocations)
        for _ in range(repeats):
            started = time.perf_counter()
            iv, status = implied_vol(*args)
            seconds.append(time.perf_counter() - started)
    median = statistics.median(seconds)
    codes, counts = np.unique(status, return_counts=True)
    ok = status == OK
    return {
        "n": n,
        "repeats": repeats,
        "cpu": cpu,
        "seconds": [round(s, 4) for s in seconds],
        "median_seconds": round(median, 4),
        "ivs_per_second": round(n / median),
        "statuses": {str(c): int(k) for c, k in zip(codes, counts, strict=True)},
        # the solved volatilities against the generating ones (deep ITM quotes are limited by their price's rounding)
        "median_abs_vol_error": float(np.median(np.abs(iv[ok] - o["vol"][ok]))),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, help="also write the result as JSON here")
    args = parser.parse_args(argv)
    result = measure(args.n, args.repeats)
    print(
        f"implied_vol: {result['n']:,} options on one core (cpu {result['cpu']}), median of {result['repeats']}: "
        f"{result['median_seconds']} s = {result['ivs_per_second']:,} IVs/s"
    )
    print(f"runs (s): {result['seconds']}  statuses: {result['statuses']}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n")
        print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
