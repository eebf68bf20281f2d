"""Strategy logic of the Gold models: pure pandas/numpy functions, one module per strategy, no Spark."""
