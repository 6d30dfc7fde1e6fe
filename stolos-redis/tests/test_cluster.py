"""The redis backend on a three-node Redis Cluster: every script stays in its app's slot,
and pipelines that span apps (wake, mark, reads, multi-app claims) span nodes."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest
import redis
from redis.cluster import RedisCluster

from stolos.queue.records import State, WakeRequest
from stolos_redis.backend import RedisQueueBackend
from stolos_redis.connection import connect
from stolos_redis.testing import free_port, local_redis_binary, unique_prefix

pytestmark = pytest.mark.slow

NODES = 3
BUS_OFFSET = 10000  # each node also listens on port + 10000


def _cluster_ports() -> list[int]:
    ports: list[int] = []
    while len(ports) < NODES:
        port = free_port()
        if port + BUS_OFFSET < 65536 and port not in ports:
            ports.append(port)
    return ports


def _wait(condition: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"the Redis Cluster did not come up: {what}")
        time.sleep(0.05)


def _pings(port: int) -> bool:
    try:
        with redis.Redis("127.0.0.1", port) as client:
            return bool(client.ping())
    except redis.exceptions.RedisError:
        return False


def _cluster_ok(port: int) -> bool:
    with redis.Redis("127.0.0.1", port, decode_responses=True) as client:
        return bool(client.cluster("info")["cluster_state"] == "ok")


@pytest.fixture(scope="module")
def cluster_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """Start three masters on 127.0.0.1, join them, yield one node's port."""
    binary, cli = local_redis_binary(), shutil.which("redis-cli")
    if binary is None or cli is None:
        pytest.skip("a Redis Cluster needs the redis-server and redis-cli binaries")
    ports = _cluster_ports()
    processes = []
    try:
        for port in ports:
            directory: Path = tmp_path_factory.mktemp(f"cluster{port}")
            processes.append(
                subprocess.Popen(
                    [
                        binary,
                        "--port",
                        str(port),
                        "--bind",
                        "127.0.0.1",
                        "--cluster-enabled",
                        "yes",
                        "--cluster-config-file",
                        "nodes.conf",
                        "--cluster-node-timeout",
                        "2000",
                        "--dir",
                        str(directory),
                        "--save",
                        "",
                        "--appendonly",
                        "no",
                        "--logfile",
                        "redis.log",
                    ],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        for port in ports:
            _wait(partial(_pings, port), f"node {port} answers")
        subprocess.run(
            [
                cli,
                "--cluster",
                "create",
                *(f"127.0.0.1:{p}" for p in ports),
                "--cluster-replicas",
                "0",
                "--cluster-yes",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=60,
        )
        for port in ports:
            _wait(partial(_cluster_ok, port), f"node {port} sees the cluster")
        yield ports[0]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


@pytest.fixture
def cluster_backend(cluster_port: int) -> Iterator[RedisQueueBackend]:
    connection = connect(
        url=None,
        host="127.0.0.1",
        port=cluster_port,
        db=0,
        socket_timeout=5,
        retry_seconds=10,
        cluster=True,
    )
    backend = RedisQueueBackend(connection, prefix=unique_prefix())
    yield backend
    backend.close()


def test_the_whole_contract_runs_on_a_cluster(
    cluster_backend: RedisQueueBackend, cluster_port: int
) -> None:
    backend = cluster_backend
    apps = ["a", "b", "we{ir}d"]
    with RedisCluster(host="127.0.0.1", port=cluster_port) as client:
        nodes = {str(client.get_node_from_key(backend.layout.app(app).meta)) for app in apps}
    assert len(nodes) >= 2  # the apps really live on different nodes

    states = backend.wake(
        [WakeRequest(app, f"{app}-{i}", priority=10 * (i + 1)) for app in apps for i in range(3)]
    )
    assert states == [State.QUEUED] * 9
    backend.enqueue("b", "urgent", priority=1)
    first = backend.claim("w1", 60)
    assert first is not None and (first.app, first.job_id) == ("b", "urgent")
    assert backend.park(first) is State.WAITING
    second = backend.claim("w1", 60, ["we{ir}d"])
    assert second is not None and second.job_id == "we{ir}d-0"
    backend.retry(second, not_before=None, message="exit 1")
    third = backend.claim("w1", 60, ["a"])
    assert third is not None
    backend.release(backend.finish(third, State.COMPLETED))

    assert backend.mark(
        [("b", "urgent"), ("a", "a-1")], State.SKIPPED, only_from=[State.WAITING, State.QUEUED]
    ) == [True, True]
    assert backend.get_states([("a", "a-0"), ("b", "urgent")]) == {
        ("a", "a-0"): State.COMPLETED,
        ("b", "urgent"): State.SKIPPED,
    }
    assert backend.counts() == {
        "a": {State.COMPLETED: 1, State.SKIPPED: 1, State.QUEUED: 1},
        "b": {State.QUEUED: 3, State.SKIPPED: 1},
        "we{ir}d": {State.QUEUED: 3},
    }
    assert [r.job_id for r in backend.list_jobs("b")] == ["b-0", "b-1", "b-2", "urgent"]
    assert backend.queue_size("we{ir}d") == 3

    with RedisCluster(host="127.0.0.1", port=cluster_port) as client:
        for node in client.get_primaries():  # every node forgets the scripts
            with redis.Redis(node.host, node.port) as node_client:
                node_client.script_flush()
    drained = []
    while (lease := backend.claim("w2", 60)) is not None:
        drained.append(lease.job_id)
        backend.release(backend.finish(lease, State.COMPLETED))
    # By priority across apps; within a priority by age, where the retried job is younger
    # (jobs made by one pipelined wake on different nodes have no order between them).
    assert drained[:2] == ["b-0", "we{ir}d-0"]
    assert set(drained[2:4]) == {"b-1", "we{ir}d-1"}
    assert set(drained[4:]) == {"a-2", "b-2", "we{ir}d-2"}
