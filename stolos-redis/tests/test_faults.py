"""The redis backend when Redis fails: unreachable, restarted, its script cache flushed,
or a reply lost after the server did the work."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from stolos.errors import BackendUnavailable, LeaseLost
from stolos.queue.records import EnqueueRequest, State, WakeRequest
from stolos_redis.backend import RedisQueueBackend
from stolos_redis.connection import connect
from stolos_redis.scripts import Scripts
from stolos_redis.testing import RedisServer, free_port, make_backend, unique_prefix

CALLS: dict[str, Callable[[RedisQueueBackend], Any]] = {
    "enqueue": lambda b: b.enqueue("a", "j"),
    "enqueue_many": lambda b: b.enqueue_many([EnqueueRequest("a", "j")]),
    "claim": lambda b: b.claim("w", 60),
    "claim one app": lambda b: b.claim("w", 60, ["a"]),
    "wake": lambda b: b.wake([WakeRequest("a", "j")]),
    "get": lambda b: b.get("a", "j"),
    "list_jobs": lambda b: b.list_jobs(),
    "counts": lambda b: b.counts("a"),
    "now": lambda b: b.now(),
}


@pytest.mark.parametrize("call", list(CALLS))
def test_an_unreachable_server_is_named_in_backend_unavailable(call: str) -> None:
    port = free_port()  # nothing listens there
    backend = make_backend_at(f"redis://127.0.0.1:{port}/2", retry_seconds=0.2)
    with pytest.raises(BackendUnavailable, match=f"redis://127.0.0.1:{port}/2"):
        CALLS[call](backend)


def test_the_address_in_errors_hides_the_password() -> None:
    port = free_port()
    backend = make_backend_at(f"redis://stolos:s3cret@127.0.0.1:{port}/0", retry_seconds=0)
    with pytest.raises(BackendUnavailable) as caught:
        backend.now()
    assert f"redis://stolos:***@127.0.0.1:{port}/0" in str(caught.value)
    assert "s3cret" not in str(caught.value)


def make_backend_at(url: str, *, retry_seconds: float) -> RedisQueueBackend:
    connection = connect(
        url=url, host="", port=0, db=0, socket_timeout=1, retry_seconds=retry_seconds
    )
    return RedisQueueBackend(connection, prefix=unique_prefix())


@contextmanager
def restarted_after(server: RedisServer, seconds: float) -> Iterator[None]:
    """Stop the server now and start it again (same port, same data) ``seconds`` later,
    while the body runs."""
    server.stop()
    starter = threading.Timer(seconds, server.start)
    starter.start()
    try:
        yield
    finally:
        starter.join()


def test_a_worker_carries_on_through_a_server_restart(redis_server: RedisServer) -> None:
    backend = make_backend(redis_server, prefix=unique_prefix())
    try:
        backend.enqueue("a", "first")
        backend.enqueue("a", "second")
        lease = backend.claim("w", 600)
        assert lease is not None
        with restarted_after(redis_server, 0.5):
            started = time.monotonic()
            assert backend.enqueue("a", "third") == (True, State.QUEUED)
            assert time.monotonic() - started >= 0.4  # it did wait for the server
        # Everything written before the restart is still there, the lease included.
        assert backend.finish(lease, State.COMPLETED).state is State.COMPLETED
        backend.release(lease)
        assert [backend.claim("w", 600).job_id for _ in range(2)] == ["second", "third"]  # type: ignore[union-attr]
        assert backend.get("a", "first").state is State.COMPLETED  # type: ignore[union-attr]
    finally:
        backend.close()


def test_a_worker_reconnects_after_a_server_crash(
    redis_backend: RedisQueueBackend, redis_server: RedisServer
) -> None:
    redis_backend.enqueue("a", "before")
    redis_server.kill()  # SIGKILL; with appendfsync everysec the last writes may be lost
    redis_server.start()
    assert redis_backend.enqueue("a", "after") == (True, State.QUEUED)
    lease = redis_backend.claim("w", 600, ["a"])
    assert lease is not None
    assert redis_backend.finish(lease, State.COMPLETED).state is State.COMPLETED


def test_scripts_are_loaded_again_after_a_script_flush(
    redis_backend: RedisQueueBackend, redis_server: RedisServer
) -> None:
    redis_backend.enqueue("a", "j1")
    client = redis_server.client()
    try:
        client.script_flush()
        assert redis_backend.enqueue("a", "j2") == (True, State.QUEUED)  # one script
        client.script_flush()
        states = redis_backend.wake([WakeRequest("a", "j3"), WakeRequest("b", "j4")])  # pipelined
        assert states == [State.QUEUED, State.QUEUED]
    finally:
        client.close()
    assert [r.job_id for r in redis_backend.list_jobs()] == ["j1", "j2", "j3", "j4"]


@pytest.fixture
def lose_next_reply(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Arm a fault: the next script call reaches the server and runs, but its reply is
    lost (the connection drops), so the backend sends the same call again."""
    armed: list[bool] = []

    def arm() -> None:
        armed.append(True)

    def failing(run: Callable[..., Any]) -> Callable[..., Any]:
        def run_then_drop(self: Scripts, *args: Any, **kwargs: Any) -> Any:
            result = run(self, *args, **kwargs)
            if armed:
                armed.clear()
                raise RedisConnectionError("connection reset by peer")
            return result

        return run_then_drop

    monkeypatch.setattr(Scripts, "run", failing(Scripts.run))
    monkeypatch.setattr(Scripts, "run_many", failing(Scripts.run_many))
    return arm


def test_a_step_whose_reply_was_lost_answers_as_the_first_time(
    redis_backend: RedisQueueBackend, lose_next_reply: Callable[[], None]
) -> None:
    backend = redis_backend
    lose_next_reply()
    assert backend.enqueue("a", "j") == (True, State.QUEUED)
    lease = backend.claim("w", 600)
    assert lease is not None
    lose_next_reply()
    assert backend.park(lease) is State.WAITING
    backend.wake([WakeRequest("a", "j")])
    lease = backend.claim("w", 600)
    assert lease is not None
    lose_next_reply()
    backend.retry(lease, not_before=None, message="exit 1")
    lease = backend.claim("w", 600)
    assert lease is not None
    lose_next_reply()
    assert backend.finish(lease, State.FAILED, message="exit 1").state is State.FAILED
    lose_next_reply()
    backend.release(lease)
    lose_next_reply()
    assert backend.readd("a", "j") is State.FAILED
    lose_next_reply()
    assert backend.mark([("a", "j")], State.PENDING, only_from=[State.QUEUED]) == [True]
    states = [t.state for t in backend.history("a", "j")]
    assert states == [
        State.QUEUED,
        State.RUNNING,
        State.WAITING,
        State.QUEUED,
        State.RUNNING,
        State.QUEUED,
        State.RUNNING,
        State.FAILED,
        State.QUEUED,
        State.PENDING,
    ]  # every step once
    with pytest.raises(LeaseLost):  # a new call is judged afresh
        backend.finish(lease, State.COMPLETED)


def test_a_finish_with_release_whose_reply_was_lost_answers_as_the_first_time(
    redis_backend: RedisQueueBackend, lose_next_reply: Callable[[], None]
) -> None:
    backend = redis_backend
    backend.enqueue("a", "j")
    lease = backend.claim("w", 600)
    assert lease is not None
    lose_next_reply()
    assert backend.finish(lease, State.COMPLETED, release=True).state is State.COMPLETED
    job = backend.get("a", "j")
    assert job is not None
    assert (job.state, job.effects_pending, job.lease_owner) == (State.COMPLETED, False, None)
    states = [t.state for t in backend.history("a", "j")]
    assert states == [State.QUEUED, State.RUNNING, State.COMPLETED]  # finished once
    with pytest.raises(LeaseLost):  # a new call is judged afresh
        backend.finish(lease, State.COMPLETED, release=True)


def test_a_batch_whose_reply_was_lost_answers_as_the_first_time(
    redis_backend: RedisQueueBackend, lose_next_reply: Callable[[], None]
) -> None:
    backend = redis_backend
    backend.enqueue("a", "old")
    requests = [
        EnqueueRequest("a", "new"),
        EnqueueRequest("b", "new", skip_reason="fails valid_if_or"),
        EnqueueRequest("a", "old"),
        EnqueueRequest("a", "new"),
    ]
    lose_next_reply()
    assert backend.enqueue_many(requests) == [
        (True, State.QUEUED),
        (True, State.SKIPPED),
        (False, State.QUEUED),
        (False, State.QUEUED),
    ]
    for app, job_id in [("a", "new"), ("b", "new"), ("a", "old")]:
        assert len(backend.history(app, job_id)) == 1  # created once, by the first send
    assert backend.enqueue_many(requests[:1]) == [(False, State.QUEUED)]  # a new call


@pytest.mark.parametrize("apps", [["a"], None], ids=["one app", "every app"])
def test_a_claim_whose_reply_was_lost_gets_the_job_it_leased(
    redis_backend: RedisQueueBackend, lose_next_reply: Callable[[], None], apps: list[str] | None
) -> None:
    backend = redis_backend
    backend.enqueue("a", "first")
    backend.enqueue("a", "second")
    backend.enqueue("b", "other")
    lose_next_reply()
    lease = backend.claim("w", 600, apps)
    assert lease is not None and (lease.app, lease.job_id, lease.attempt) == ("a", "first", 1)
    assert [t.state for t in backend.history("a", "first")] == [State.QUEUED, State.RUNNING]
    assert backend.queue_size("a", queued=False) == 1  # no other job leased to nobody
    backend.finish(lease, State.COMPLETED)
    backend.release(lease)
    assert backend.get("a", "first").state is State.COMPLETED  # type: ignore[union-attr]
