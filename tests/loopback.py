"""Servers the tests start on 127.0.0.1: a free port, and a moto server (S3, Glue, Athena)."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager

from moto.server import ThreadedMotoServer


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def moto_server() -> Iterator[str]:
    """A moto server on a free loopback port; yields its endpoint URL. moto keeps its
    backends per process, so each server starts from an empty state (reset on entry)."""
    from moto.moto_api import _internal

    _internal.moto_api_backend.reset()
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def athena_profile_env(endpoint: str, staging_dir: str, data_dir: str, schema: str = "trading_db") -> dict[str, str]:
    """This process's environment, minus any AWS/optlake/dbt settings, plus what the `athena`
    profile needs pointed at a moto server (fake keys; nothing leaves the machine)."""
    from optlake.settings import PROJECT_DIR

    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "OPTLAKE_", "DBT_"))}
    return {
        **env,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "OPTLAKE_ATHENA_S3_STAGING_DIR": staging_dir,
        "OPTLAKE_ATHENA_S3_DATA_DIR": data_dir,
        "OPTLAKE_SCHEMA": schema,
        "OPTLAKE_PROJECT_DIR": str(PROJECT_DIR),
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
    }
