"""Prefect flows of the lakehouse: ``daily``, ``backfill``, ``analyze_symbol`` and ``analyze_symbols``.

They call the same jobs as the `optlake` command (``optlake.bronze.load``, ``optlake.jobs``) in one
process: tasks are threads sharing one Spark session (the embedded catalog admits one process), Bronze
loads and dbt invocations each run one at a time (``flows.common``). Each run writes a Markdown
artifact (``flows.artifacts``). Modules: ``plans`` (batches, maintenance days: pure), ``artifacts``
(the Markdown: pure), ``common``, ``daily``, ``backfill``, ``symbols``.
"""
