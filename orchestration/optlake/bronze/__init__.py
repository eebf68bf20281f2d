"""Bronze: vendor CSV files from a landing folder (local or S3) into Iceberg, checked and audited.

Modules, in the order data meets them: ``landing`` (pending files, local or S3), ``file_checks``
(whole-file checks, content hash), ``specs`` / ``spec`` (the datasets: header, column types,
table), ``duplicates`` (the same day delivered twice), ``arrow_engine`` / ``spark_engine`` (parse,
check, write), ``tables`` (DDL, docs from the dbt sources yml), ``audit`` (quarantine and audit
rows), ``report`` (statuses and the summary), ``loader`` (the whole load).
"""

from optlake.bronze.landing import LocalLanding, S3Landing, open_landing
from optlake.bronze.loader import ENGINES, load
from optlake.bronze.report import LoadError, LoadReport

__all__ = ["ENGINES", "LoadError", "LoadReport", "LocalLanding", "S3Landing", "load", "open_landing"]
