"""Plotly figures of the report from the queries' small pandas frames (pure: no Spark)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from optlake.report.queries import DELTAS, Choice

#: One colour per signal, the same in every strategy's subplot.
SIGNAL_COLOURS = {
    "BUY_CALL": "#2ca02c",
    "BUY_PUT": "#d62728",
    "BUY": "#2ca02c",
    "SELL": "#d62728",
    "SELL_IRON_CONDOR": "#9467bd",
    "HOLD": "#7f7f7f",
}
_OTHER_COLOURS = ("#1f77b4", "#ff7f0e", "#8c564b", "#e377c2", "#bcbd22", "#17becf")
_LAYOUT = {"template": "plotly_white", "margin": {"l": 60, "r": 30, "t": 50, "b": 50}}


@dataclass(frozen=True)
class Panel:
    """One chart of the page: its div id, title, source tables and either a figure or what is missing."""

    key: str
    title: str
    source: str
    figure: go.Figure | None = None
    missing: str | None = None


def _points(series: pd.Series) -> list[float | None]:
    """Fractions (0.173) as volatility points (17.3), None for missing values."""
    return [None if pd.isna(v) else round(100 * float(v), 4) for v in series]


def surface_figure(frame: pd.DataFrame, underlying: str) -> go.Figure:
    """The implied-volatility surface: tenor (rows) by call delta (columns), in volatility points."""
    columns = [f"iv_d{d:02d}" for d in DELTAS]
    z = [_points(row) for _, row in frame[columns].iterrows()]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[f"{d}Δ" for d in DELTAS],
            y=[f"{int(t)}d" for t in frame["tenor_days"]],
            colorscale="Viridis",
            colorbar={"title": {"text": "IV (pts)"}},
            hovertemplate="tenor %{y}, call delta %{x}: IV %{z:.2f}<extra></extra>",
        )
    )
    day = frame["trade_date"].iloc[0]
    fig.update_layout(
        title=f"{underlying} implied volatility surface on {day}",
        xaxis_title="call delta (put side on the right)",
        yaxis_title="tenor (calendar days)",
        height=460,
        **_LAYOUT,
    )
    return fig


def term_structure_figure(frame: pd.DataFrame, underlying: str) -> go.Figure:
    """ATM implied volatility by tenor, with the 25-delta risk reversal and butterfly; hollow: extrapolated."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    tenors = [int(t) for t in frame["tenor_days"]]
    in_range = [bool(v) if not pd.isna(v) else False for v in frame["in_range"]]
    fig.add_trace(
        go.Scatter(
            x=tenors,
            y=_points(frame["atm_iv"]),
            name="ATM IV",
            mode="lines+markers",
            marker={"size": 10, "symbol": ["circle" if r else "circle-open" for r in in_range]},
            hovertemplate="%{x} days: ATM IV %{y:.2f}<extra></extra>",
        ),
        secondary_y=False,
    )
    for column, name in (("rr_25", "25Δ risk reversal"), ("bf_25", "25Δ butterfly")):
        fig.add_trace(
            go.Scatter(x=tenors, y=_points(frame[column]), name=name, mode="lines", line={"dash": "dot"}),
            secondary_y=True,
        )
    fig.update_layout(
        title=f"{underlying} ATM term structure on {frame['trade_date'].iloc[0]} (hollow: extrapolated tenor)",
        xaxis_title="tenor (calendar days)",
        height=420,
        **_LAYOUT,
    )
    fig.update_yaxes(title_text="ATM IV (pts)", secondary_y=False)
    fig.update_yaxes(title_text="RR / BF (pts)", secondary_y=True, showgrid=False)
    return fig


def vol_index_figure(frame: pd.DataFrame, underlying: str) -> go.Figure:
    """The 30-day volatility index at every snapshot minute (hover: ok, or extrapolated / flat terms)."""
    fig = go.Figure(
        go.Scatter(
            x=pd.to_datetime(frame["ts_recv"]),
            y=frame["vol_index"].astype(float),
            name="vol index",
            mode="lines+markers",
            marker={"size": 4},
            text=frame["status"] if "status" in frame else None,
            hovertemplate="%{x}: %{y:.2f} (%{text})<extra></extra>",
        )
    )
    fig.update_layout(
        title=f"{underlying} 30-day volatility index", xaxis_title="snapshot (UTC)", yaxis_title="index", **_LAYOUT
    )
    return fig


def _colour(signal: str, others: dict[str, str]) -> str:
    if signal in SIGNAL_COLOURS:
        return SIGNAL_COLOURS[signal]
    return others.setdefault(signal, _OTHER_COLOURS[len(others) % len(_OTHER_COLOURS)])


def signals_figure(frame: pd.DataFrame) -> go.Figure:
    """Signals per day, one subplot per strategy, stacked by signal (one colour per signal)."""
    frame = frame.sort_values(["strategy", "trade_date"])
    strategies = list(dict.fromkeys(frame["strategy"]))
    fig = make_subplots(rows=len(strategies), cols=1, shared_xaxes=True, subplot_titles=strategies)
    others: dict[str, str] = {}
    shown: set[str] = set()
    for row, strategy in enumerate(strategies, start=1):
        own = frame[frame["strategy"] == strategy]
        for signal in sorted(own["signal"].fillna("NULL").unique()):
            part = own[own["signal"].fillna("NULL") == signal]
            fig.add_trace(
                go.Bar(
                    x=[str(d) for d in part["trade_date"]],
                    y=part["signals"].astype(int),
                    name=signal,
                    legendgroup=signal,
                    showlegend=signal not in shown,
                    marker_color=_colour(signal, others),
                    hovertemplate=f"{strategy} %{{x}}: %{{y}} {signal}<extra></extra>",
                ),
                row=row,
                col=1,
            )
            shown.add(signal)
    fig.update_layout(
        title="Signals per strategy per day", barmode="stack", height=max(320, 220 * len(strategies)), **_LAYOUT
    )
    fig.update_xaxes(type="category", categoryorder="category ascending")
    return fig


def indicators_figure(frame: pd.DataFrame, symbol: str) -> go.Figure:
    """Close with SMA 20/50 and Bollinger bands; RSI 14; MACD (12, 26, 9)."""
    fig = make_subplots(
        rows=3,
        cols=1,
        shared_xaxes=True,
        row_heights=[0.55, 0.2, 0.25],
        vertical_spacing=0.05,
        subplot_titles=(f"{symbol} close, SMA 20/50, Bollinger bands", "RSI 14", "MACD"),
    )
    x = [str(d) for d in frame["trade_date"]]
    for column, style in (
        ("bb_upper", {"color": "#aec7e8", "width": 1}),
        ("bb_lower", {"color": "#aec7e8", "width": 1}),
        ("close", {"color": "#1f77b4", "width": 2}),
        ("sma_20", {"color": "#ff7f0e", "width": 1}),
        ("sma_50", {"color": "#2ca02c", "width": 1}),
    ):
        fig.add_trace(go.Scatter(x=x, y=frame[column], name=column, mode="lines", line=style), row=1, col=1)
    fig.add_trace(go.Scatter(x=x, y=frame["rsi_14"], name="rsi_14", mode="lines"), row=2, col=1)
    for level in (30, 70):
        fig.add_hline(y=level, line={"dash": "dot", "color": "#999"}, row=2, col=1)
    fig.add_trace(go.Bar(x=x, y=frame["macd_hist"], name="macd_hist", marker_color="#c7c7c7"), row=3, col=1)
    fig.add_trace(go.Scatter(x=x, y=frame["macd"], name="macd", mode="lines"), row=3, col=1)
    fig.add_trace(go.Scatter(x=x, y=frame["macd_signal"], name="macd_signal", mode="lines"), row=3, col=1)
    fig.update_layout(title=f"{symbol} daily indicators", height=720, **_LAYOUT)
    return fig


def load_health_figure(frame: pd.DataFrame) -> go.Figure:
    """Per trade date: rows loaded, quarantined and of rejected files (log scale: a few bad lines beside
    millions), and below, files loaded and rejected."""
    x = [str(d) for d in frame["trade_date"]]
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        row_heights=[0.65, 0.35],
        vertical_spacing=0.08,
        subplot_titles=("rows (log scale)", "files"),
    )
    for column, name, colour in (
        ("rows_loaded", "rows loaded", "#1f77b4"),
        ("rows_quarantined", "rows quarantined", "#ff7f0e"),
        ("rows_rejected", "rows of rejected files", "#d62728"),
    ):
        fig.add_trace(
            go.Bar(
                x=x,
                y=frame[column].astype(int),
                name=name,
                marker_color=colour,
                hovertemplate=f"%{{x}}: %{{y}} {name}<extra></extra>",
            ),
            row=1,
            col=1,
        )
    loaded = frame["files"].astype(int) - frame["files_rejected"].astype(int)
    for values, name, colour in (
        (loaded, "other files", "#aec7e8"),
        (frame["files_rejected"], "files rejected", "#d62728"),
    ):
        fig.add_trace(
            go.Bar(x=x, y=values.astype(int), name=name, marker_color=colour, legendgroup="files"),
            row=2,
            col=1,
        )
    fig.update_layout(
        title="Bronze load health per trade date (each file's latest load)", barmode="group", height=560, **_LAYOUT
    )
    fig.update_yaxes(type="log", row=1, col=1)
    fig.update_xaxes(type="category", categoryorder="category ascending")
    return fig


def panels(data: dict[str, pd.DataFrame | str], c: Choice) -> list[Panel]:
    """The page's panels, in order, each with its figure or the message of what it lacks."""

    def panel(key: str, title: str, source: str, frame_key: str, draw) -> Panel:
        frame = data.get(frame_key, f"{frame_key} was not queried")
        if isinstance(frame, str):
            return Panel(key, title, source, missing=frame)
        return Panel(key, title, source, figure=draw(frame))

    u, s = c.underlying, c.symbol
    day = f" on {c.day}" if c.day else ""
    out = [
        panel("surface", f"{u} volatility surface{day}", "iv_surface_daily", "surface", lambda f: surface_figure(f, u)),
        panel(
            "term",
            f"{u} ATM term structure{day}",
            "iv_surface_daily",
            "surface",
            lambda f: term_structure_figure(f, u),
        ),
        panel("vol-index", f"{u} volatility index", "vol_index", "vol_index", lambda f: vol_index_figure(f, u)),
        panel("signals", "Signals per strategy per day", "gold_* (active strategies)", "signals", signals_figure),
        panel("indicators", f"{s} indicators", "indicators_daily", "indicators", lambda f: indicators_figure(f, s)),
        panel(
            "load-health",
            "Load health per day",
            "bronze_load_audit, bronze_quarantine",
            "load_health",
            load_health_figure,
        ),
    ]
    signals = data.get("signals")
    if isinstance(signals, pd.DataFrame) and signals.attrs.get("not_built"):
        i = next(i for i, p in enumerate(out) if p.key == "signals")
        out[i] = Panel(
            "signals",
            out[i].title,
            out[i].source + "; not built: " + ", ".join(signals.attrs["not_built"]),
            figure=out[i].figure,
        )
    return out
