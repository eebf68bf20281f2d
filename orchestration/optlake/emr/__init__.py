"""EMR Serverless deployment of the Spark jobs: `optlake emr package | submit | watch | logs | cancel`.

config: deploy/emr/emr.yaml read and checked; package: the project archive, the Python environment
archive and the entry point uploaded to S3; jobs: the EMR Serverless API calls (start, watch, logs,
cancel) with retries; entrypoint and runtime: what runs on EMR (``optlake <mode> <args>``).
"""
