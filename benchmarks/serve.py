"""`make bench-serve`: `optlake serve` under 50 concurrent HTTP clients, p50/p99 latency and requests/s.

    python benchmarks/serve.py [--warehouse DIR] [--clients 50] [--seconds 20] [--out FILE]

Warehouse: --warehouse, else $OPTLAKE_WAREHOUSE or ./warehouse (what `make demo` builds) when it has the
served tables, else benchmarks/data/serve-warehouse (built once: `optlake generate` 3 days of 100,000 quotes
with bars and 210 days of daily history, then `optlake daily`; reused after). The server is a real
`optlake serve` subprocess; each client is an asyncio task with its own httpx.AsyncClient (one keep-alive
connection) in this process. Two phases: `users` (the target: each client thinks a random time, exponential with
mean --think-ms, between requests) and `saturation` (no think time: a closed loop, the most requests/s the
machine gives). The mix: latest signals of a symbol, signals of a symbol on a day, 3 months of daily
indicators, a day of 5m indicators, surface, term structure, a day of the vol index.
Writes benchmarks/results/<date>-serve.json and prints the tables quoted in the README.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np

import measure
from optlake.serving.catalog import LocalLocator
from optlake.serving.tables import read_snapshot
from optlake.settings import PROJECT_DIR, Settings

OPTLAKE = [sys.executable, "-m", "optlake.cli"]
NEEDED = ("gold_laymanspystrategy", "gold_rsibollingerstrategy", "indicators_daily", "iv_surface_daily", "vol_index")


def say(text: str) -> None:
    print(f"[bench-serve] {text}", flush=True)


def has_tables(warehouse: Path, schema: str) -> bool:
    locator = LocalLocator(warehouse, schema)
    return all(locator.locate(t) for t in NEEDED)


def build_warehouse(warehouse: Path, schema: str) -> None:
    landing = warehouse.parent / "serve-landing"
    common = [*OPTLAKE, "--warehouse", str(warehouse), "--schema", schema]
    say(f"building {warehouse} (generate + optlake daily, a few minutes; reused next time)")
    subprocess.run(
        [
            *common,
            "generate",
            "--days",
            "3",
            "--rows-per-day",
            "100000",
            "--sets",
            "options,bars",
            "--history-days",
            "210",
            "--out",
            str(landing),
        ],
        check=True,
    )
    subprocess.run([*common, "daily", str(landing)], check=True)


def choose_warehouse(args: argparse.Namespace) -> Path:
    if args.warehouse:
        return Path(args.warehouse).resolve()
    default = Settings.from_env().warehouse
    if has_tables(default, args.schema):
        return default
    built = PROJECT_DIR / "benchmarks" / "data" / "serve-warehouse"
    if not has_tables(built, args.schema):
        build_warehouse(built, args.schema)
    return built


def keys(warehouse: Path, schema: str) -> dict[str, list]:
    """Symbols, underlyings and days that exist, read from the tables (as users would ask for them)."""
    locator = LocalLocator(warehouse, schema)

    def column(table: str, *names: str) -> list[tuple]:
        location = locator.locate(table)
        if location is None:
            return []
        _, data = read_snapshot(location)
        return sorted(set(zip(*(data.column(n).to_pylist() for n in names), strict=True)))

    return {
        "laymanspy": column("gold_laymanspystrategy", "underlying", "trade_date"),
        "rsibollinger": column("gold_rsibollingerstrategy", "symbol", "trade_date"),
        "daily": column("indicators_daily", "symbol", "trade_date"),
        "intraday": column("indicators_intraday", "symbol", "session_date"),
        "surface": column("iv_surface_daily", "underlying", "trade_date"),
        "vol": column("vol_index", "underlying", "trade_date"),
    }


def request_mix(k: dict[str, list], rng: random.Random) -> list[tuple[str, str, dict]]:
    """(endpoint name, path, params) for many requests, in the mix's proportions."""
    out: list[tuple[str, str, dict]] = []
    for _ in range(20_000):
        pick = rng.random()
        if pick < 0.20 and k["laymanspy"]:
            sym, _ = rng.choice(k["laymanspy"])
            out.append(("signals latest", "/signals/LaymanSPY", {"symbol": sym, "limit": 50}))
        elif pick < 0.35 and k["rsibollinger"]:
            sym, day = rng.choice(k["rsibollinger"])
            out.append(("signals of a day", "/signals/RSIBollinger", {"symbol": sym, "day": str(day), "limit": 100}))
        elif pick < 0.55 and k["daily"]:
            sym, day = rng.choice(k["daily"])
            start = day - dt.timedelta(days=91)
            out.append(("indicators daily", f"/indicators/{sym}", {"start": str(start), "end": str(day)}))
        elif pick < 0.65 and k["intraday"]:
            sym, day = rng.choice(k["intraday"])
            out.append(("indicators 5m", f"/indicators/{sym}", {"frequency": "5m", "start": str(day), "end": str(day)}))
        elif pick < 0.77 and k["surface"]:
            und, day = rng.choice(k["surface"])
            out.append(("surface", f"/surface/{und}", {"day": str(day)}))
        elif pick < 0.89 and k["surface"]:
            und, day = rng.choice(k["surface"])
            out.append(("term structure", f"/term-structure/{und}", {"day": str(day)}))
        elif k["vol"]:
            und, day = rng.choice(k["vol"])
            out.append(("vol index", "/vol-index", {"underlying": und, "start": str(day), "end": str(day)}))
    return out


async def run_clients(url: str, mix: list, clients: int, seconds: float, warmup: float, think: float) -> dict:
    """``clients`` users, each its own httpx.AsyncClient (one keep-alive connection), sending the mix's next
    request after a random think time (exponential, mean ``think`` seconds; 0: at once, a closed loop)."""
    latencies: dict[str, list[float]] = {}
    statuses: dict[int, int] = {}
    sent = [0]
    counter = iter(range(10**9))
    rng = random.Random(11)
    started = time.perf_counter()
    measure_from, stop_at = started + warmup, started + warmup + seconds

    async def one_client() -> None:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            while (now := time.perf_counter()) < stop_at:
                name, path, params = mix[next(counter) % len(mix)]
                response = await client.get(path, params=params)
                sent[0] += 1
                took = time.perf_counter() - now
                if now >= measure_from:
                    latencies.setdefault(name, []).append(took)
                    statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                if think:
                    await asyncio.sleep(rng.expovariate(1 / think))

    await asyncio.gather(*(one_client() for _ in range(clients)))
    return {"latencies": latencies, "statuses": statuses, "sent": sent[0]}


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def phase(url: str, mix: list, args: argparse.Namespace, think: float, server_pid: int) -> dict:
    cpu_before = cpu_seconds(server_pid)
    got = asyncio.run(run_clients(url, mix, args.clients, args.seconds, args.warmup, think))
    cpu = cpu_seconds(server_pid) - cpu_before
    every = [x for v in got["latencies"].values() for x in v]
    return {
        "clients": args.clients,
        "think_ms_mean": round(think * 1000),
        "seconds": args.seconds,
        "statuses": {str(k): v for k, v in sorted(got["statuses"].items())},
        "requests_per_second": round(len(every) / args.seconds),
        # the server's CPU per request over the phase (warm-up included in both counts): independent of how
        # busy the machine is, unlike the latencies
        "server_cpu_ms_per_request": round(1000 * cpu / max(1, got["sent"]), 3),
        "overall": percentiles(every),
        "endpoints": {name: percentiles(v) for name, v in sorted(got["latencies"].items())},
    }


def start_server(warehouse: Path, schema: str, port: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "OPTLAKE_TARGET": "local"}
    command = [*OPTLAKE, "--warehouse", str(warehouse), "--schema", schema, "serve", "--port", str(port)]
    with log.open("w") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {log.read_text()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.5)
    proc.terminate()
    raise SystemExit(f"server did not start: {log.read_text()}")


def percentiles(values: list[float]) -> dict[str, float]:
    ms = np.asarray(values) * 1000
    return {
        "requests": int(ms.size),
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p99_ms": round(float(np.percentile(ms, 99)), 2),
        "max_ms": round(float(ms.max()), 2),
    }


def report(result: dict) -> str:
    m = result["machine"]
    lines = [f"Machine: {m['cpus']} cores ({m['cpu_model']}), {m['memory_gib']} GiB; server and clients on it."]
    for label, ph in result["phases"].items():
        lines += [
            "",
            f"{label}: {ph['clients']} clients, think time {ph['think_ms_mean']} ms (mean), {ph['seconds']:.0f} s: "
            f"{ph['requests_per_second']:,} requests/s, statuses {ph['statuses']}, server CPU "
            f"{ph['server_cpu_ms_per_request']} ms per request",
            "",
            "| endpoint | requests | p50 ms | p99 ms | max ms |",
            "|---|---:|---:|---:|---:|",
        ]
        for name, v in [*ph["endpoints"].items(), ("all", ph["overall"])]:
            lines.append(f"| {name} | {v['requests']:,} | {v['p50_ms']} | {v['p99_ms']} | {v['max_ms']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", help="warehouse to serve (default: see the module's docstring)")
    parser.add_argument("--schema", default=os.environ.get("OPTLAKE_SCHEMA", "trading_db"))
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds per phase (default 20)")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--think-ms", type=float, default=200.0, help="users' mean think time (default 200)")
    parser.add_argument("--port", type=int, default=0, help="server port (default: a free one)")
    parser.add_argument("--out", type=Path, help="result JSON (default benchmarks/results/<date>-serve.json)")
    args = parser.parse_args(argv)

    load_at_start = [round(x, 2) for x in os.getloadavg()]
    warehouse = choose_warehouse(args)
    say(f"warehouse {warehouse}, schema {args.schema}")
    rng = random.Random(7)
    mix = request_mix(keys(warehouse, args.schema), rng)
    port = args.port or measure_free_port()
    log = Path("/tmp") / f"optlake-bench-serve-{port}.log"
    server = start_server(warehouse, args.schema, port, log)
    url = f"http://127.0.0.1:{port}"
    try:
        health = httpx.get(f"{url}/health").json()
        say(
            f"users: {args.clients} clients, think {args.think_ms:.0f} ms, {args.seconds:.0f} s after {args.warmup:.0f} s"
        )
        users = phase(url, mix, args, args.think_ms / 1000, server.pid)
        say(f"saturation: {args.clients} clients, no think time, {args.seconds:.0f} s after {args.warmup:.0f} s")
        saturation = phase(url, mix, args, 0.0, server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    result = {
        "date": dt.date.today().isoformat(),
        "machine": measure.machine(),
        "load_average_at_start": load_at_start,
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "warehouse": str(warehouse),
        "table_rows": {n: t["rows"] for n, t in health["tables"].items()},
        "phases": {"users": users, "saturation": saturation},
    }
    result["target_p99_under_50_ms"] = users["overall"]["p99_ms"] < 50
    out = args.out or PROJECT_DIR / "benchmarks" / "results" / f"{result['date']}-serve.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(report(result))
    print(f"\nusers' p99 under 50 ms: {'yes' if result['target_p99_under_50_ms'] else 'NO'}")
    print(f"\nwritten to {out}")
    return 0


def measure_free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


if __name__ == "__main__":
    sys.exit(main())
