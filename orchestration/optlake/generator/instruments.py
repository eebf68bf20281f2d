"""The instruments of the synthetic market bars, as data (the source of ``seeds/instruments.csv``).

Each ``Instrument`` says what it is (``asset_class``: equity, etf, index, crypto, yield), where
its bars come from (``dataset``: ``xnas-itch`` for equities, ETFs and indices, ``coinbase`` for
crypto, ``treasury`` for yields), when it trades (``session``: ``regular`` = 09:30-16:00 New York
on NYSE trading days, ``24x7`` = every minute of every UTC calendar day, ``daily`` = one daily bar
per trading day) and the parameters of the correlated model in ``market`` and ``yields``:

- ``start``: price (yields: percent) at the anchor, the start day's 00:00 UTC;
- ``vol``: annualised volatility of log returns (regular: 252 trading days; crypto: 365
  calendar days; yields: absolute, in percentage points per sqrt(year));
- ``beta``: beta of the log returns to SPX's (the market factor);
- ``parent``: a tracker (SPY, QQQ, IWM) is its parent index divided by a fixed ratio
  (``parent start / start``) times ``exp(e)``, ``e`` an independent level noise of
  ``tracking_bp`` basis points at each minute; it has the parent's beta and volatility;
- ``crypto_loading``: correlation of a coin's idiosyncratic part with the common crypto factor;
- ``missing_rate``: share of a liquid instrument's minutes without a bar (no trade that minute);
- ``volume``: median volume of a one-minute bar (shares or coins); 0 for indices and yields,
  which are computed or quoted, not traded.

``seed_rows()`` gives the table another engineer writes to ``seeds/instruments.csv``.
"""

from __future__ import annotations

from dataclasses import dataclass

from optlake.generator.ids import instrument_id

#: Bar datasets and their (fixed, plausible) Databento publisher ids; XNAS.ITCH is publisher 2.
PUBLISHERS: dict[str, int] = {"xnas-itch": 2, "coinbase": 101, "treasury": 102}
ASSET_CLASSES = ("equity", "etf", "index", "crypto", "yield")
SESSIONS = ("regular", "24x7", "daily")


@dataclass(frozen=True)
class Instrument:
    symbol: str
    name: str
    asset_class: str  # equity, etf, index, crypto, yield
    session: str  # regular, 24x7, daily
    start: float
    vol: float
    beta: float = 0.0
    tick: float = 0.01
    parent: str | None = None
    tracking_bp: float = 0.0
    crypto_loading: float = 0.0
    missing_rate: float = 0.0
    volume: float = 0.0
    currency: str = "USD"

    @property
    def dataset(self) -> str:
        return {"crypto": "coinbase", "yield": "treasury"}.get(self.asset_class, "xnas-itch")

    @property
    def publisher_id(self) -> int:
        return PUBLISHERS[self.dataset]

    @property
    def instrument_id(self) -> int:
        return instrument_id(self.symbol)


def _stock(
    symbol: str, name: str, start: float, vol: float, beta: float, volume: float, missing: float = 0.0
) -> Instrument:
    return Instrument(symbol, name, "equity", "regular", start, vol, beta, missing_rate=missing, volume=volume)


def _index(symbol: str, name: str, start: float, vol: float, beta: float) -> Instrument:
    return Instrument(symbol, name, "index", "regular", start, vol, beta)  # computed, not traded: volume 0


def _tracker(symbol: str, name: str, start: float, parent: str, tracking_bp: float, volume: float) -> Instrument:
    return Instrument(symbol, name, "etf", "regular", start, 0.0, parent=parent, tracking_bp=tracking_bp, volume=volume)


def _coin(
    symbol: str, name: str, start: float, vol: float, beta: float, loading: float, tick: float, **kw: float
) -> Instrument:
    return Instrument(symbol, name, "crypto", "24x7", start, vol, beta, tick, crypto_loading=loading, **kw)


def _yield(symbol: str, name: str, start: float, vol: float) -> Instrument:
    return Instrument(symbol, name, "yield", "daily", start, vol, tick=0.001)


# SPX is the market factor (beta 1 by definition); VIX's beta is negative (see market.VIX_*).
INSTRUMENTS: tuple[Instrument, ...] = (
    _index("SPX", "S&P 500 Index", 6000.0, 0.13, 1.0),
    _index("NDX", "Nasdaq-100 Index", 21500.0, 0.17, 1.2),
    _index("RUT", "Russell 2000 Index", 2300.0, 0.20, 1.2),
    _index("VIX", "Cboe Volatility Index", 16.0, 0.90, -5.2),
    _tracker("SPY", "SPDR S&P 500 ETF Trust", 600.0, "SPX", 0.2, 110_000),
    _tracker("QQQ", "Invesco QQQ Trust", 520.0, "NDX", 0.3, 70_000),
    _tracker("IWM", "iShares Russell 2000 ETF", 225.0, "RUT", 0.5, 60_000),
    Instrument(
        "DIA",
        "SPDR Dow Jones Industrial Average ETF",
        "etf",
        "regular",
        445.0,
        0.12,
        0.85,
        missing_rate=0.01,
        volume=5_000,
    ),
    _stock("AAPL", "Apple Inc.", 230.0, 0.24, 1.1, 120_000),
    _stock("MSFT", "Microsoft Corp.", 440.0, 0.22, 1.05, 50_000),
    _stock("AMZN", "Amazon.com Inc.", 235.0, 0.30, 1.25, 90_000),
    _stock("TSLA", "Tesla Inc.", 400.0, 0.55, 1.9, 230_000),
    _stock("NVDA", "NVIDIA Corp.", 130.0, 0.45, 1.9, 600_000),
    _stock("JPM", "JPMorgan Chase & Co.", 260.0, 0.22, 1.0, 20_000, missing=0.002),
    _stock("XOM", "Exxon Mobil Corp.", 108.0, 0.24, 0.6, 30_000, missing=0.005),
    _stock("META", "Meta Platforms Inc.", 660.0, 0.33, 1.3, 30_000),
    _stock("GOOGL", "Alphabet Inc. Class A", 195.0, 0.28, 1.1, 60_000),
    _stock("NFLX", "Netflix Inc.", 980.0, 0.32, 1.1, 8_000, missing=0.005),
    _stock("F", "Ford Motor Co.", 10.0, 0.30, 1.1, 150_000),
    # crypto betas: daily correlation with SPX ~0.2-0.25 (one-minute, in the US session: ~0.45)
    _coin("BTC-USD", "Bitcoin", 102_000.0, 0.55, 0.95, 0.80, 0.01, volume=8),
    _coin("ETH-USD", "Ether", 3200.0, 0.70, 1.25, 0.80, 0.01, volume=120),
    _coin("SOL-USD", "Solana", 240.0, 0.90, 1.5, 0.70, 0.01, missing_rate=0.01, volume=900),
    _coin("ADA-USD", "Cardano", 0.95, 0.85, 1.4, 0.70, 0.0001, missing_rate=0.03, volume=150_000),
    _coin("XRP-USD", "XRP", 3.05, 0.95, 1.5, 0.65, 0.0001, missing_rate=0.02, volume=200_000),
    _yield("^IRX", "13-week Treasury bill yield", 4.30, 0.40),
    _yield("^FVX", "5-year Treasury note yield", 4.40, 0.95),
    _yield("^TNX", "10-year Treasury note yield", 4.60, 0.90),
    _yield("^TYX", "30-year Treasury bond yield", 4.80, 0.85),
)

SEED_COLUMNS = (
    "symbol",
    "name",
    "asset_class",
    "currency",
    "session",
    "dataset",
    "publisher_id",
    "instrument_id",
    "tick_size",
    "parent",
)


def by_symbol(symbol: str) -> Instrument:
    """The instrument of a symbol (KeyError-like StopIteration avoided: raises ValueError)."""
    for instrument in INSTRUMENTS:
        if instrument.symbol == symbol:
            return instrument
    raise ValueError(f"unknown instrument {symbol!r}")


def seed_rows() -> list[dict[str, str]]:
    """One row per instrument with ``SEED_COLUMNS`` as text, in ``INSTRUMENTS`` order."""
    return [
        {
            "symbol": i.symbol,
            "name": i.name,
            "asset_class": i.asset_class,
            "currency": i.currency,
            "session": i.session,
            "dataset": i.dataset,
            "publisher_id": str(i.publisher_id),
            "instrument_id": str(i.instrument_id),
            "tick_size": f"{i.tick:g}",
            "parent": i.parent or "",
        }
        for i in INSTRUMENTS
    ]
