"""Landing folders, local or on S3: list pending files, stage them locally, move them when done.

Layout (the same under a local folder or an s3://bucket/prefix):

    <landing>/             files waiting to be loaded (top level only)
    <landing>/processed/   files whose rows are committed to Bronze
    <landing>/failed/      files rejected as a whole (see bronze_load_audit.error)
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlparse

PROCESSED = "processed"
FAILED = "failed"


@dataclass(frozen=True)
class LandingFile:
    name: str  # base file name
    uri: str  # where it is now (path or s3:// URI)
    size: int
    folder: str  # "" for pending, or PROCESSED


class Landing(Protocol):
    root: str

    def list_files(self, include_processed: bool) -> list[LandingFile]: ...

    def local_path(self, f: LandingFile) -> Path: ...

    def move(self, f: LandingFile, folder: str) -> str: ...

    def close(self) -> None: ...


def _dedupe(files: list[LandingFile]) -> list[LandingFile]:
    """One entry per file name; a pending copy wins over a processed one."""
    chosen: dict[str, LandingFile] = {}
    for f in sorted(files, key=lambda f: (f.name, f.folder != "")):
        chosen.setdefault(f.name, f)
    return sorted(chosen.values(), key=lambda f: f.name)


class LocalLanding:
    def __init__(self, root: Path) -> None:
        self.root = str(root)
        self._dir = Path(root)
        if not self._dir.is_dir():
            raise FileNotFoundError(f"landing folder {root} does not exist")

    def _files_in(self, folder: str) -> list[LandingFile]:
        base = self._dir / folder if folder else self._dir
        if not base.is_dir():
            return []
        return [
            LandingFile(p.name, str(p), p.stat().st_size, folder)
            for p in base.iterdir()
            if p.is_file() and not p.name.startswith(".")
        ]

    def list_files(self, include_processed: bool) -> list[LandingFile]:
        files = self._files_in("") + (self._files_in(PROCESSED) if include_processed else [])
        return _dedupe(files)

    def local_path(self, f: LandingFile) -> Path:
        return Path(f.uri)

    def move(self, f: LandingFile, folder: str) -> str:
        if f.folder == folder:
            return f.uri
        target_dir = self._dir / folder
        target_dir.mkdir(exist_ok=True)
        target = target_dir / f.name
        shutil.move(f.uri, target)  # same file system: an atomic rename
        return str(target)

    def close(self) -> None:
        """Nothing to clean up: files are read where they are."""


class S3Landing:
    """An s3:// landing prefix. Files are downloaded to a local staging folder for Spark to read.

    boto3 takes credentials, region and endpoint (AWS_ENDPOINT_URL) from the environment.
    """

    def __init__(self, uri: str, client=None) -> None:
        import boto3

        parsed = urlparse(uri)
        if parsed.scheme not in ("s3", "s3a") or not parsed.netloc:
            raise ValueError(f"not an S3 URI: {uri}")
        self.root = uri.rstrip("/")
        self.bucket = parsed.netloc
        self.prefix = parsed.path.strip("/")
        self._s3 = client or boto3.client("s3")
        self._staging = Path(tempfile.mkdtemp(prefix="optlake-s3-staging-"))

    def _key(self, folder: str, name: str) -> str:
        parts = [p for p in (self.prefix, folder, name) if p]
        return "/".join(parts)

    def _files_in(self, folder: str) -> list[LandingFile]:
        prefix = self._key(folder, "") + "/" if (self.prefix or folder) else ""
        files = []
        for page in self._s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix, Delimiter="/"
        ):
            for obj in page.get("Contents", []):
                name = obj["Key"][len(prefix) :]
                if name and not name.startswith("."):
                    files.append(LandingFile(name, f"s3://{self.bucket}/{obj['Key']}", obj["Size"], folder))
        return files

    def list_files(self, include_processed: bool) -> list[LandingFile]:
        files = self._files_in("") + (self._files_in(PROCESSED) if include_processed else [])
        return _dedupe(files)

    def local_path(self, f: LandingFile) -> Path:
        target = self._staging / f.name
        if not target.exists():
            key = urlparse(f.uri).path.lstrip("/")
            self._s3.download_file(self.bucket, key, str(target))
        return target

    def move(self, f: LandingFile, folder: str) -> str:
        if f.folder == folder:
            return f.uri
        source_key = urlparse(f.uri).path.lstrip("/")
        target_key = self._key(folder, f.name)
        # managed copy: multipart above 5 GB
        self._s3.copy({"Bucket": self.bucket, "Key": source_key}, self.bucket, target_key)
        self._s3.delete_object(Bucket=self.bucket, Key=source_key)
        return f"s3://{self.bucket}/{target_key}"

    def close(self) -> None:
        shutil.rmtree(self._staging, ignore_errors=True)


def open_landing(location: str) -> Landing:
    """A landing for a local folder or an s3:// URI."""
    if location.startswith(("s3://", "s3a://")):
        return S3Landing(location)
    return LocalLanding(Path(location).expanduser().resolve())
