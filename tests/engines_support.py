"""Real database/queue servers for the `engines` tests, started from the installed Debian binaries.

PostgreSQL: a session-scoped server of our own (``initdb`` into a temp dir, ``postgres`` on a free
127.0.0.1 port, as ``nobody`` when we run as root), database ``zwgk``. Tests that need it skip
when the binaries are missing. Import the fixtures into the test module:
``from engines_support import postgres_url, fresh_postgres_url``.
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import free_port

# --------------------------------------------------------------------------- PostgreSQL

PG_MISSING = "PostgreSQL server binaries not found (Debian package postgresql)"
PG_TOOLS = ("initdb", "postgres", "pg_ctl")
PG_SUPERUSER = "zwgk"
PG_TIMEZONE = "Asia/Shanghai"


def _version_key(path: str) -> tuple[int, ...]:
    match = re.search(r"/postgresql/([\d.]+)/bin", path)
    return tuple(int(p) for p in match.group(1).split(".")) if match else (0,)


def find_postgres_bin() -> Path | None:
    """The directory holding initdb, postgres and pg_ctl: on PATH, else the newest /usr/lib/postgresql/*/bin."""
    on_path = shutil.which("initdb")
    if on_path:
        directory = Path(os.path.realpath(on_path)).parent
        if all((directory / tool).is_file() for tool in PG_TOOLS):
            return directory
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True):
        if all((Path(candidate) / tool).is_file() for tool in PG_TOOLS):
            return Path(candidate)
    return None


@dataclass
class PostgresServer:
    """A running throw-away cluster; ``url(db)`` gives a SQLAlchemy URL for one of its databases."""

    bindir: Path
    base: Path
    port: int
    process: subprocess.Popen[bytes]
    run_as: tuple[int, int] | None

    @property
    def datadir(self) -> Path:
        return self.base / "data"

    def url(self, database: str = "zwgk") -> str:
        return f"postgresql+psycopg://{PG_SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user=PG_SUPERUSER, dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0')
        return self.url(name)

    def log_tail(self) -> str:
        log = self.base / "postgres.log"
        return log.read_text(errors="replace")[-3000:] if log.exists() else ""


def _owner_kwargs(run_as: tuple[int, int] | None) -> dict[str, object]:
    if run_as is None:
        return {}
    return {"user": run_as[0], "group": run_as[1], "extra_groups": []}


def _run(server_bin: Path, args: list[str], run_as: tuple[int, int] | None, cwd: Path) -> None:
    proc = subprocess.run([str(server_bin), *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "LC_ALL": "C.UTF-8"}, timeout=120, **_owner_kwargs(run_as))
    if proc.returncode != 0:
        raise RuntimeError(f"{server_bin.name} failed ({proc.returncode}): {proc.stdout}\n{proc.stderr}")


def _wait_ready(server: PostgresServer, timeout: float = 30.0) -> None:
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        if server.process.poll() is not None:
            raise RuntimeError(f"postgres exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            with psycopg.connect(host="127.0.0.1", port=server.port, user=PG_SUPERUSER, dbname="postgres",
                                 connect_timeout=2):
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"postgres not ready after {timeout} s:\n{server.log_tail()}") from None
            time.sleep(0.1)


def start_postgres(bindir: Path) -> PostgresServer:
    """initdb + postgres on a free port (as ``nobody`` when root); the caller stops it with ``stop_postgres``."""
    run_as: tuple[int, int] | None = None
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        run_as = (nobody.pw_uid, nobody.pw_gid)
    # Not under pytest's tmp_path: /tmp/pytest-of-root is mode 700, so `nobody` could not reach it.
    base = Path(tempfile.mkdtemp(prefix="zwgk-pg-"))
    if run_as:
        os.chown(base, *run_as)
    try:
        _run(bindir / "initdb", ["-D", str(base / "data"), "-U", PG_SUPERUSER, "-A", "trust", "-E", "UTF8",
                                 "--locale=C.UTF-8", "--no-sync"], run_as, base)
        port = free_port()
        log = open(base / "postgres.log", "wb")  # noqa: SIM115 - kept open for the server's lifetime
        process = subprocess.Popen(
            [str(bindir / "postgres"), "-D", str(base / "data"), "-k", str(base), "-p", str(port),
             "-h", "127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
             # Not UTC on purpose: an aware datetime written to a naive column would come back shifted.
             "-c", f"timezone={PG_TIMEZONE}"],
            cwd=base, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "LC_ALL": "C.UTF-8"},
            **_owner_kwargs(run_as),
        )
        log.close()
        server = PostgresServer(bindir, base, port, process, run_as)
        try:
            _wait_ready(server)
        except BaseException:
            stop_postgres(server)
            raise
        return server
    except BaseException:
        shutil.rmtree(base, ignore_errors=True)
        raise


def stop_postgres(server: PostgresServer) -> None:
    """``pg_ctl stop -m fast``, then remove the cluster directory."""
    try:
        if server.process.poll() is None:
            try:
                _run(server.bindir / "pg_ctl", ["stop", "-D", str(server.datadir), "-m", "fast", "-w"],
                     server.run_as, server.base)
            except (RuntimeError, subprocess.TimeoutExpired):
                server.process.terminate()
            try:
                server.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.process.kill()
                server.process.wait()
    finally:
        shutil.rmtree(server.base, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the session, with an empty database ``zwgk``."""
    bindir = find_postgres_bin()
    if bindir is None:
        pytest.skip(PG_MISSING)
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed (pip install -e '.[scale]')")
    server = start_postgres(bindir)
    try:
        server.create_database("zwgk")
        yield server
    finally:
        stop_postgres(server)


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """``postgresql+psycopg://zwgk@127.0.0.1:<port>/zwgk`` of the session server."""
    return postgres_server.url("zwgk")


@pytest.fixture
def fresh_postgres_url(postgres_server: PostgresServer) -> str:
    """A new empty database on the session server, for a test that needs its own."""
    return postgres_server.create_database(f"t_{uuid.uuid4().hex[:12]}")


# --------------------------------------------------------------------------- Redis

REDIS_MISSING = "Redis server binary not found (Debian package redis-server)"


@dataclass
class RedisServer:
    """A running throw-away ``redis-server`` (no persistence) on a free 127.0.0.1 port."""

    port: int
    base: Path
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def log_tail(self) -> str:
        log = self.base / "redis.log"
        return log.read_text(errors="replace")[-3000:] if log.exists() else ""


def start_redis(binary: str) -> RedisServer:
    """``redis-server --port <free> --bind 127.0.0.1 --save '' --appendonly no`` in a temp dir; wait for PING."""
    import redis

    base = Path(tempfile.mkdtemp(prefix="zwgk-redis-"))
    port = free_port()
    log = open(base / "redis.log", "wb")  # noqa: SIM115 - kept open for the server's lifetime
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(base), "--protected-mode", "yes"],
        cwd=base, stdout=log, stderr=subprocess.STDOUT,
    )
    log.close()
    server = RedisServer(port, base, process)
    deadline = time.monotonic() + 20
    while True:
        if process.poll() is not None:
            shutil.rmtree(base, ignore_errors=True)
            raise RuntimeError(f"redis-server exited with {process.returncode}:\n{server.log_tail()}")
        try:
            redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=1).ping()
            return server
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                stop_redis(server)
                raise RuntimeError(f"redis-server not ready after 20 s:\n{server.log_tail()}") from None
            time.sleep(0.05)


def stop_redis(server: RedisServer) -> None:
    try:
        if server.process.poll() is None:
            server.process.terminate()
            try:
                server.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.process.kill()
                server.process.wait()
    finally:
        shutil.rmtree(server.base, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """One Redis server for the session; skips when the binary or redis-py is missing."""
    binary = shutil.which("redis-server") or next(
        (p for p in ("/usr/bin/redis-server", "/usr/sbin/redis-server") if os.path.isfile(p)), None
    )
    if binary is None:
        pytest.skip(REDIS_MISSING)
    try:
        import redis  # noqa: F401
    except ImportError:
        pytest.skip("redis-py is not installed (pip install -e '.[scale]')")
    server = start_redis(binary)
    try:
        yield server
    finally:
        stop_redis(server)
