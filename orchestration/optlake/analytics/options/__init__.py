"""Option analytics: Black-76 prices and greeks, implied volatility, put-call parity forwards,
the Cboe-style volatility index and the smoothed volatility surface. Pure numpy, no Spark."""
