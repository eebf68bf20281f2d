"""The `thrift` target's servers: a PostgreSQL-backed Hive metastore and a Spark Thrift server.

`optlake thrift start|stop|status`. Everything lives under Settings.thrift_home (default .thrift/):

    postgres/data        the PostgreSQL cluster holding the Hive metastore (database `metastore`)
    postgres/server.log  PostgreSQL's log
    warehouse/           the Iceberg tables of the thrift target
    thrift-server.log    the Thrift server's output
    thrift-server.pid    its process id

Both servers listen on 127.0.0.1 only. PostgreSQL and its JDBC driver are Debian packages
(`make thrift-deps`); the Thrift server is spark-submit's HiveThriftServer2 from the pip-installed
PySpark, started with the thrift target's session_parameters from profiles.yml, the same settings
as the embedded sessions that run the Python models and the loader, so all see one catalog.
"""

from __future__ import annotations

import glob
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from optlake.settings import Settings
from optlake.targets.spark_session import spark_conf

THRIFT_SERVER_CLASS = "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2"
METASTORE_DB = "metastore"
METASTORE_USER = "optlake"
JDBC_JAR = Path("/usr/share/java/postgresql.jar")
HOST = "127.0.0.1"


log = logging.getLogger(__name__)


class ThriftError(RuntimeError):
    """A server could not be started or is not usable; the message says what to do."""


@dataclass(frozen=True)
class ThriftPaths:
    home: Path

    @property
    def pg_dir(self) -> Path:
        return self.home / "postgres"

    @property
    def pg_data(self) -> Path:
        return self.pg_dir / "data"

    @property
    def pg_log(self) -> Path:
        return self.pg_dir / "server.log"

    @property
    def server_log(self) -> Path:
        return self.home / "thrift-server.log"

    @property
    def server_pid(self) -> Path:
        return self.home / "thrift-server.pid"


def metastore_password() -> str:
    return os.environ.get("OPTLAKE_METASTORE_PASSWORD", "optlake")


# ---------------------------------------------------------------- PostgreSQL


def postgres_bin(program: str) -> Path:
    """A PostgreSQL server program from Debian's packages (newest major version installed)."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{program}"), key=lambda p: int(Path(p).parts[4]))
    if found:
        return Path(found[-1])
    on_path = shutil.which(program)
    if on_path:
        return Path(on_path)
    raise ThriftError(
        f"PostgreSQL's {program} not found: install the thrift target's Debian packages with "
        "`make thrift-deps` (postgresql, libpostgresql-jdbc-java)"
    )


def _as_postgres_user(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as the `postgres` user the package created."""
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


def _chown_to_postgres(path: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, "postgres", "postgres")


def _run(command: list[str], what: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise ThriftError(f"{what} failed ({' '.join(command[:3])}...):\n{done.stdout}{done.stderr}".rstrip())
    return done


def postgres_pid(paths: ThriftPaths) -> int | None:
    """The postmaster's pid (first line of postmaster.pid) when that process is alive."""
    try:
        pid = int((paths.pg_data / "postmaster.pid").read_text().split()[0])
    except (FileNotFoundError, IndexError, ValueError):
        return None
    return pid if _pid_alive(pid) else None


def postgres_running(paths: ThriftPaths) -> bool:
    return postgres_pid(paths) is not None


def init_postgres(paths: ThriftPaths) -> bool:
    """Create the cluster on first use (user optlake, password auth). Returns whether it was created."""
    if (paths.pg_data / "PG_VERSION").exists():
        return False
    paths.pg_dir.mkdir(parents=True, exist_ok=True)
    _chown_to_postgres(paths.pg_dir)
    reachable = subprocess.run(_as_postgres_user(["test", "-w", str(paths.pg_dir)]), capture_output=True)
    if reachable.returncode != 0:
        raise ThriftError(
            f"PostgreSQL runs as the `postgres` user, which cannot reach {paths.pg_dir}: one of its parent "
            "folders is private. Set OPTLAKE_THRIFT_HOME to a folder under a traversable path (e.g. /srv/optlake)."
        )
    password_file = paths.pg_dir / "initdb.pw"
    password_file.write_text(metastore_password() + "\n")
    password_file.chmod(0o600)
    _chown_to_postgres(password_file)
    try:
        _run(
            _as_postgres_user(
                [
                    str(postgres_bin("initdb")),
                    "-D",
                    str(paths.pg_data),
                    "-U",
                    METASTORE_USER,
                    f"--pwfile={password_file}",
                    "--auth=scram-sha-256",
                    "--encoding=UTF8",
                    "--no-instructions",
                ]
            ),
            "initdb",
        )
    finally:
        password_file.unlink(missing_ok=True)
    return True


def start_postgres(paths: ThriftPaths, port: int) -> None:
    if postgres_running(paths):
        return
    if _port_open(port):
        raise ThriftError(f"port {port} on {HOST} is taken by another program: set OPTLAKE_METASTORE_PORT")
    _run(
        _as_postgres_user(
            [
                str(postgres_bin("pg_ctl")),
                "start",
                "-D",
                str(paths.pg_data),
                "-l",
                str(paths.pg_log),
                "-w",
                "-t",
                "60",
                "-o",
                f"-c listen_addresses={HOST} -p {port} -c unix_socket_directories={paths.pg_dir}",
            ]
        ),
        f"starting PostgreSQL (log: {paths.pg_log})",
    )


def ensure_metastore_db(port: int) -> None:
    env = {**os.environ, "PGPASSWORD": metastore_password()}
    target = ["-h", HOST, "-p", str(port), "-U", METASTORE_USER]
    psql = shutil.which("psql") or str(postgres_bin("psql"))
    exists = _run(
        [psql, *target, "-d", "postgres", "-tAc", f"select 1 from pg_database where datname = '{METASTORE_DB}'"],
        "psql",
        env,
    ).stdout.strip()
    if exists != "1":
        _run([psql, *target, "-d", "postgres", "-c", f"create database {METASTORE_DB}"], "create database", env)


def stop_postgres(paths: ThriftPaths, timeout_s: float = 60.0) -> bool:
    """Fast shutdown (SIGINT to the postmaster: sessions are cut, data is consistent)."""
    pid = postgres_pid(paths)
    if pid is None:
        return False
    os.kill(pid, signal.SIGINT)
    deadline = time.monotonic() + timeout_s
    while _pid_alive(pid):
        if time.monotonic() > deadline:
            raise ThriftError(f"PostgreSQL (pid {pid}) did not stop within {timeout_s:.0f} s; see {paths.pg_log}")
        time.sleep(0.2)
    return True


# ---------------------------------------------------------------- Spark Thrift server


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def server_pid(paths: ThriftPaths) -> int | None:
    """The Thrift server's pid when the process recorded in the pid file is alive."""
    try:
        pid = int(paths.server_pid.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    return pid if _pid_alive(pid) else None


def spark_submit() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent / "bin" / "spark-submit"


def server_command(conf: dict[str, str], port: int) -> list[str]:
    """spark-submit HiveThriftServer2 with the thrift target's Spark settings, on loopback."""
    command = [str(spark_submit()), "--class", THRIFT_SERVER_CLASS]
    for key, value in {**conf, "spark.app.name": "optlake-thrift-server"}.items():
        command += ["--conf", f"{key}={value}"]
    command += [
        "--hiveconf",
        f"hive.server2.thrift.port={port}",
        "--hiveconf",
        f"hive.server2.thrift.bind.host={HOST}",
        "spark-internal",
    ]
    return command


def _log_tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


def start_server(settings: Settings, paths: ThriftPaths, timeout_s: float = 240.0) -> int:
    """Start the Thrift server in the background and wait until it accepts connections. Returns its pid."""
    pid = server_pid(paths)
    if pid is not None:
        return pid
    if _port_open(settings.thrift_port):
        raise ThriftError(f"port {settings.thrift_port} on {HOST} is taken by another program: set OPTLAKE_THRIFT_PORT")
    if not JDBC_JAR.is_file():
        raise ThriftError(f"{JDBC_JAR} not found: install the thrift target's Debian packages with `make thrift-deps`")
    conf = spark_conf(settings, "thrift")
    Path(conf["spark.sql.warehouse.dir"]).mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **settings.dbt_env()}
    env.pop("PYSPARK_SUBMIT_ARGS", None)
    with paths.server_log.open("w") as server_output:
        process = subprocess.Popen(
            server_command(conf, settings.thrift_port),
            stdout=server_output,
            stderr=subprocess.STDOUT,
            cwd=paths.home,
            env=env,
            start_new_session=True,
        )
    paths.server_pid.write_text(f"{process.pid}\n")
    started = time.monotonic()
    next_note = 15.0
    while not _port_open(settings.thrift_port):
        waited = time.monotonic() - started
        if process.poll() is not None:
            paths.server_pid.unlink(missing_ok=True)
            raise ThriftError(
                f"the Thrift server exited with code {process.returncode}; "
                f"last lines of {paths.server_log}:\n{_log_tail(paths.server_log)}"
            )
        if waited > timeout_s:
            stop_server(paths)
            raise ThriftError(
                f"the Thrift server did not open port {settings.thrift_port} within {timeout_s:.0f} s; "
                f"last lines of {paths.server_log}:\n{_log_tail(paths.server_log)}"
            )
        if waited >= next_note:
            log.info(f"  waiting for the Thrift server ({waited:.0f} s)...")
            next_note += 15.0
        time.sleep(0.5)
    return process.pid


def stop_server(paths: ThriftPaths, timeout_s: float = 60.0) -> bool:
    pid = server_pid(paths)
    if pid is None:
        paths.server_pid.unlink(missing_ok=True)
        return False
    os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while _pid_alive(pid) and time.monotonic() < deadline:
        _reap(pid)
        time.sleep(0.3)
    if _pid_alive(pid):
        os.killpg(pid, signal.SIGKILL)
    _reap(pid)
    paths.server_pid.unlink(missing_ok=True)
    return True


def _reap(pid: int) -> None:
    """Collect the exit status when the server is this process's child (tests start and stop it)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def check_server(settings: Settings) -> list[str]:
    """Ask the server for its databases through PyHive, as dbt does: proves the metastore answers."""
    from pyhive import hive

    connection = hive.connect(host=HOST, port=settings.thrift_port, username=os.environ.get("USER", "optlake"))
    try:
        cursor = connection.cursor()
        cursor.execute("show databases")
        return [row[0] for row in cursor.fetchall()]
    finally:
        connection.close()


# ---------------------------------------------------------------- the commands


def start(settings: Settings) -> None:
    paths = ThriftPaths(settings.thrift_home)
    paths.home.mkdir(parents=True, exist_ok=True)
    if init_postgres(paths):
        log.info(f"metastore: created a PostgreSQL cluster in {paths.pg_data}")
    start_postgres(paths, settings.metastore_port)
    ensure_metastore_db(settings.metastore_port)
    log.info(f"metastore: PostgreSQL on {HOST}:{settings.metastore_port}, database {METASTORE_DB}")
    already = server_pid(paths)
    started = time.monotonic()
    pid = start_server(settings, paths)
    how = "already running" if already else f"started in {time.monotonic() - started:.0f} s"
    log.info(f"thrift server: {HOST}:{settings.thrift_port}, pid {pid}, {how} (log: {paths.server_log})")
    databases = check_server(settings)
    log.info(f"thrift server: answers; databases: {', '.join(databases)}")


def stop(settings: Settings) -> None:
    paths = ThriftPaths(settings.thrift_home)
    log.info("thrift server: stopped" if stop_server(paths) else "thrift server: was not running")
    log.info("metastore: stopped" if stop_postgres(paths) else "metastore: was not running")


def status(settings: Settings) -> tuple[bool, list[str]]:
    """What runs, as lines for the user; True when both servers do."""
    paths = ThriftPaths(settings.thrift_home)
    lines: list[str] = []
    pg = postgres_running(paths)
    pid = server_pid(paths)
    serving = pid is not None and _port_open(settings.thrift_port)
    lines.append(
        f"metastore: {'running' if pg else 'stopped'} (PostgreSQL {HOST}:{settings.metastore_port}, data {paths.pg_data})"
    )
    state = f"running, pid {pid}" if serving else ("starting" if pid else "stopped")
    lines.append(f"thrift server: {state} ({HOST}:{settings.thrift_port}, log {paths.server_log})")
    lines.append(f"warehouse: {spark_conf(settings, 'thrift')['spark.sql.warehouse.dir']}")
    return pg and serving, lines
