"""Streaming ingest: market messages (JSON lines) -> Bronze bars with Spark Structured Streaming.

``messages`` (parse and validate one line), ``windows`` (one micro-batch: watermark, lateness, counts),
``generator`` (reproducible messages for tests and the demo), ``stream`` (the Spark edge: file source,
foreachBatch sink into Iceberg), ``bridge`` (Kinesis and Kafka -> landing files), ``cli``.
"""
