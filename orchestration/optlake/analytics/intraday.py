"""The intraday indicator set: per symbol and 5-minute bar, with a session-anchored VWAP."""

from __future__ import annotations

import numpy as np

from optlake.analytics import indicators as ind
from optlake.analytics.bars import IntradayBars
from optlake.analytics.state import IntradayState
from optlake.analytics.technical import TECH_COLUMNS, run_series, technical

#: 5-minute bars in a regular US equity session (09:30-16:00).
BARS_PER_SESSION = 78
#: Annualisation of intraday hv_20: sqrt(252 sessions x 78 bars).
BARS_PER_YEAR = 252 * BARS_PER_SESSION

#: Output columns of ``compute_intraday``, in table order.
INTRADAY_COLUMNS: list[str] = [*TECH_COLUMNS, "vwap"]


def compute_intraday(
    bars: IntradayBars, history: IntradayBars | None = None, state: IntradayState | None = None
) -> tuple[dict[str, np.ndarray], IntradayState]:
    """Intraday indicators of one symbol's new 5-minute ``bars``.

    The technical indicators run over the continuous series of bars (a session boundary is one more bar
    step, as in TA-Lib over the whole series); only ``vwap`` is session-anchored (reset at each new
    ``session`` id). ``history`` / ``state`` follow ``compute_daily``'s rules (at least the last
    ``HISTORY_BARS`` bars, or all of them). Returns ``({column: values}, state after the last bar)``.
    """
    x, p = run_series(bars, history, state)
    if len(bars) == 0:
        return {k: np.empty(0) for k in INTRADAY_COLUMNS}, state or IntradayState()

    cols, tech_fields = technical(x, p, state, BARS_PER_YEAR)
    if p.resume:
        assert state is not None
        carry = ind.VwapCarry(state.session_id, state.vwap_pv, state.vwap_volume)
        vw, vcarry = ind.vwap(bars.high, bars.low, bars.close, bars.volume, bars.session, carry)
    else:
        vw, vcarry = ind.vwap(x.high, x.low, x.close, x.volume, x.session)
        vw = vw[p.start :]
    cols["vwap"] = vw
    session_id = None if vcarry.session is None else int(vcarry.session)
    new_state = IntradayState(
        **tech_fields, session_id=session_id, vwap_pv=vcarry.cum_pv, vwap_volume=vcarry.cum_volume
    )
    return {k: cols[k] for k in INTRADAY_COLUMNS}, new_state
