"""Gold: which strategy signals to recompute (changes.py, pure) and the Spark side of a run (runs.py)."""
