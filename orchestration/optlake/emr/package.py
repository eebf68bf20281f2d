"""`optlake emr package`: the project archive, the Python environment archive and the entry point, to S3.

Layout under the config's artifacts_uri:

    <version>/entrypoint.py        the job's entryPoint (stdlib only: puts ./project on sys.path)
    <version>/project.tar.gz       the optlake package and the dbt project (extracted as ./project)
    <version>/manifest.json        what a job run of this version uses
    environments/<sha>-<name>      the Python environment (extracted as ./environment), uploaded once
    current.json                   the manifest `optlake emr submit` uses by default

<version> is the first 12 hex digits of the project archive's SHA-256. The archive is reproducible
(sorted entries, fixed times and owners), so an unchanged project gives the same version.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import io
import json
import logging
import tarfile
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlparse

log = logging.getLogger(__name__)

#: What the project archive holds, relative to the project folder. Missing optional paths are skipped.
REQUIRED = ("dbt_project.yml", "profiles.yml", "orchestration/optlake")
OPTIONAL = (
    "selectors.yml",
    "packages.yml",
    "dependencies.yml",
    "package-lock.yml",
    "conf",
    "macros",
    "models",
    "python_models",
    "seeds",
    "snapshots",
    "analyses",
    "tests/dbt",
    "dbt_packages",
)
_SKIP_DIRS = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"}
_SKIP_SUFFIXES = (".pyc", ".pyo")

ENTRY_POINT = Path(__file__).with_name("entrypoint.py")
MANIFEST_NAME = "current.json"


class PackageError(ValueError):
    """The package cannot be built or is incomplete (reported as `error: ...`)."""


@dataclass(frozen=True)
class Manifest:
    version: str
    entry_point: str
    project_archive: str
    venv_archive: str
    created_at: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str, where: str) -> Manifest:
        try:
            data = json.loads(text)
            return cls(**{k: data[k] for k in cls.__dataclass_fields__})
        except (ValueError, KeyError, TypeError) as exc:
            raise PackageError(f"{where} is not an optlake EMR manifest ({exc}): run `optlake emr package`") from exc


def split_s3(uri: str) -> tuple[str, str]:
    """(bucket, key) of an s3:// URI."""
    parsed = urlparse(uri)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise PackageError(f"not an s3:// URI: {uri}")
    return parsed.netloc, parsed.path.lstrip("/")


def project_files(project_dir: Path) -> list[tuple[Path, str]]:
    """(file, name in the archive) of every file the project archive holds, sorted by name."""
    project_dir = Path(project_dir)
    files: list[tuple[Path, str]] = []
    for entry in REQUIRED + OPTIONAL:
        path = project_dir / entry
        if not path.exists():
            if entry in REQUIRED:
                raise PackageError(f"{path} not found: is {project_dir} the optlake project folder?")
            continue
        candidates = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for file in candidates:
            relative = file.relative_to(project_dir)
            if _SKIP_DIRS & set(relative.parts) or file.name.endswith(_SKIP_SUFFIXES) or file.name == ".DS_Store":
                continue
            files.append((file, relative.as_posix()))
    return sorted(files, key=lambda item: item[1])


def build_project_archive(project_dir: Path, out: Path) -> Path:
    """Write the reproducible project tar.gz (the optlake package and the dbt project) to ``out``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for file, name in project_files(project_dir):
            info = tarfile.TarInfo(name)
            info.size = file.stat().st_size
            info.mode = 0o755 if file.stat().st_mode & 0o111 else 0o644
            info.mtime = 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            with file.open("rb") as handle:
                tar.addfile(info, handle)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
        gz.write(buffer.getvalue())
    return out


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _exists(s3, bucket: str, key: str) -> bool:
    from botocore.exceptions import ClientError

    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


def read_manifest(s3, artifacts_uri: str, version: str | None = None) -> Manifest | None:
    """The manifest of ``version`` (default: current.json); None when nothing was packaged yet."""
    from botocore.exceptions import ClientError

    bucket, prefix = split_s3(artifacts_uri)
    key = f"{prefix}{version}/manifest.json" if version else f"{prefix}{MANIFEST_NAME}"
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    return Manifest.from_json(body, f"s3://{bucket}/{key}")


def upload_environment(s3, artifacts_uri: str, archive: str) -> str:
    """The S3 URI of the environment archive: an s3:// URI as is, a local file uploaded once (by content)."""
    if archive.startswith("s3://"):
        bucket, key = split_s3(archive)
        if not _exists(s3, bucket, key):
            raise PackageError(f"--venv-archive {archive}: no such object")
        return archive
    path = Path(archive)
    if not path.is_file():
        raise PackageError(f"--venv-archive {archive}: no such file (build it with deploy/emr/build-env.sh)")
    if not path.name.endswith((".tar.gz", ".tgz", ".zip", ".tar")):
        raise PackageError(f"--venv-archive {archive}: expected a .tar.gz, .tgz, .tar or .zip archive")
    bucket, prefix = split_s3(artifacts_uri)
    key = f"{prefix}environments/{sha256_of(path)[:12]}-{path.name}"
    if _exists(s3, bucket, key):
        log.info("environment %s already uploaded: s3://%s/%s", path.name, bucket, key)
    else:
        megabytes = path.stat().st_size / 1e6
        log.info("uploading environment %s (%s MB) to s3://%s/%s", path.name, f"{megabytes:,.1f}", bucket, key)
        s3.upload_file(str(path), bucket, key)
    return f"s3://{bucket}/{key}"


def package(
    s3, artifacts_uri: str, project_dir: Path, workdir: Path, venv_archive: str | None = None, now=None
) -> Manifest:
    """Build and upload the project archive and the entry point; record them in a new manifest.

    Without ``venv_archive`` the environment of the current manifest is kept.
    """
    if venv_archive:
        environment = upload_environment(s3, artifacts_uri, venv_archive)
    else:
        current = read_manifest(s3, artifacts_uri)
        if current is None:
            raise PackageError(
                f"no Python environment in {artifacts_uri} yet: build one with deploy/emr/build-env.sh and pass "
                "--venv-archive PATH (uploaded once, then reused by later packages)"
            )
        environment = current.venv_archive
    archive = build_project_archive(project_dir, Path(workdir) / "project.tar.gz")
    version = sha256_of(archive)[:12]
    bucket, prefix = split_s3(artifacts_uri)
    base = f"{prefix}{version}/"
    log.info(
        "uploading project archive %s (%s kB) as version %s", archive.name, archive.stat().st_size // 1000, version
    )
    s3.upload_file(str(archive), bucket, base + "project.tar.gz")
    s3.upload_file(str(ENTRY_POINT), bucket, base + "entrypoint.py")
    manifest = Manifest(
        version=version,
        entry_point=f"s3://{bucket}/{base}entrypoint.py",
        project_archive=f"s3://{bucket}/{base}project.tar.gz",
        venv_archive=environment,
        created_at=(now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds"),
    )
    body = manifest.to_json().encode()
    s3.put_object(Bucket=bucket, Key=base + "manifest.json", Body=body, ContentType="application/json")
    s3.put_object(Bucket=bucket, Key=prefix + MANIFEST_NAME, Body=body, ContentType="application/json")
    return manifest
