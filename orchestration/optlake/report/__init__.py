"""`optlake report`: one static HTML page of the warehouse's surfaces, indices, signals, indicators and loads."""
