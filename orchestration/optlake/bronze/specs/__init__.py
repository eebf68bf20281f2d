"""The Bronze datasets. A new vendor format is a new module here with a DatasetSpec, added to SPECS."""

from __future__ import annotations

from optlake.bronze.spec import DatasetSpec
from optlake.bronze.specs import cbbo, ohlcv

SPECS: tuple[DatasetSpec, ...] = (cbbo.SPEC, ohlcv.SPEC)


def spec_for_header(header: str) -> DatasetSpec | None:
    """The dataset whose header is exactly ``header``, else None."""
    return next((s for s in SPECS if s.header == header), None)


def spec_for_name(name: str) -> DatasetSpec | None:
    """The dataset a file name belongs to (its pattern), else None."""
    return next((s for s in SPECS if s.matches_name(name)), None)
