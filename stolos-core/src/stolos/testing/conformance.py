"""The conformance suite of queue backends: the contract of
:class:`stolos.queue.QueueBackend`, checked through its public methods only.

A backend passes when its subclass of :class:`QueueBackendConformance` passes; the
built-in SQLite backend and every plugin backend run the same tests.  Subclass it in a
test module (its name has no ``Test`` prefix, so pytest collects only the subclass) and
provide one fixture, ``backend``: a fresh, empty backend::

    class TestMyBackend(QueueBackendConformance):
        @pytest.fixture
        def backend(self, tmp_path):
            backend = MyBackend(...)
            yield backend
            backend.close()

Optional hooks:

* ``backend_factory``: a fixture returning a callable that opens *another* client on the
  same store.  The concurrency tests give each thread its own client; by default they
  share ``backend``.
* ``supports_clock = True``: the backend's clock can be injected.  Its ``backend`` (and
  ``backend_factory``) fixture then passes the ``clock`` fixture, a :class:`FakeClock`,
  to the backend, and the suite moves time instead of waiting.  Without it, leases are
  made to expire with real sleeps of a few ``real_time_unit`` seconds.

Bounded cost (claim and finish in a constant number of round trips whatever the queue
length) is not tested here: a wall-clock test would be flaky and prove little.  Each
backend documents how it meets it, and ``benchmarks/`` measures it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import ClassVar

import pytest

from stolos.errors import LeaseLost
from stolos.queue.contract import QueueBackend
from stolos.queue.records import (
    FINISHED,
    EnqueueRequest,
    JobRecord,
    Lease,
    State,
    WakeRequest,
)

LONG_LEASE = 3600.0
"""A lease that never expires during a test."""

CLOCK_UNIT = 10.0
"""Seconds of fake time in one unit of :meth:`QueueBackendConformance.travel`."""

ODD_NAMES = [
    "20140601_876",
    "a/b/../c",
    "with space",
    "quote'double\"back`",
    "ünïcödé-日本語",
    "$(touch x)",
    "semi;colon|pipe&&amp",
    "percent%s{job_id}*?[x]",
    "new\nline\ttab",
    "-starts-with-dash",
]


class FakeClock:
    """A clock that stands still until :meth:`advance` moves it."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.time = start

    def __call__(self) -> float:
        return self.time

    def advance(self, seconds: float) -> None:
        self.time += seconds


# --- helpers ---------------------------------------------------------------------------


def claim_one(
    backend: QueueBackend,
    worker: str = "w1",
    lease_seconds: float = LONG_LEASE,
    apps: Sequence[str] | None = None,
) -> Lease:
    """Claim, insisting that a job was available."""
    lease = backend.claim(worker, lease_seconds, apps)
    assert lease is not None, f"{worker} found nothing to claim in {apps or 'any app'}"
    return lease


def drain(backend: QueueBackend, apps: Sequence[str] | None = None) -> list[str]:
    """Claim every claimable job; their job_ids in claim order."""
    claimed = []
    while (lease := backend.claim("drainer", LONG_LEASE, apps)) is not None:
        claimed.append(lease.job_id)
    return claimed


def record(backend: QueueBackend, app: str, job_id: str) -> JobRecord:
    found = backend.get(app, job_id)
    assert found is not None, f"{app}/{job_id} does not exist"
    return found


def make_job(backend: QueueBackend, app: str, job_id: str, state: State) -> Lease | None:
    """Bring a new job into ``state`` through the contract (``app`` must hold no other
    queued job).  Returns the lease when the job ends up held (``running``)."""
    if state is State.PENDING:
        backend.enqueue(app, job_id, queue=False)
        return None
    backend.enqueue(app, job_id)
    if state is State.QUEUED:
        return None
    lease = claim_one(backend, "maker", apps=[app])
    assert (lease.app, lease.job_id) == (app, job_id)
    if state is State.RUNNING:
        return lease
    if state is State.WAITING:
        assert backend.park(lease) is State.WAITING
        return None
    backend.release(backend.finish(lease, state, message=f"made {state}"))
    return None


def is_subsequence(expected: Sequence[object], actual: Sequence[object]) -> bool:
    remaining = iter(actual)
    return all(any(item == seen for seen in remaining) for item in expected)


def give_back(backend: QueueBackend, lease: Lease) -> None:
    backend.release(lease)


def retry_at_once(backend: QueueBackend, lease: Lease) -> None:
    backend.retry(lease, not_before=None)


def park_while_woken(backend: QueueBackend, lease: Lease) -> None:
    backend.wake([WakeRequest(lease.app, lease.job_id)])
    assert backend.park(lease) is State.QUEUED


def wake_from_waiting(backend: QueueBackend, lease: Lease) -> None:
    backend.park(lease)
    assert backend.wake([WakeRequest(lease.app, lease.job_id)]) == [State.QUEUED]


def mark_queued(backend: QueueBackend, lease: Lease) -> None:
    backend.park(lease)
    assert backend.mark([(lease.app, lease.job_id)], State.QUEUED, only_from=[State.WAITING])


def readd_failed(backend: QueueBackend, lease: Lease) -> None:
    backend.release(backend.finish(lease, State.FAILED))
    backend.readd(lease.app, lease.job_id)


REQUEUE: dict[str, Callable[[QueueBackend, Lease], None]] = {
    f.__name__: f
    for f in (
        give_back,
        retry_at_once,
        park_while_woken,
        wake_from_waiting,
        mark_queued,
        readd_failed,
    )
}
"""Every way a claimed job is queued again."""


class QueueBackendConformance:
    """Tests of every guarantee of :class:`~stolos.queue.QueueBackend`.  See the module
    docstring for how to run them against a backend."""

    supports_clock: ClassVar[bool] = False
    real_time_unit: ClassVar[float] = 0.3
    concurrent_clients: ClassVar[int] = 6
    concurrent_jobs: ClassVar[int] = 200

    # --- fixtures a backend provides or overrides -------------------------------------

    @pytest.fixture
    def backend(self) -> QueueBackend:
        raise NotImplementedError(f"{type(self).__name__} must define a `backend` fixture")

    @pytest.fixture
    def backend_factory(self, backend: QueueBackend) -> Callable[[], QueueBackend]:
        return lambda: backend

    @pytest.fixture
    def clock(self) -> FakeClock:
        return FakeClock()

    @property
    def unit(self) -> float:
        """Seconds (on the backend's clock) in one unit of :meth:`travel`."""
        return CLOCK_UNIT if self.supports_clock else self.real_time_unit

    @pytest.fixture
    def travel(self, request: pytest.FixtureRequest) -> Callable[[float], None]:
        """Let ``units`` units of time pass for the backend."""
        if self.supports_clock:
            clock: FakeClock = request.getfixturevalue("clock")
            return lambda units: clock.advance(units * CLOCK_UNIT)
        return lambda units: time.sleep(units * self.real_time_unit)

    def test_clock_is_the_one_the_suite_moves(
        self, backend: QueueBackend, travel: Callable[[float], None]
    ) -> None:
        before = backend.now()
        travel(1)
        assert backend.now() >= before + self.unit

    # --- enqueue ----------------------------------------------------------------------

    def test_enqueue_creates_a_queued_job(self, backend: QueueBackend) -> None:
        assert backend.enqueue("a", "j", priority=7, worker="submitter") == (True, State.QUEUED)
        job = record(backend, "a", "j")
        assert (job.state, job.priority, job.attempts, job.lease_owner) == (
            State.QUEUED,
            7,
            0,
            None,
        )
        assert [(t.state, t.worker) for t in backend.history("a", "j")] == [
            (State.QUEUED, "submitter")
        ]
        assert claim_one(backend).job_id == "j"

    def test_enqueue_without_queueing_makes_a_pending_job(self, backend: QueueBackend) -> None:
        assert backend.enqueue("a", "j", queue=False) == (True, State.PENDING)
        assert record(backend, "a", "j").state is State.PENDING
        assert backend.claim("w1", LONG_LEASE) is None

    def test_enqueue_with_a_skip_reason_makes_a_skipped_job(self, backend: QueueBackend) -> None:
        assert backend.enqueue("a", "j", skip_reason="fails valid_if_or") == (
            True,
            State.SKIPPED,
        )
        job = record(backend, "a", "j")
        assert (job.state, job.last_error) == (State.SKIPPED, "fails valid_if_or")
        assert backend.claim("w1", LONG_LEASE) is None

    @pytest.mark.parametrize("state", list(State))
    def test_enqueue_changes_no_existing_job(self, backend: QueueBackend, state: State) -> None:
        make_job(backend, "a", "j", state)
        before, history = record(backend, "a", "j"), backend.history("a", "j")
        assert backend.enqueue("a", "j", priority=1) == (False, state)
        assert backend.enqueue("a", "j", queue=False, skip_reason="no") == (False, state)
        assert record(backend, "a", "j") == before
        assert backend.history("a", "j") == history

    # --- enqueue_many -----------------------------------------------------------------

    def test_enqueue_many_creates_absent_jobs_as_enqueue_does(self, backend: QueueBackend) -> None:
        requests = [
            EnqueueRequest("a", "queued", priority=7),
            EnqueueRequest("b", "pending", queue=False),
            EnqueueRequest("a", "skipped", skip_reason="fails valid_if_or"),
            EnqueueRequest("b", "skipped-unqueued", queue=False, skip_reason="fails too"),
        ]
        results = backend.enqueue_many(requests, worker="submitter")
        states = [State.QUEUED, State.PENDING, State.SKIPPED, State.SKIPPED]
        assert results == [(True, state) for state in states]
        for request, state in zip(requests, states, strict=True):
            job = record(backend, request.app, request.job_id)
            assert (job.state, job.priority, job.attempts, job.last_error) == (
                state,
                request.priority,
                0,
                request.skip_reason,
            )
            history = backend.history(request.app, request.job_id)
            assert [(t.state, t.worker) for t in history] == [(state, "submitter")]
        assert drain(backend) == ["queued"]

    def test_enqueue_many_leaves_existing_jobs_and_answers_in_order(
        self, backend: QueueBackend
    ) -> None:
        for state in State:  # one app per state: make_job needs an app with no queued job
            make_job(backend, state.value, "old", state)
        before = {
            s: (record(backend, s.value, "old"), backend.history(s.value, "old")) for s in State
        }
        requests = [
            request
            for state in State
            for request in (
                EnqueueRequest(state.value, "old", priority=1, queue=False, skip_reason="no"),
                EnqueueRequest(state.value, "new"),
            )
        ]
        results = backend.enqueue_many(requests)
        assert results == [
            answer for state in State for answer in ((False, state), (True, State.QUEUED))
        ]
        after = {
            s: (record(backend, s.value, "old"), backend.history(s.value, "old")) for s in State
        }
        assert after == before

    def test_enqueue_many_queues_as_one_by_one(self, backend: QueueBackend) -> None:
        backend.enqueue("a", "before")
        job_ids = [f"j{i}" for i in (5, 3, 9, 1, 7, 2, 8, 0, 6, 4)]
        requests = [EnqueueRequest(app, f"{app}-{job_id}") for job_id in job_ids for app in "ab"]
        requests.insert(7, EnqueueRequest("a", "urgent", priority=5))
        backend.enqueue_many(requests)
        backend.enqueue("a", "after")
        assert drain(backend, ["a"]) == ["urgent", "before", *(f"a-{j}" for j in job_ids), "after"]
        assert drain(backend, ["b"]) == [f"b-{j}" for j in job_ids]

    def test_enqueue_many_creates_a_job_named_twice_once(self, backend: QueueBackend) -> None:
        requests = [
            EnqueueRequest("a", "j"),
            EnqueueRequest("b", "j"),
            EnqueueRequest("a", "j", priority=1, queue=False),
        ]
        assert backend.enqueue_many(requests) == [
            (True, State.QUEUED),
            (True, State.QUEUED),
            (False, State.QUEUED),
        ]
        assert record(backend, "a", "j").priority == requests[0].priority
        assert len(backend.history("a", "j")) == 1
        assert drain(backend, ["a"]) == ["j"]

    def test_enqueue_many_of_more_jobs_than_one_batch(self, backend: QueueBackend) -> None:
        """More jobs than the built-in backends send at once: every one created, in
        order, and a job named again far from its first mention created once."""
        job_ids = [f"{i:04d}" for i in reversed(range(1234))]
        requests = [EnqueueRequest("a", job_id) for job_id in job_ids]
        requests.append(EnqueueRequest("a", job_ids[0]))
        created = [True] * len(job_ids) + [False]
        assert backend.enqueue_many(requests) == [(c, State.QUEUED) for c in created]
        assert drain(backend, ["a"]) == job_ids

    def test_enqueue_many_of_nothing_does_nothing(self, backend: QueueBackend) -> None:
        assert backend.enqueue_many([]) == []
        assert backend.counts() == {}

    def test_each_job_is_created_once_by_concurrent_batches(
        self, backend: QueueBackend, backend_factory: Callable[[], QueueBackend]
    ) -> None:
        job_ids = [f"j{i:04d}" for i in range(self.concurrent_jobs)]
        clients = [backend_factory() for _ in range(self.concurrent_clients)]
        start = threading.Barrier(len(clients))

        def submit(index: int) -> list[str]:
            """Every client submits every job, each from its own starting point."""
            shift = index * len(job_ids) // len(clients)
            mine = job_ids[shift:] + job_ids[:shift]
            start.wait()
            results = clients[index].enqueue_many([EnqueueRequest("a", j) for j in mine])
            return [job_id for job_id, (created, _) in zip(mine, results, strict=True) if created]

        with ThreadPoolExecutor(len(clients)) as pool:
            created = [j for mine in pool.map(submit, range(len(clients))) for j in mine]
        assert sorted(created) == job_ids
        assert backend.counts("a") == {"a": {State.QUEUED: len(job_ids)}}
        assert backend.queue_size("a") == len(job_ids)

    # --- readd ------------------------------------------------------------------------

    def test_readd_of_an_absent_job_creates_it(self, backend: QueueBackend) -> None:
        assert backend.readd("a", "j") is None
        assert record(backend, "a", "j").state is State.QUEUED

    @pytest.mark.parametrize("state", [State.QUEUED, State.RUNNING])
    def test_readd_leaves_a_queued_or_running_job_alone(
        self, backend: QueueBackend, state: State
    ) -> None:
        make_job(backend, "a", "j", state)
        before = record(backend, "a", "j")
        assert backend.readd("a", "j") is state
        assert record(backend, "a", "j") == before

    @pytest.mark.parametrize(
        "state",
        [
            State.PENDING,
            State.WAITING,
            State.COMPLETED,
            State.FAILED,
            State.SKIPPED,
            State.UPSTREAM_FAILED,
        ],
    )
    def test_readd_starts_any_other_job_over_at_the_back(
        self, backend: QueueBackend, state: State
    ) -> None:
        make_job(backend, "a", "j", state)
        backend.enqueue("a", "queued-before-readd")
        assert backend.readd("a", "j") is state
        job = record(backend, "a", "j")
        assert (job.state, job.attempts, job.wake, job.not_before, job.last_error) == (
            State.QUEUED,
            0,
            False,
            None,
            None,
        )
        assert (job.lease_owner, job.effects_pending) == (None, False)
        assert drain(backend) == ["queued-before-readd", "j"]

    def test_readd_with_a_skip_reason_skips_the_job(self, backend: QueueBackend) -> None:
        make_job(backend, "a", "j", State.FAILED)
        assert backend.readd("a", "j", skip_reason="now invalid") is State.FAILED
        job = record(backend, "a", "j")
        assert (job.state, job.last_error) == (State.SKIPPED, "now invalid")
        assert backend.claim("w1", LONG_LEASE) is None

    # --- queue order ------------------------------------------------------------------

    def test_lower_priority_numbers_are_claimed_first(self, backend: QueueBackend) -> None:
        for priority in (100, 20, 1, 5, 1000, 3):
            backend.enqueue("a", f"p{priority}", priority=priority)
        assert drain(backend) == ["p1", "p3", "p5", "p20", "p100", "p1000"]

    @pytest.mark.parametrize("apps", [None, ["a", "b"]])
    def test_priorities_order_claims_across_apps(
        self, backend: QueueBackend, apps: list[str] | None
    ) -> None:
        backend.enqueue("a", "a20", priority=20)
        backend.enqueue("b", "b5", priority=5)
        backend.enqueue("a", "a5", priority=5)
        backend.enqueue("b", "b100", priority=100)
        assert drain(backend, apps) == ["b5", "a5", "a20", "b100"]

    def test_jobs_of_one_priority_are_claimed_first_in_first_out(
        self, backend: QueueBackend
    ) -> None:
        job_ids = [f"j{i}" for i in (5, 3, 9, 1, 7, 2, 8, 0, 6, 4)]
        for job_id in job_ids:
            backend.enqueue("a", job_id)
        assert drain(backend) == job_ids

    @pytest.mark.parametrize("requeue", list(REQUEUE))
    def test_a_job_queued_again_goes_to_the_back_of_its_priority(
        self, backend: QueueBackend, requeue: str
    ) -> None:
        backend.enqueue("a", "first")
        backend.enqueue("a", "second")
        lease = claim_one(backend)
        assert lease.job_id == "first"
        backend.enqueue("a", "third")
        backend.enqueue("a", "less-urgent", priority=200)
        REQUEUE[requeue](backend, lease)
        assert drain(backend) == ["second", "third", "first", "less-urgent"]

    # --- claim ------------------------------------------------------------------------

    def test_claim_of_an_empty_queue_returns_none(self, backend: QueueBackend) -> None:
        assert backend.claim("w1", LONG_LEASE) is None
        backend.enqueue("a", "j")
        assert backend.claim("w1", LONG_LEASE, ["other"]) is None
        assert backend.claim("w1", LONG_LEASE, []) is None

    def test_claim_takes_only_jobs_of_the_requested_apps(self, backend: QueueBackend) -> None:
        for app in ("a", "b", "c"):
            backend.enqueue(app, f"{app}1")
        assert claim_one(backend, apps=["b"]).job_id == "b1"
        assert backend.claim("w1", LONG_LEASE, ["b"]) is None
        assert drain(backend, ["c", "a"]) == ["a1", "c1"]

    def test_claim_gives_a_lease_on_a_running_job(self, backend: QueueBackend) -> None:
        backend.enqueue("a", "j")
        before = backend.now()
        lease = claim_one(backend, "w1", 60.0)
        after = backend.now()
        assert (lease.app, lease.job_id, lease.worker, lease.attempt) == ("a", "j", "w1", 1)
        assert (lease.state, lease.resume) == (State.RUNNING, False)
        assert before + 60.0 <= lease.expires <= after + 60.0
        job = record(backend, "a", "j")
        assert (job.state, job.attempts, job.lease_owner, job.lease_token) == (
            State.RUNNING,
            1,
            "w1",
            lease.token,
        )
        assert job.lease_expires == pytest.approx(lease.expires)

    def test_a_claimed_job_is_not_claimed_again(self, backend: QueueBackend) -> None:
        backend.enqueue("a", "j")
        claim_one(backend, "w1")
        assert backend.claim("w2", LONG_LEASE) is None
        assert backend.queue_size("a", queued=True, taken=False) == 0

    def test_fencing_tokens_strictly_increase(self, backend: QueueBackend) -> None:
        backend.enqueue("a", "j1")
        backend.enqueue("a", "j2")
        first = claim_one(backend)
        second = claim_one(backend)
        backend.release(first)
        third = claim_one(backend)
        assert third.job_id == "j1"
        assert first.token < second.token < third.token

    def test_each_job_is_claimed_once_by_concurrent_clients(
        self, backend: QueueBackend, backend_factory: Callable[[], QueueBackend]
    ) -> None:
        job_ids = [f"j{i:04d}" for i in range(self.concurrent_jobs)]
        for job_id in job_ids:
            backend.enqueue("a", job_id)
        clients = [backend_factory() for _ in range(self.concurrent_clients)]
        start = threading.Barrier(len(clients))

        def work(index: int) -> list[tuple[str, int]]:
            client, worker, claimed = clients[index], f"w{index}", []
            start.wait()
            while (lease := client.claim(worker, LONG_LEASE)) is not None:
                claimed.append((lease.job_id, lease.token))
                client.release(client.finish(lease, State.COMPLETED))
            return claimed

        with ThreadPoolExecutor(len(clients)) as pool:
            claims = [c for claimed in pool.map(work, range(len(clients))) for c in claimed]
        assert sorted(job_id for job_id, _ in claims) == job_ids
        assert len({token for _, token in claims}) == len(job_ids)
        assert backend.counts("a") == {"a": {State.COMPLETED: len(job_ids)}}

    # --- leases -----------------------------------------------------------------------

    def test_renew_extends_the_lease(
        self, backend: QueueBackend, travel: Callable[[float], None]
    ) -> None:
        backend.enqueue("a", "j")
        lease = claim_one(backend, "w1", 2 * self.unit)
        travel(1)
        renewed = backend.renew(lease, 4 * self.unit)
        assert renewed.token == lease.token
        assert renewed.expires > lease.expires
        travel(2)  # past the first expiry, within the renewed one
        assert backend.claim("w2", LONG_LEASE) is None
        assert backend.finish(renewed, State.COMPLETED).state is State.COMPLETED

    def test_an_expired_lease_returns_the_job_to_the_back_of_the_queue(
        self, backend: QueueBackend, travel: Callable[[float], None]
    ) -> None:
        backend.enqueue("a", "j")
        claim_one(backend, "w1", self.unit)
        backend.enqueue("a", "queued-meanwhile")
        travel(2)
        assert drain(backend) == ["queued-meanwhile", "j"]
        assert record(backend, "a", "j").attempts == 2  # the lost attempt counts

    def test_a_worker_whose_lease_expired_cannot_write(
        self, backend: QueueBackend, travel: Callable[[float], None]
    ) -> None:
        backend.enqueue("a", "j")
        old = claim_one(backend, "w1", self.unit)
        travel(2)
        new = claim_one(backend, "w2")
        assert (new.job_id, new.attempt) == ("j", 2)
        assert new.token > old.token
        before, history = record(backend, "a", "j"), backend.history("a", "j")
        writes: list[Callable[[], object]] = [
            lambda: backend.renew(old, LONG_LEASE),
            lambda: backend.finish(old, State.COMPLETED),
            lambda: backend.finish(old, State.COMPLETED, release=True),
            lambda: backend.park(old),
            lambda: backend.retry(old, not_before=None),
        ]
        for write in writes:
            with pytest.raises(LeaseLost):
                write()
        backend.release(old)  # a lease no longer held is ignored
        assert record(backend, "a", "j") == before
        assert backend.history("a", "j") == history
        assert backend.finish(new, State.COMPLETED).state is State.COMPLETED

    def test_the_token_fences_a_worker_that_claimed_its_job_again(
        self, backend: QueueBackend, travel: Callable[[float], None]
    ) -> None:
        backend.enqueue("a", "j")
        stale = claim_one(backend, "w1", self.unit)
        travel(2)
        current = claim_one(backend, "w1")  # the same worker name, e.g. after a restart
        assert current.token > stale.token
        with pytest.raises(LeaseLost):
            backend.finish(stale, State.COMPLETED)
        backend.release(stale)
        job = record(backend, "a", "j")
        assert (job.state, job.lease_token) == (State.RUNNING, current.token)
        assert backend.finish(current, State.COMPLETED).state is State.COMPLETED

    def test_release_of_a_running_job_gives_it_back_uncounted(self, backend: QueueBackend) -> None:
        backend.enqueue("a", "j")
        lease = claim_one(backend)
        backend.release(lease)
        job = record(backend, "a", "j")
        assert (job.state, job.attempts, job.lease_owner) == (State.QUEUED, 0, None)
        again = claim_one(backend, "w2")
        assert (again.job_id, again.attempt) == ("j", 1)
        with pytest.raises(LeaseLost):
            backend.finish(lease, State.COMPLETED)

    # --- finish -----------------------------------------------------------------------

    @pytest.mark.parametrize("state", sorted(FINISHED))
    def test_finish_writes_the_outcome_and_keeps_the_lease(
        self, backend: QueueBackend, state: State
    ) -> None:
        backend.enqueue("a", "j")
        lease = claim_one(backend)
        done = backend.finish(lease, state, message="outcome", log_path="/logs/a/j.log")
        assert (done.state, done.token, done.job_id) == (state, lease.token, "j")
        job = record(backend, "a", "j")
        assert (job.state, job.effects_pending, job.lease_owner) == (state, True, "w1")
        assert (job.last_error, job.log_path) == ("outcome", "/logs/a/j.log")
        assert backend.claim("w2", LONG_LEASE) is None
        backend.renew(done, LONG_LEASE)  # heartbeats go on during bubble-down
        backend.release(done)
        job = record(backend, "a", "j")
        assert (job.state, job.effects_pending, job.lease_owner) == (state, False, None)
        assert backend.claim("w2", LONG_LEASE) is None

    @pytest.mark.parametrize("state", sorted(FINISHED))
    def test_finish_with_release_writes_the_outcome_and_lets_go_at_once(
        self, backend: QueueBackend, state: State, travel: Callable[[float], None]
    ) -> None:
        backend.enqueue("a", "j")
        lease = claim_one(backend, "w1", self.unit)
        done = backend.finish(
            lease, state, message="outcome", log_path="/logs/a/j.log", release=True
        )
        assert (done.state, done.token, done.job_id) == (state, lease.token, "j")
        job = record(backend, "a", "j")
        assert (job.state, job.effects_pending, job.lease_owner) == (state, False, None)
        assert (job.last_error, job.log_path) == ("outcome", "/logs/a/j.log")
        with pytest.raises(LeaseLost):
            backend.renew(done, LONG_LEASE)
        travel(2)  # past the lease it had: nothing is left to resume
        assert backend.claim("w2", LONG_LEASE) is None
        assert record(backend, "a", "j") == job
        history = [(t.state, t.worker, t.attempt, t.message) for t in backend.history("a", "j")]
        assert history[-1] == (state, "w1", 1, "outcome")
        assert [entry[0] for entry in history].count(state) == 1

    def test_effects_left_pending_by_a_vanished_worker_are_resumed(
        self, backend: QueueBackend, travel: Callable[[float], None]
    ) -> None:
        backend.enqueue("a", "j")
        lease = claim_one(backend, "w1", self.unit)
        backend.finish(lease, State.COMPLETED)
        backend.enqueue("a", "queued-meanwhile")
        travel(2)
        assert backend.claim("w2", LONG_LEASE, ["other"]) is None
        resumed = claim_one(backend, "w2")
        assert (resumed.job_id, resumed.worker, resumed.attempt) == ("j", "w2", 1)
        assert (resumed.state, resumed.resume) == (State.COMPLETED, True)
        assert resumed.token > lease.token
        backend.release(lease)  # the vanished worker's late release is ignored
        assert record(backend, "a", "j").lease_owner == "w2"
        with pytest.raises(LeaseLost):
            backend.renew(lease, LONG_LEASE)
        backend.release(resumed)
        job = record(backend, "a", "j")
        assert (job.state, job.effects_pending, job.lease_owner) == (
            State.COMPLETED,
            False,
            None,
        )
        assert drain(backend) == ["queued-meanwhile"]
        # the job finished once: the resume is recorded, but not as a second completion
        states = [t.state for t in backend.history("a", "j")]
        assert states.count(State.COMPLETED) == 1

    # --- park and wake ----------------------------------------------------------------

    def test_park_makes_the_job_wait_uncounted(self, backend: QueueBackend) -> None:
        backend.enqueue("a", "j")
        lease = claim_one(backend)
        assert backend.park(lease, message="parents not complete") is State.WAITING
        job = record(backend, "a", "j")
        assert (job.state, job.attempts, job.lease_owner) == (State.WAITING, 0, None)
        assert backend.claim("w2", LONG_LEASE) is None
        with pytest.raises(LeaseLost):
            backend.park(lease)

    def test_a_wake_while_leased_makes_park_queue_the_job(self, backend: QueueBackend) -> None:
        backend.enqueue("a", "j")
        lease = claim_one(backend)
        assert backend.wake([WakeRequest("a", "j")], worker="parent-worker") == [State.RUNNING]
        assert record(backend, "a", "j").wake is True
        assert backend.park(lease) is State.QUEUED
        job = record(backend, "a", "j")
        assert (job.state, job.wake, job.attempts, job.lease_owner) == (
            State.QUEUED,
            False,
            0,
            None,
        )
        again = claim_one(backend)
        assert (again.job_id, again.attempt) == ("j", 1)
        assert backend.park(again) is State.WAITING  # the flag was used up

    def test_no_wake_up_is_lost_when_wake_and_park_race(
        self, backend: QueueBackend, backend_factory: Callable[[], QueueBackend]
    ) -> None:
        job_ids = [f"j{i:03d}" for i in range(self.concurrent_jobs // 2)]
        for job_id in job_ids:
            backend.enqueue("a", job_id)
        leases = [claim_one(backend) for _ in job_ids]
        parker, waker = backend_factory(), backend_factory()
        start = threading.Barrier(2)

        def park_all() -> None:
            start.wait()
            for lease in leases:
                parker.park(lease)

        def wake_all() -> None:
            start.wait()
            for job_id in job_ids:
                waker.wake([WakeRequest("a", job_id)])

        with ThreadPoolExecutor(2) as pool:
            for done in [pool.submit(park_all), pool.submit(wake_all)]:
                done.result()
        assert backend.counts("a") == {"a": {State.QUEUED: len(job_ids)}}

    def test_wake_creates_absent_jobs(self, backend: QueueBackend) -> None:
        states = backend.wake(
            [
                WakeRequest("a", "late", priority=50),
                WakeRequest("a", "invalid", skip_reason="fails valid_if_or"),
                WakeRequest("a", "early", priority=5),
            ]
        )
        assert states == [State.QUEUED, State.SKIPPED, State.QUEUED]
        assert record(backend, "a", "invalid").last_error == "fails valid_if_or"
        assert drain(backend) == ["early", "late"]

    @pytest.mark.parametrize("state", [State.PENDING, State.WAITING])
    def test_wake_queues_a_pending_or_waiting_job(
        self, backend: QueueBackend, state: State
    ) -> None:
        make_job(backend, "a", "j", state)
        assert backend.wake([WakeRequest("a", "j")]) == [State.QUEUED]
        assert record(backend, "a", "j").state is State.QUEUED
        assert drain(backend) == ["j"]

    @pytest.mark.parametrize("state", [State.QUEUED, *sorted(FINISHED)])
    def test_wake_leaves_other_jobs_alone(self, backend: QueueBackend, state: State) -> None:
        make_job(backend, "a", "j", state)
        before = record(backend, "a", "j")
        assert backend.wake([WakeRequest("a", "j", skip_reason="ignored")]) == [state]
        assert record(backend, "a", "j") == before

    def test_wake_answers_in_request_order(self, backend: QueueBackend) -> None:
        make_job(backend, "p", "pending", State.PENDING)
        make_job(backend, "r", "running", State.RUNNING)
        make_job(backend, "c", "completed", State.COMPLETED)
        requests = [
            WakeRequest("c", "completed"),
            WakeRequest("n", "new"),
            WakeRequest("r", "running"),
            WakeRequest("p", "pending"),
        ]
        assert backend.wake(requests) == [
            State.COMPLETED,
            State.QUEUED,
            State.RUNNING,
            State.QUEUED,
        ]

    # --- mark -------------------------------------------------------------------------

    def test_mark_changes_only_jobs_in_the_given_states(self, backend: QueueBackend) -> None:
        for state in (State.PENDING, State.WAITING, State.QUEUED, State.COMPLETED):
            make_job(backend, state.value, "j", state)
        keys = [(s, "j") for s in ("pending", "waiting", "queued", "completed")]
        changed = backend.mark(
            [*keys, ("absent", "j")],
            State.UPSTREAM_FAILED,
            only_from=[State.PENDING, State.WAITING, State.QUEUED],
            message="parent failed",
            worker="w9",
        )
        assert changed == [True, True, True, False, False]
        assert backend.get_states(keys) == {
            ("pending", "j"): State.UPSTREAM_FAILED,
            ("waiting", "j"): State.UPSTREAM_FAILED,
            ("queued", "j"): State.UPSTREAM_FAILED,
            ("completed", "j"): State.COMPLETED,
        }
        last = backend.history("queued", "j")[-1]
        assert (last.state, last.worker, last.message) == (
            State.UPSTREAM_FAILED,
            "w9",
            "parent failed",
        )
        assert backend.get("absent", "j") is None
        assert backend.claim("w1", LONG_LEASE) is None

    def test_mark_spares_a_job_with_a_live_lease(self, backend: QueueBackend) -> None:
        running = make_job(backend, "a", "running", State.RUNNING)
        assert running is not None
        make_job(backend, "b", "finishing", State.QUEUED)
        finishing = backend.finish(claim_one(backend, apps=["b"]), State.COMPLETED)
        changed = backend.mark(
            [("a", "running"), ("b", "finishing")],
            State.PENDING,
            only_from=[State.RUNNING, State.COMPLETED],
        )
        assert changed == [False, False]
        assert backend.finish(running, State.COMPLETED).state is State.COMPLETED
        backend.release(finishing)
        assert record(backend, "b", "finishing").effects_pending is False

    def test_mark_takes_a_job_whose_lease_expired(
        self, backend: QueueBackend, travel: Callable[[float], None]
    ) -> None:
        backend.enqueue("a", "j")
        lease = claim_one(backend, "w1", self.unit)
        travel(2)
        assert backend.mark([("a", "j")], State.PENDING, only_from=[State.RUNNING]) == [True]
        job = record(backend, "a", "j")
        assert (job.state, job.lease_owner) == (State.PENDING, None)
        with pytest.raises(LeaseLost):
            backend.finish(lease, State.COMPLETED)

    # --- retry ------------------------------------------------------------------------

    def test_a_delayed_retry_waits_for_its_time(
        self, backend: QueueBackend, travel: Callable[[float], None]
    ) -> None:
        backend.enqueue("a", "j")
        lease = claim_one(backend)
        not_before = backend.now() + 2 * self.unit
        backend.retry(lease, not_before=not_before, message="exit 1", log_path="/logs/j.1")
        job = record(backend, "a", "j")
        assert (job.state, job.attempts, job.lease_owner) == (State.QUEUED, 1, None)
        assert (job.last_error, job.log_path) == ("exit 1", "/logs/j.1")
        assert job.not_before == pytest.approx(not_before)
        assert backend.claim("w2", LONG_LEASE) is None
        assert backend.queue_size("a", queued=True, taken=False) == 1
        travel(3)
        again = claim_one(backend, "w2")
        assert (again.job_id, again.attempt) == ("j", 2)

    def test_a_retry_without_delay_is_claimable_at_once(self, backend: QueueBackend) -> None:
        backend.enqueue("a", "j")
        lease = claim_one(backend)
        backend.retry(lease, not_before=None, message="exit 1")
        with pytest.raises(LeaseLost):
            backend.retry(lease, not_before=None)
        again = claim_one(backend, "w2")
        assert (again.job_id, again.attempt) == ("j", 2)

    # --- reading ----------------------------------------------------------------------

    def test_reads_of_absent_jobs(self, backend: QueueBackend) -> None:
        assert backend.get("a", "j") is None
        assert backend.history("a", "j") == []
        assert backend.get_states([]) == {}
        backend.enqueue("a", "present")
        assert backend.get_states([("a", "j"), ("a", "present"), ("b", "present")]) == {
            ("a", "present"): State.QUEUED
        }

    def test_history_records_every_change_with_worker_and_attempt(
        self, backend: QueueBackend
    ) -> None:
        backend.enqueue("a", "j", worker="submitter")
        backend.retry(claim_one(backend, "w1"), not_before=None, message="exit 1")
        second = claim_one(backend, "w2")
        backend.release(backend.finish(second, State.COMPLETED, message="done"))
        history = backend.history("a", "j")
        expected = [
            (State.QUEUED, "submitter", 0),
            (State.RUNNING, "w1", 1),
            (State.QUEUED, "w1", 1),
            (State.RUNNING, "w2", 2),
            (State.COMPLETED, "w2", 2),
        ]
        assert is_subsequence(expected, [(t.state, t.worker, t.attempt) for t in history])
        assert {"exit 1", "done"} <= {t.message for t in history}
        assert [t.at for t in history] == sorted(t.at for t in history)

    def test_list_jobs_by_app_and_state(self, backend: QueueBackend) -> None:
        for app in ("b", "a"):
            for job_id in ("3", "1", "2"):
                backend.enqueue(app, job_id)
        claim_one(backend, apps=["a"])  # a/3 is the oldest of app a

        def listed(
            app: str | None = None, states: list[State] | None = None, limit: int | None = None
        ) -> list[tuple[str, str]]:
            return [(r.app, r.job_id) for r in backend.list_jobs(app, states, limit)]

        assert listed() == [(a, j) for a in ("a", "b") for j in ("1", "2", "3")]
        assert listed(app="b") == [("b", "1"), ("b", "2"), ("b", "3")]
        assert listed(states=[State.RUNNING]) == [("a", "3")]
        assert listed(app="a", states=[State.QUEUED]) == [("a", "1"), ("a", "2")]
        assert listed(app="a", states=[State.QUEUED, State.RUNNING], limit=2) == [
            ("a", "1"),
            ("a", "2"),
        ]
        assert listed(states=[]) == []
        assert [r.state for r in backend.list_jobs("a")] == [
            State.QUEUED,
            State.QUEUED,
            State.RUNNING,
        ]

    def test_counts_per_app_and_state(self, backend: QueueBackend) -> None:
        make_job(backend, "a", "done", State.COMPLETED)
        make_job(backend, "a", "running", State.RUNNING)
        backend.enqueue("a", "queued")
        backend.enqueue("b", "queued")
        backend.enqueue("b", "pending", queue=False)

        def nonzero(counts: dict[str, dict[State, int]]) -> dict[str, dict[State, int]]:
            kept = {app: {s: n for s, n in per.items() if n} for app, per in counts.items()}
            return {app: per for app, per in kept.items() if per}

        assert nonzero(backend.counts()) == {
            "a": {State.COMPLETED: 1, State.RUNNING: 1, State.QUEUED: 1},
            "b": {State.QUEUED: 1, State.PENDING: 1},
        }
        assert nonzero(backend.counts("b")) == {"b": {State.QUEUED: 1, State.PENDING: 1}}

    def test_queue_size_counts_queued_and_taken_jobs(self, backend: QueueBackend) -> None:
        for job_id in ("1", "2", "3", "4"):
            backend.enqueue("a", job_id)
        backend.enqueue("b", "other")
        backend.enqueue("a", "pending", queue=False)
        backend.retry(claim_one(backend, apps=["a"]), not_before=backend.now() + LONG_LEASE)
        claim_one(backend, apps=["a"])
        assert backend.queue_size("a", queued=True, taken=False) == 3  # one delayed
        assert backend.queue_size("a", queued=False, taken=True) == 1
        assert backend.queue_size("a") == 4

    # --- names ------------------------------------------------------------------------

    @pytest.mark.parametrize("job_id", ODD_NAMES)
    def test_odd_names_round_trip_unchanged(self, backend: QueueBackend, job_id: str) -> None:
        app = "app/ with 'quotes' \"and\" ünï $(touch x)"
        backend.enqueue(app, job_id)
        assert record(backend, app, job_id).job_id == job_id
        assert [(r.app, r.job_id) for r in backend.list_jobs(app)] == [(app, job_id)]
        assert backend.get_states([(app, job_id)]) == {(app, job_id): State.QUEUED}
        lease = claim_one(backend, apps=[app])
        assert (lease.app, lease.job_id) == (app, job_id)
        backend.release(backend.finish(lease, State.COMPLETED))
        assert backend.counts(app) == {app: {State.COMPLETED: 1}}
        assert [t.state for t in backend.history(app, job_id)][-1] is State.COMPLETED

    def test_names_that_share_a_suffix_or_prefix_stay_apart(self, backend: QueueBackend) -> None:
        backend.enqueue("a", "20140101_123")
        assert backend.get("a", "1_123") is None
        assert backend.get("a", "20140101_12") is None
        assert backend.get("aa", "20140101_123") is None
        assert backend.enqueue("a", "1_123") == (True, State.QUEUED)
        assert backend.queue_size("a") == 2
