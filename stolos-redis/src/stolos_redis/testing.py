"""pytest fixtures that give tests a real Redis (registered as the pytest plugin
``stolos_redis``, so any project that installs stolos-redis can use them).

``redis_server`` (session)
    One real server per test session, started on a free port of 127.0.0.1 with
    ``appendonly yes`` in a temporary directory, stopped at the end.  Its ``stop()``,
    ``start()`` (same port, same append-only file) and ``kill()`` serve fault tests.
    The local ``redis-server`` binary is used when there is one (``STOLOS_REDIS_SERVER``
    names another); otherwise, when a Docker engine with compose is usable and
    pytest-docker is installed, the ``redis`` service of the ``docker_compose_file``
    fixture; otherwise the tests that need it are skipped, saying why.
``redis_backend`` (function)
    A fresh :class:`~stolos_redis.backend.RedisQueueBackend` on that server under a key
    prefix of its own, so tests share the server without seeing each other's jobs.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from stolos_redis.backend import RedisQueueBackend
from stolos_redis.connection import connect

START_TIMEOUT = 10.0
TEST_RETRY_SECONDS = 10.0
COMPOSE_SERVICE = "redis"


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on (at the time of asking)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _docker_usable() -> bool:
    if not shutil.which("docker"):
        return False
    try:
        return all(
            subprocess.run(
                command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10
            ).returncode
            == 0
            for command in (["docker", "info"], ["docker", "compose", "version"])
        )
    except (OSError, subprocess.TimeoutExpired):
        return False


class RedisServer(ABC):
    """A Redis server a test can stop, start again and kill."""

    host = "127.0.0.1"
    port = 0

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    def client(self, db: int = 0) -> redis.Redis:
        return redis.Redis(self.host, self.port, db=db, decode_responses=True)

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        client = self.client()
        try:
            while True:
                try:
                    if client.ping():
                        return
                except redis.exceptions.RedisError:  # refused, or still loading its file
                    if time.monotonic() > deadline:
                        raise
                time.sleep(0.02)
        finally:
            client.close()

    @abstractmethod
    def start(self) -> None:
        """Start (again, on the same port and data) and wait until it answers."""

    @abstractmethod
    def stop(self) -> None:
        """Shut down cleanly (the append-only file is complete)."""

    @abstractmethod
    def kill(self) -> None:
        """Die at once (SIGKILL), as in a crash."""


class LocalRedisServer(RedisServer):
    """``redis-server`` run from a local binary."""

    def __init__(self, binary: str, directory: Path) -> None:
        self.binary = binary
        self.directory = directory
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [
            self.binary,
            "--port",
            str(self.port),
            "--bind",
            self.host,
            "--dir",
            str(self.directory),
            "--appendonly",
            "yes",
            "--save",
            "",
            "--logfile",
            "redis.log",
            "--daemonize",
            "no",
        ]
        self._process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            self.wait_ready()
        except redis.exceptions.RedisError:
            self.kill()
            log = self.directory / "redis.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"redis-server on port {self.port} did not start:\n{tail}") from None

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=30)
            self._process = None

    def kill(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait(timeout=30)
            self._process = None


class ComposeRedisServer(RedisServer):
    """The ``redis`` service of a docker compose file, managed by pytest-docker."""

    def __init__(self, request: pytest.FixtureRequest) -> None:
        services = request.getfixturevalue("docker_services")
        self.host = request.getfixturevalue("docker_ip")
        self.port = services.port_for(COMPOSE_SERVICE, 6379)
        self._compose = [
            "docker",
            "compose",
            "-f",
            str(request.getfixturevalue("docker_compose_file")),
            "-p",
            str(request.getfixturevalue("docker_compose_project_name")),
        ]
        self.wait_ready(timeout=60)

    def _service(self, action: str) -> None:
        subprocess.run([*self._compose, action, COMPOSE_SERVICE], check=True, timeout=120)

    def start(self) -> None:
        self._service("start")
        self.wait_ready(timeout=60)

    def stop(self) -> None:
        self._service("stop")

    def kill(self) -> None:
        self._service("kill")


def local_redis_binary() -> str | None:
    """The ``redis-server`` to run: ``STOLOS_REDIS_SERVER``, else the one on the PATH."""
    configured = os.environ.get("STOLOS_REDIS_SERVER")
    if configured:
        return configured
    return shutil.which("redis-server") or (
        "/usr/bin/redis-server" if os.access("/usr/bin/redis-server", os.X_OK) else None
    )


@pytest.fixture(scope="session")
def redis_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RedisServer]:
    """One real Redis server for the whole session (see the module docstring)."""
    binary = local_redis_binary()
    if binary is not None:
        server = LocalRedisServer(binary, tmp_path_factory.mktemp("redis"))
        server.start()
        try:
            yield server
        finally:
            server.stop()
        return
    if importlib.util.find_spec("pytest_docker") is None:
        pytest.skip("no redis-server binary, and pytest-docker is not installed")
    if not _docker_usable():
        pytest.skip("no redis-server binary, and no usable Docker engine with compose")
    yield ComposeRedisServer(request)


@pytest.fixture
def redis_backend(redis_server: RedisServer) -> Iterator[RedisQueueBackend]:
    """A fresh backend on the session's server, under a key prefix of its own."""
    backend = make_backend(redis_server, prefix=unique_prefix())
    yield backend
    backend.close()


def unique_prefix() -> str:
    return f"test-{uuid.uuid4().hex[:12]}:"


def make_backend(
    server: RedisServer, *, prefix: str, db: int = 0, **options: Any
) -> RedisQueueBackend:
    """A backend on ``server`` (``options`` are :func:`connect`'s keyword arguments)."""
    settings: dict[str, Any] = {
        "url": None,
        "host": server.host,
        "port": server.port,
        "db": db,
        "socket_timeout": 5.0,
        "retry_seconds": TEST_RETRY_SECONDS,
        **options,
    }
    return RedisQueueBackend(connect(**settings), prefix=prefix)
