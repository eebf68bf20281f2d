"""From CSV text to typed Bronze rows, in Spark: the raw schema, value checks and conversions.

Every column is read as a string with an explicit schema (never inferred), then checked with
regular expressions so that each bad line gets a precise reason, and converted exactly:
prices to decimal(19,9), timestamps to microsecond timestamps plus exact epoch nanoseconds.
"""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType

from optlake import bronze_rules as rules
from optlake import cbbo

CORRUPT = "_corrupt_record"

RAW_SCHEMA = StructType(
    [StructField(c, StringType(), True) for c in cbbo.COLUMNS] + [StructField(CORRUPT, StringType(), True)]
)

def _quoted(col: str) -> Column:
    return F.concat(F.lit("'"), F.substring(F.col(col), 1, 60), F.lit("'"))


def reject_reason() -> Column:
    """The first problem of a raw row as text, or null when the row is good."""
    n_fields = F.size(F.split(F.col(CORRUPT), ",", -1))
    checks: list[Column] = [
        F.when(
            F.col(CORRUPT).isNotNull(),
            F.concat(F.lit(f"wrong column count: expected {len(cbbo.COLUMNS)}, found "), n_fields.cast("string")),
        )
    ]
    checks += [F.when(F.col(c).isNull(), F.lit(f"missing {c}")) for c in rules.REQUIRED]
    for c in cbbo.TIMESTAMP_COLUMNS:
        checks.append(
            F.when(
                F.col(c).isNotNull() & ~F.col(c).rlike(rules.TS_PATTERN),
                F.concat(F.lit(f"unparseable timestamp {c}: "), _quoted(c)),
            )
        )
    for c in cbbo.PRICE_COLUMNS:
        checks.append(
            F.when(
                F.col(c).isNotNull() & ~F.col(c).rlike(rules.PRICE_PATTERN),
                F.concat(F.lit(f"non-numeric {c}: "), _quoted(c)),
            )
        )
    for c, (_, largest) in rules.INTEGER_TYPES.items():
        bad = F.col(c).isNotNull() & (
            ~F.col(c).rlike(rules.UINT_PATTERN) | (F.col(c).cast("decimal(20,0)") > F.lit(largest))
        )
        checks.append(F.when(bad, F.concat(F.lit(f"not a non-negative integer in range {c}: "), _quoted(c))))
    return F.coalesce(*checks)


def epoch_ns(col: str) -> Column:
    """Exact nanoseconds since the epoch of an ISO-8601 UTC timestamp string (session time zone UTC)."""
    seconds = F.unix_timestamp(F.substring(F.col(col), 1, 19), "yyyy-MM-dd'T'HH:mm:ss")
    fraction = F.rpad(F.regexp_extract(F.col(col), r"\.(\d{1,9})Z$", 1), 9, "0").cast("bigint")
    return seconds.cast("bigint") * F.lit(1_000_000_000) + fraction


def timestamp_of(col: str) -> Column:
    """A microsecond Spark timestamp of an ISO-8601 UTC string (nanoseconds truncated; see epoch_ns)."""
    return F.timestamp_micros(F.floor(epoch_ns(col) / 1000).cast("bigint"))


def raw_line() -> Column:
    """The source line: as read for malformed rows, rebuilt from the fields for the others."""
    rebuilt = F.concat_ws(",", *[F.coalesce(F.col(c), F.lit("")) for c in cbbo.COLUMNS])
    return F.coalesce(F.col(CORRUPT), rebuilt)


def typed_columns() -> list[Column]:
    """The source columns converted to their Bronze types (only meaningful for good rows)."""
    out: list[Column] = []
    for c in cbbo.COLUMNS:
        if c in cbbo.TIMESTAMP_COLUMNS:
            out.append(timestamp_of(c).alias(c))
            out.append(epoch_ns(c).alias(f"{c}_ns"))
        elif c in cbbo.PRICE_COLUMNS:
            out.append(F.col(c).cast("decimal(19,9)").alias(c))
        elif c in rules.INTEGER_TYPES:
            out.append(F.col(c).cast(rules.INTEGER_TYPES[c][0]).alias(c))
        else:
            out.append(F.col(c))
    return out
