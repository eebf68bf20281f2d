"""Where a table's current Iceberg metadata file is, per target, without a JVM.

`optlake serve` reads Iceberg with PyIceberg's StaticTable, which needs the exact metadata file of the
current snapshot: the catalog's `metadata_location`. One small interface, `MetadataLocator`, answers it:

- local: Spark's embedded Derby metastore is held by the Spark process that uses the warehouse (one JVM at a
  time, no Python driver), so the local locator reads the table folder instead: the newest
  `NNNNN-<uuid>.metadata.json` of `<warehouse>/<schema>.db/<table>/metadata/` that is a valid metadata file
  whose current snapshot's manifest list exists (see `pick_metadata`).
- thrift: the PostgreSQL Hive metastore's TABLE_PARAMS `metadata_location` (asyncpg, in requirements.lock).
- athena: AWS Glue `get_table` -> Table.Parameters.metadata_location (boto3).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

from optlake.settings import Settings

log = logging.getLogger(__name__)

#: A Hive-catalog commit writes `<version>-<uuid>.metadata.json` (version zero-padded to 5 digits).
METADATA_NAME = re.compile(r"^(\d+)-[0-9a-fA-F-]+\.metadata\.json$")


class MetadataLocator(Protocol):
    """The current metadata file of a table, or None when the table does not exist."""

    def locate(self, table: str) -> str | None: ...


@dataclass(frozen=True, order=True)
class Candidate:
    """One metadata file of a table folder: ordered by modification time, then version."""

    mtime_ns: int
    version: int
    path: str


def candidates(names: Iterable[tuple[str, int]], folder: str) -> list[Candidate]:
    """The metadata files among (file name, mtime_ns) of ``folder``, newest first."""
    found = []
    for name, mtime_ns in names:
        match = METADATA_NAME.match(name)
        if match:
            found.append(Candidate(mtime_ns, int(match.group(1)), os.path.join(folder, name)))
    return sorted(found, reverse=True)


def local_path(location: str) -> str:
    """A `file:` URI (as Iceberg writes them: file:/abs or file:///abs) or a plain path, as a path."""
    parsed = urlparse(location)
    return parsed.path if parsed.scheme == "file" else location


def metadata_is_complete(text: str, exists: Callable[[str], bool]) -> bool:
    """Whether a metadata file's JSON is whole and its current snapshot's manifest list exists.

    A commit that failed cleanly deletes its manifest list with its metadata file; a file cut short, or one
    whose snapshot files are gone, is not a committed table state the reader can serve.
    """
    try:
        meta = json.loads(text)
    except ValueError:
        return False
    if not isinstance(meta, dict) or "format-version" not in meta or "location" not in meta:
        return False
    current = meta.get("current-snapshot-id")
    if current in (None, -1):
        return True
    for snapshot in meta.get("snapshots", []):
        if snapshot.get("snapshot-id") == current:
            manifest_list = snapshot.get("manifest-list")
            return bool(manifest_list) and exists(local_path(manifest_list))
    return False


def pick_metadata(found: list[Candidate], complete: Callable[[str], bool]) -> str | None:
    """The newest complete metadata file among ``found`` (newest first), or None.

    Newest by modification time first, then by version: a table dropped and created again at the same location
    (Iceberg's Hive catalog drops without purging) restarts at version 0 while the old files stay, so the highest
    version alone could be a dropped table's. A file that is not complete (see metadata_is_complete) is skipped.
    Residual risk, documented in the README: a commit whose metadata file was written but whose metastore update
    then failed without cleaning up (a killed writer, an unknown commit state) is served until the next commit
    replaces it.
    """
    for candidate in found:
        if complete(candidate.path):
            return candidate.path
        log.warning("skipping incomplete metadata file %s", candidate.path)
    return None


class LocalLocator:
    """The local target: reads the table folders under the warehouse (no metastore needed)."""

    def __init__(self, warehouse: Path, schema: str) -> None:
        self.root = Path(warehouse) / f"{schema}.db"
        #: Metadata files never change once written: a complete one is checked once.
        self._complete: dict[str, bool] = {}

    def complete(self, path: str) -> bool:
        """Whether a metadata file is complete; a yes is remembered (a file being written may say no first)."""
        if self._complete.get(path):
            return True
        try:
            text = Path(path).read_text()
        except OSError:
            return False
        self._complete[path] = metadata_is_complete(text, os.path.exists)
        return self._complete[path]

    def locate(self, table: str) -> str | None:
        folder = self.root / table / "metadata"
        try:
            entries = [(e.name, e.stat().st_mtime_ns) for e in os.scandir(folder) if e.name.endswith(".json")]
        except (FileNotFoundError, NotADirectoryError):
            return None
        return pick_metadata(candidates(entries, str(folder)), self.complete)


#: The Hive metastore schema (DataNucleus, PostgreSQL: quoted upper-case identifiers).
HIVE_METADATA_SQL = (
    'select p."PARAM_VALUE" from "TBLS" t join "DBS" d on d."DB_ID" = t."DB_ID" '
    'join "TABLE_PARAMS" p on p."TBL_ID" = t."TBL_ID" '
    'where d."NAME" = $1 and t."TBL_NAME" = $2 and p."PARAM_KEY" = \'metadata_location\''
)


class HiveLocator:
    """The thrift target: the PostgreSQL Hive metastore's TABLE_PARAMS (one short connection per look-up)."""

    def __init__(self, dsn: str, schema: str) -> None:
        self.dsn = dsn
        self.schema = schema

    async def _fetch(self, table: str) -> str | None:
        import asyncpg

        conn = await asyncpg.connect(self.dsn, timeout=10)
        try:
            return await conn.fetchval(HIVE_METADATA_SQL, self.schema.lower(), table.lower())
        finally:
            await conn.close()

    def locate(self, table: str) -> str | None:
        return asyncio.run(self._fetch(table))


class GlueLocator:
    """The athena target: AWS Glue's table parameter `metadata_location`."""

    def __init__(self, database: str, client: Any = None) -> None:
        self.database = database
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("glue")
        return self._client

    def locate(self, table: str) -> str | None:
        try:
            got = self.client.get_table(DatabaseName=self.database, Name=table)
        except self.client.exceptions.EntityNotFoundException:
            return None
        return got["Table"].get("Parameters", {}).get("metadata_location")


def metastore_dsn(settings: Settings) -> str:
    from optlake.targets.thrift_server import HOST, METASTORE_DB, METASTORE_USER, metastore_password

    return f"postgresql://{METASTORE_USER}:{metastore_password()}@{HOST}:{settings.metastore_port}/{METASTORE_DB}"


def locator_for(settings: Settings) -> MetadataLocator:
    """The locator of the settings' target."""
    if settings.target == "local":
        return LocalLocator(settings.warehouse, settings.schema)
    if settings.target == "thrift":
        return HiveLocator(metastore_dsn(settings), settings.schema)
    if settings.target == "athena":
        return GlueLocator(settings.schema)
    raise ValueError(f"optlake serve reads the local, thrift or athena target, not {settings.target!r}")
