"""Where the redis backend keeps things: numeric priorities (B15), keys under the prefix
and nothing left behind (B17), one Cluster slot per app, the database option (B14), and
reads that use indexes instead of scanning the key space (B17/B18)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from redis.connection import AbstractConnection
from redis.crc import key_slot

from stolos.errors import OptionError, StolosError
from stolos.queue.records import State, WakeRequest
from stolos_redis.backend import RedisQueueBackend
from stolos_redis.keys import Layout
from stolos_redis.testing import RedisServer, make_backend, unique_prefix


def drain(backend: RedisQueueBackend) -> list[str]:
    claimed = []
    while (lease := backend.claim("w", 3600)) is not None:
        claimed.append(lease.job_id)
    return claimed


def test_priorities_compare_as_numbers(redis_backend: RedisQueueBackend) -> None:
    # The original compared "100:..." < "20:..." < "5:..." as strings.
    for priority in (100, 20, 5, 1000, 2**52, -3, 0):
        redis_backend.enqueue("a", f"p{priority}", priority=priority)
    assert drain(redis_backend) == ["p-3", "p0", "p5", "p20", "p100", "p1000", f"p{2**52}"]


@pytest.mark.parametrize("priority", [2**53, -(2**53), 1.5, "7", True])
def test_a_priority_that_is_not_an_exact_integer_is_refused(
    redis_backend: RedisQueueBackend, priority: object
) -> None:
    with pytest.raises(StolosError, match="priority") as caught:
        redis_backend.enqueue("a", "j", priority=priority)  # type: ignore[arg-type]
    assert (caught.value.app, caught.value.key) == ("a", "priority")
    assert redis_backend.get("a", "j") is None


def test_a_finished_job_leaves_only_its_record_and_history(redis_server: RedisServer) -> None:
    db = 7  # this test owns the whole database, so it can list every key in it
    client = redis_server.client(db)
    client.flushdb()
    backend = make_backend(redis_server, prefix="p:", db=db)
    try:
        backend.enqueue("a", "j")
        lease = backend.claim("w", 60)
        assert lease is not None
        backend.retry(lease, not_before=None, message="exit 1")
        lease = backend.claim("w", 60)
        assert lease is not None
        backend.release(backend.finish(lease, State.COMPLETED))
        assert set(client.keys("*")) == {
            "p:apps",
            "p:{a}:meta",
            "p:{a}:state:completed",
            "p:{a}:job:j",
            "p:{a}:hist:j",
        }
    finally:
        backend.close()
        client.close()


def test_the_keys_of_one_app_share_one_cluster_slot(
    redis_backend: RedisQueueBackend, redis_server: RedisServer
) -> None:
    odd = "we{ir}d}{app"  # braces would break a naive hash tag
    redis_backend.enqueue(odd, "queued")
    redis_backend.enqueue(odd, "delayed")
    redis_backend.enqueue(odd, "running")
    first = redis_backend.claim("w", 60, [odd])
    assert first is not None
    redis_backend.retry(first, not_before=redis_backend.now() + 3600)
    assert redis_backend.claim("w", 60, [odd]) is not None
    client = redis_server.client()
    layout = redis_backend.layout
    keys = [str(k) for k in client.keys(f"{layout.prefix}*") if k != layout.registry]
    client.close()
    base = layout.app(odd).base
    assert all(key.startswith(base) for key in keys)
    assert {key[len(base) :].split(":")[0] for key in keys} == {
        "job",
        "hist",
        "queue",
        "delayed",
        "leases",
        "meta",
        "state",
    }
    assert len({key_slot(key.encode()) for key in keys}) == 1
    assert key_slot(layout.app("a").meta.encode()) != key_slot(layout.app("b").meta.encode())


def test_the_app_registry_heals_when_it_was_lost(
    redis_backend: RedisQueueBackend, redis_server: RedisServer
) -> None:
    redis_backend.enqueue("a", "j1")
    client = redis_server.client()
    try:
        client.delete(redis_backend.layout.registry)  # as after a crash that lost it
        assert redis_backend.claim("w", 60) is None  # all apps: app a is unknown
        assert redis_backend.enqueue("a", "j1") == (False, State.QUEUED)
    finally:
        client.close()
    lease = redis_backend.claim("w", 60)
    assert lease is not None and lease.job_id == "j1"


def test_a_prefix_with_braces_is_refused() -> None:
    with pytest.raises(OptionError, match="braces") as caught:
        Layout("stolos{x}:")
    assert caught.value.key == "qb_redis_prefix"


def test_the_database_option_is_honoured(redis_server: RedisServer) -> None:
    prefix = unique_prefix()
    backend = make_backend(redis_server, prefix=prefix, db=3)
    db0, db3 = redis_server.client(0), redis_server.client(3)
    try:
        backend.enqueue("a", "j")
        job_key = backend.layout.app("a").job("j")
        assert (db3.exists(job_key), db0.exists(job_key)) == (1, 0)
        assert db0.keys(f"{prefix}*") == []
    finally:
        backend.close()
        db0.close()
        db3.close()


def _calls(server: RedisServer) -> dict[str, int]:
    client = server.client()
    try:
        stats = client.info("commandstats")
    finally:
        client.close()
    return {name.removeprefix("cmdstat_"): value["calls"] for name, value in stats.items()}


def _delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {n: after[n] - before.get(n, 0) for n in after if after[n] != before.get(n, 0)}


def test_reads_use_indexes_and_never_scan_the_key_space(
    redis_backend: RedisQueueBackend, redis_server: RedisServer
) -> None:
    redis_backend.wake([WakeRequest(app, f"{app}{i}") for app in "ab" for i in range(50)])
    before = _calls(redis_server)
    assert len(redis_backend.list_jobs()) == 100
    assert [r.job_id for r in redis_backend.list_jobs("a", [State.QUEUED], limit=3)] == [
        "a0",
        "a1",
        "a10",
    ]
    assert redis_backend.counts() == {"a": {State.QUEUED: 50}, "b": {State.QUEUED: 50}}
    assert redis_backend.queue_size("b") == 50
    used = _delta(before, _calls(redis_server))
    assert not {"keys", "scan", "sort"} & set(used), used


@pytest.fixture
def round_trips(monkeypatch: pytest.MonkeyPatch) -> Callable[[], int]:
    """How many requests clients sent so far (a pipeline is one request)."""
    sent: list[bytes] = []
    original: Callable[..., None] = AbstractConnection.send_packed_command

    def counting(self: AbstractConnection, command: Any, check_health: bool = True) -> None:
        sent.append(command)
        original(self, command, check_health)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", counting)
    return lambda: len(sent)


def warm_up(backend: RedisQueueBackend) -> None:
    """Connect, register the app ``warm-up`` and have the server load every script used
    below, so that counts show the steady state."""
    backend.wake([WakeRequest("warm-up", "w1"), WakeRequest("warm-up", "w2")])
    backend.mark([("warm-up", "w2")], State.PENDING, only_from=[State.QUEUED])
    lease = backend.claim("w", 60, ["warm-up", "no-such-app"])  # reads the server clock
    assert lease is not None
    backend.release(backend.finish(lease, State.COMPLETED))


def test_claim_and_finish_take_one_round_trip_whatever_the_queue_length(
    redis_backend: RedisQueueBackend, round_trips: Callable[[], int]
) -> None:
    warm_up(redis_backend)
    for size in (1, 5000):
        app = f"q{size}"
        redis_backend.wake([WakeRequest(app, f"j{i}") for i in range(size)])
        before = round_trips()
        lease = redis_backend.claim("w", 60, [app])
        assert lease is not None
        assert round_trips() - before == 1
        done = redis_backend.finish(lease, State.COMPLETED)
        assert round_trips() - before == 2
        redis_backend.release(done)
        assert round_trips() - before == 3


def test_many_jobs_are_woken_marked_and_read_in_one_round_trip(
    redis_backend: RedisQueueBackend, round_trips: Callable[[], int]
) -> None:
    warm_up(redis_backend)
    before = round_trips()
    assert redis_backend.enqueue("a", "new-app") == (True, State.QUEUED)
    assert round_trips() - before == 1  # the registry update rides along
    keys = [(app, f"j{i}") for app in "ab" for i in range(1200)]  # several script calls
    before = round_trips()
    states = redis_backend.wake([WakeRequest(app, job_id) for app, job_id in keys])
    assert states == [State.QUEUED] * len(keys)
    assert round_trips() - before == 1
    changed = redis_backend.mark(keys, State.PENDING, only_from=[State.QUEUED])
    assert changed == [True] * len(keys)
    assert round_trips() - before == 2
    assert set(redis_backend.get_states(keys).values()) == {State.PENDING}
    assert round_trips() - before == 3


def test_claims_across_apps_look_at_every_queue_head_in_one_round_trip(
    redis_backend: RedisQueueBackend, round_trips: Callable[[], int]
) -> None:
    warm_up(redis_backend)
    for app in ("a", "b", "c", "d"):
        redis_backend.enqueue(app, "idle", queue=False)
    before = round_trips()
    assert redis_backend.claim("w", 60) is None  # registry, then the heads of 5 apps
    assert round_trips() - before == 2
    redis_backend.enqueue("c", "urgent", priority=1)
    before = round_trips()
    lease = redis_backend.claim("w", 60)
    assert lease is not None and lease.job_id == "urgent"
    assert round_trips() - before == 3  # registry, heads, one claim script
