"""Scheduler scenarios that every queue backend runs: the original's scheduling behaviour
(bubble up, bubble down, retries, skips, re-adds) end to end, through the public
:class:`~stolos.Stolos` and :class:`~stolos.scheduler.Scheduler` API.

Where :class:`~stolos.testing.QueueBackendConformance` checks a backend's contract one
operation at a time, these scenarios check that the scheduler built on it runs whole
pipelines right.  Subclass :class:`SchedulerScenarios` (no ``Test`` prefix, so pytest
collects only the subclass) and provide one fixture, ``make_stolos(tasks, **options)``,
that returns a :class:`~stolos.Stolos` over the app configuration ``tasks`` and a fresh,
empty store of the backend under test; :func:`stolos_for` does the configuration part::

    from stolos.testing import SchedulerScenarios
    from stolos.testing.scenarios import stolos_for

    class TestMyBackendScenarios(SchedulerScenarios):
        @pytest.fixture
        def make_stolos(self, tmp_path):
            made = []
            def make(tasks, **options):
                made.append(stolos_for(tasks, tmp_path, queue_backend="mine", **options))
                return made[-1]
            yield make
            for stolos in made:
                stolos.close()

Jobs are run without a worker by :func:`drain`, with the ``noop`` job type: claim,
succeed or fail, until nothing is runnable.  Every run is checked as it happens (all of
the job's parents are completed) and afterwards against the backend's recorded history.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

from stolos.engine import Stolos
from stolos.errors import JobAlreadyQueued, LeaseLost, StolosError
from stolos.queue import JobKey, State
from stolos.scheduler import ClaimedJob

DATE = "20140601"
LONG_LEASE = 3600.0
SHORT_LEASE = 0.2
"""Seconds: the lease that the expiry scenarios let run out (they wait for it)."""

_files = itertools.count()


def stolos_for(tasks: Mapping[str, Any], directory: Path, **options: Any) -> Stolos:
    """A :class:`Stolos` over ``tasks`` (written to a new JSON file in ``directory``) with
    ``options`` as explicit options and no ``STOLOS_*`` environment."""
    path = directory / f"tasks-{next(_files)}.json"
    path.write_text(json.dumps(tasks), encoding="utf-8")
    return Stolos({"tasks_json": str(path), **options}, environ={})


def app(job_id: str = "{date}", depends_on: Any = None, **keys: Any) -> dict[str, Any]:
    """An app of the ``noop`` job type."""
    conf: dict[str, Any] = {"job_id": job_id, "job_type": "noop", **keys}
    if depends_on is not None:
        conf["depends_on"] = depends_on
    return conf


def chain(length: int, **first: Any) -> dict[str, Any]:
    """Apps ``a0 -> a1 -> ... `` (``a0`` has no parent; ``first`` are its extra keys)."""
    tasks = {"a0": app(**first)}
    for i in range(1, length):
        tasks[f"a{i}"] = app(depends_on={"app_name": [f"a{i - 1}"]})
    return tasks


def drain(
    stolos: Stolos,
    fail: Callable[[ClaimedJob], bool] | None = None,
    *,
    worker: str = "drain",
    lease_seconds: float = LONG_LEASE,
    max_runs: int = 10_000,
) -> list[JobKey]:
    """Claim and finish jobs until the scheduler has nothing runnable; returns the jobs
    run, in order (a job appears once per attempt).  ``fail(job)`` true fails the attempt.

    Before a claimed job "runs", every one of its parents must be completed: the
    scheduler's central promise, checked at the moment it matters.
    """
    ran: list[JobKey] = []
    while len(ran) < max_runs:
        job = stolos.scheduler.claim(worker, lease_seconds)
        if job is None:
            return ran
        parents = [(d.app_name, d.job_id) for d in stolos.dag.parents(*job.key)]
        states = stolos.queue.get_states(parents)
        early = [p for p in parents if states.get(p) is not State.COMPLETED]
        assert not early, f"{job.key} was handed out before its parents {early} completed"
        ran.append(job.key)
        if fail is not None and fail(job):
            stolos.scheduler.failed(job, f"attempt {job.lease.attempt} failed on purpose")
        else:
            stolos.scheduler.succeeded(job)
    raise AssertionError(f"still claiming after {max_runs} runs: {ran[-5:]}")


def failing(*keys: JobKey) -> Callable[[ClaimedJob], bool]:
    """A ``fail`` predicate for :func:`drain`: every attempt of these jobs fails."""
    return lambda job: job.key in keys


def wait_until(stolos: Stolos, moment: float) -> None:
    """Sleep until the backend's clock passes ``moment``."""
    while stolos.queue.now() <= moment:
        time.sleep(0.02)


def check_order(stolos: Stolos, ran: list[JobKey]) -> None:
    """No job ran before its parents: by run order (a parent run in the same drain ran
    earlier), and by the backend's history (each completed job's last start is not before
    its parents' last completion)."""
    for i, key in enumerate(ran):
        for dep in stolos.dag.parents(*key):
            parent = (dep.app_name, dep.job_id)
            later = [j for j in range(i, len(ran)) if ran[j] == parent]
            assert not later, f"{parent} ran after its child {key}"
    for key in dict.fromkeys(ran):
        record = stolos.queue.get(*key)
        if record is None or record.state is not State.COMPLETED:
            continue
        started = _last_at(stolos, key, State.RUNNING)
        for dep in stolos.dag.parents(*key):
            done = _last_at(stolos, (dep.app_name, dep.job_id), State.COMPLETED)
            assert done is not None and started is not None and done <= started, (
                f"{key} started at {started}, before its parent {dep} completed at {done}"
            )


def _last_at(stolos: Stolos, key: JobKey, state: State) -> float | None:
    moments = [t.at for t in stolos.queue.history(*key) if t.state is state]
    return moments[-1] if moments else None


def states_of(stolos: Stolos, keys: Iterable[JobKey]) -> dict[JobKey, State | None]:
    keys = list(keys)
    found = stolos.queue.get_states(keys)
    return {k: found.get(k) for k in keys}


MakeStolos = Callable[..., Stolos]


class SchedulerScenarios:
    """Whole-pipeline scheduling scenarios; subclass with a ``make_stolos`` fixture
    (see the module docstring)."""

    # --- bubble up and bubble down ----------------------------------------------------

    @pytest.mark.parametrize("length", [2, 5])
    def test_chain_submitted_at_the_leaf_queues_every_missing_ancestor(
        self, make_stolos: MakeStolos, length: int
    ) -> None:
        stolos = make_stolos(chain(length))
        stolos.scheduler.submit([(f"a{length - 1}", DATE)])
        ran = drain(stolos)
        assert ran == [(f"a{i}", DATE) for i in range(length)]
        check_order(stolos, ran)

    def test_chain_submitted_at_the_root_bubbles_down(self, make_stolos: MakeStolos) -> None:
        stolos = make_stolos(chain(3))
        stolos.scheduler.submit([("a0", DATE)])
        ran = drain(stolos)
        assert ran == [("a0", DATE), ("a1", DATE), ("a2", DATE)]
        check_order(stolos, ran)

    def test_fan_out_one_parent_queues_every_autofill_child(self, make_stolos: MakeStolos) -> None:
        stolos = make_stolos(
            {
                "p": app(),
                "c": app(
                    "{date}_{client}",
                    {"app_name": ["p"]},
                    autofill_values={"client": ["c1", "c2", "c3"]},
                ),
            }
        )
        stolos.scheduler.submit([("p", DATE)])
        ran = drain(stolos)
        assert ran[0] == ("p", DATE)
        assert sorted(ran[1:]) == [("c", f"{DATE}_c{i}") for i in (1, 2, 3)]
        check_order(stolos, ran)

    @pytest.mark.parametrize("submit_child", [False, True], ids=["parents-first", "child-first"])
    def test_fan_in_child_runs_once_after_all_parents(
        self, make_stolos: MakeStolos, submit_child: bool
    ) -> None:
        clients = [f"c{i}" for i in range(5)]
        stolos = make_stolos(
            {
                "p": app("{date}_{client}", autofill_values={"client": clients}),
                "c": app(depends_on={"app_name": ["p"], "client": "all"}),
            }
        )
        parents = [("p", f"{DATE}_{c}") for c in clients]
        stolos.scheduler.submit([("c", DATE)] if submit_child else parents)
        ran = drain(stolos)
        assert sorted(ran[:-1]) == parents
        assert ran[-1] == ("c", DATE)
        check_order(stolos, ran)

    def test_bubble_up_through_many_missing_ancestors(self, make_stolos: MakeStolos) -> None:
        clients = ["c1", "c2", "c3", "c4"]
        stolos = make_stolos(
            {
                "g": app("{date}_{client}", autofill_values={"client": clients}),
                "p": app(
                    "{date}_{client}", {"app_name": ["g"]}, autofill_values={"client": clients}
                ),
                "c": app(depends_on={"app_name": ["p"], "client": "all"}),
            }
        )
        stolos.scheduler.submit([("c", DATE)])
        ran = drain(stolos)
        expected = {(a, f"{DATE}_{c}") for a in ("g", "p") for c in clients} | {("c", DATE)}
        assert sorted(ran) == sorted(expected)
        assert ran[-1] == ("c", DATE)
        check_order(stolos, ran)

    def test_or_groups_are_selected_by_the_child_job_id(self, make_stolos: MakeStolos) -> None:
        stolos = make_stolos(
            {
                "a": app(),
                "b": app(),
                "x": app(
                    "{date}_{kind}",
                    {
                        "g1": {"app_name": ["a"], "kind": ["k1"]},
                        "g2": {"app_name": ["b"], "kind": ["k2"]},
                    },
                    autofill_values={"kind": []},
                ),
            }
        )
        stolos.scheduler.submit([("a", DATE)])
        ran = drain(stolos)
        assert ran == [("a", DATE), ("x", f"{DATE}_k1")]
        stolos.scheduler.submit([("x", f"{DATE}_k2")])
        ran2 = drain(stolos)
        assert ran2 == [("b", DATE), ("x", f"{DATE}_k2")]
        check_order(stolos, ran + ran2)

    @pytest.mark.parametrize("submit_child", [False, True], ids=["parents-first", "child-first"])
    def test_explicit_job_id_dependencies_work_both_ways(
        self, make_stolos: MakeStolos, submit_child: bool
    ) -> None:
        listed = [f"{DATE}_c1", f"{DATE}_c2"]
        stolos = make_stolos(
            {
                "p": app("{date}_{client}"),
                "e": app(depends_on={"app_name": ["p"], "job_id": listed}),
            }
        )
        parents = [("p", j) for j in listed]
        stolos.scheduler.submit([("e", DATE)] if submit_child else parents)
        ran = drain(stolos)
        assert sorted(ran[:-1]) == parents
        assert ran[-1] == ("e", DATE)
        check_order(stolos, ran)

    # --- submission -------------------------------------------------------------------

    def test_submit_is_idempotent(self, make_stolos: MakeStolos) -> None:
        stolos = make_stolos({"a": app()})
        (first,) = stolos.scheduler.submit([("a", DATE)])
        (again,) = stolos.scheduler.submit([("a", DATE)], priority=1)
        assert (first.created, again.created, again.state) == (True, False, State.QUEUED)
        assert drain(stolos) == [("a", DATE)]
        (late,) = stolos.scheduler.submit([("a", DATE)])
        assert (late.created, late.state) == (False, State.COMPLETED)
        assert drain(stolos) == []

    def test_submit_is_all_or_nothing(self, make_stolos: MakeStolos) -> None:
        stolos = make_stolos({"a": app("{date}_{client}")})
        with pytest.raises(StolosError, match="nodelimiter"):
            stolos.scheduler.submit([("a", f"{DATE}_c1"), ("a", "nodelimiter")])
        with pytest.raises(StolosError, match="nope"):
            stolos.scheduler.submit([("a", f"{DATE}_c1"), ("nope", f"{DATE}_c1")])
        assert stolos.queue.get("a", f"{DATE}_c1") is None

    def test_submit_without_queueing_waits_for_its_parents(self, make_stolos: MakeStolos) -> None:
        stolos = make_stolos(chain(2))
        (known,) = stolos.scheduler.submit([("a1", DATE)], queue=False)
        assert known.state is State.PENDING
        assert drain(stolos) == []
        stolos.scheduler.submit([("a0", DATE)])
        assert drain(stolos) == [("a0", DATE), ("a1", DATE)]

    def test_an_unparsable_queued_job_fails_with_a_message(self, make_stolos: MakeStolos) -> None:
        stolos = make_stolos(
            {
                "a": app("{date}_{client}"),
                "child": app("{date}_{client}", {"app_name": ["a"]}),
            }
        )
        stolos.queue.enqueue("a", "nodelimiter")
        stolos.queue.enqueue("gone", DATE)  # an app since removed from the configuration
        assert drain(stolos) == []
        for name, job_id, expected in (("a", "nodelimiter", "nodelimiter"), ("gone", DATE, "gone")):
            record = stolos.queue.get(name, job_id)
            assert record is not None and record.state is State.FAILED
            assert record.last_error and expected in record.last_error

    # --- retries ----------------------------------------------------------------------

    def test_failed_attempts_are_retried_until_one_succeeds(self, make_stolos: MakeStolos) -> None:
        stolos = make_stolos({"a": app(max_retry=3)}, max_retry=1)
        stolos.scheduler.submit([("a", DATE)])
        ran = drain(stolos, fail=lambda job: job.lease.attempt <= 2)
        assert ran == [("a", DATE)] * 3
        record = stolos.queue.get("a", DATE)
        assert record is not None and (record.state, record.attempts) == (State.COMPLETED, 3)
        history = stolos.queue.history("a", DATE)
        failures = [t for t in history if t.message and "on purpose" in t.message]
        assert [t.attempt for t in failures] == [1, 2]

    @pytest.mark.parametrize(("app_max", "global_max"), [(2, 5), (None, 2), (4, 1)])
    def test_the_app_max_retry_wins_over_the_global_option(
        self, make_stolos: MakeStolos, app_max: int | None, global_max: int
    ) -> None:
        keys: dict[str, Any] = {} if app_max is None else {"max_retry": app_max}
        stolos = make_stolos({"a": app(**keys)}, max_retry=global_max)
        stolos.scheduler.submit([("a", DATE)])
        ran = drain(stolos, fail=failing(("a", DATE)))
        expected = app_max or global_max
        assert ran == [("a", DATE)] * expected
        record = stolos.queue.get("a", DATE)
        assert record is not None and (record.state, record.attempts) == (State.FAILED, expected)
        assert record.last_error == f"attempt {expected} failed on purpose"

    def test_retry_delay_holds_the_job_back(self, make_stolos: MakeStolos) -> None:
        stolos = make_stolos({"a": app(retry_delay=600, max_retry=2)})
        stolos.scheduler.submit([("a", DATE)])
        before = stolos.queue.now()
        assert drain(stolos, fail=failing(("a", DATE))) == [("a", DATE)]
        record = stolos.queue.get("a", DATE)
        assert record is not None and record.state is State.QUEUED
        assert record.not_before is not None and record.not_before >= before + 600
        assert stolos.scheduler.claim("other", LONG_LEASE) is None

    def test_retry_delay_doubles_and_the_job_runs_when_it_has_passed(
        self, make_stolos: MakeStolos
    ) -> None:
        stolos = make_stolos({"a": app(retry_delay=0.2, max_retry=3)})
        stolos.scheduler.submit([("a", DATE)])
        delays = []
        for attempt in (1, 2):
            job = stolos.scheduler.claim("w", LONG_LEASE)
            assert job is not None and job.lease.attempt == attempt
            stolos.scheduler.failed(job, "failed on purpose")
            record = stolos.queue.get("a", DATE)
            assert record is not None and record.not_before is not None
            delays.append(record.not_before - stolos.queue.history("a", DATE)[-1].at)
            wait_until(stolos, record.not_before)
        assert 0 < delays[0] <= 0.2 < delays[1] <= 0.4
        assert drain(stolos) == [("a", DATE)]
        record = stolos.queue.get("a", DATE)
        assert record is not None and (record.state, record.attempts) == (State.COMPLETED, 3)

    # --- failure, skips, re-adds --------------------------------------------------------

    def test_a_permanent_failure_marks_waiting_descendants_until_it_is_readded(
        self, make_stolos: MakeStolos
    ) -> None:
        tasks = chain(3, max_retry=1)
        tasks["late"] = app(depends_on={"app_name": ["a0"]})
        stolos = make_stolos(tasks)
        stolos.scheduler.submit([("a2", DATE)])
        assert drain(stolos, fail=failing(("a0", DATE))) == [("a0", DATE)]
        assert states_of(stolos, [("a0", DATE), ("a1", DATE), ("a2", DATE)]) == {
            ("a0", DATE): State.FAILED,
            ("a1", DATE): State.UPSTREAM_FAILED,
            ("a2", DATE): State.UPSTREAM_FAILED,
        }
        record = stolos.queue.get("a1", DATE)
        assert record is not None and record.last_error and "a0" in record.last_error
        stolos.scheduler.submit([("late", DATE)])  # submitted after the failure
        assert drain(stolos) == []
        assert states_of(stolos, [("late", DATE)]) == {("late", DATE): State.UPSTREAM_FAILED}

        assert stolos.scheduler.readd("a0", DATE) is State.FAILED
        ran = drain(stolos)
        assert ran[0] == ("a0", DATE)
        assert sorted(ran[1:]) == [("a1", DATE), ("a2", DATE), ("late", DATE)]
        assert set(states_of(stolos, ran).values()) == {State.COMPLETED}
        check_order(stolos, ran)

    def test_valid_if_or_skips_and_children_of_a_skipped_parent_are_skipped(
        self, make_stolos: MakeStolos
    ) -> None:
        stolos = make_stolos(
            {
                "p": app("{date}_{client}", valid_if_or={"client": ["good"]}),
                "c": app("{date}_{client}", {"app_name": ["p"]}),
                "g": app("{date}_{client}", {"app_name": ["c"]}),
            }
        )
        (direct,) = stolos.scheduler.submit([("p", f"{DATE}_bad")])
        assert (direct.created, direct.state) == (True, State.SKIPPED)
        stolos.scheduler.submit([("g", f"{DATE}_bad"), ("g", f"{DATE}_good")])
        ran = drain(stolos)
        assert ran == [("p", f"{DATE}_good"), ("c", f"{DATE}_good"), ("g", f"{DATE}_good")]
        for name in ("p", "c", "g"):
            record = stolos.queue.get(name, f"{DATE}_bad")
            assert record is not None and record.state is State.SKIPPED, name
            assert record.last_error, f"{name} was skipped without a reason"
        check_order(stolos, ran)

    @pytest.mark.parametrize("reset_descendants", [True, False])
    def test_readd_of_a_completed_job(
        self, make_stolos: MakeStolos, reset_descendants: bool
    ) -> None:
        stolos = make_stolos(chain(3))
        stolos.scheduler.submit([("a2", DATE)])
        first = drain(stolos)
        assert stolos.scheduler.readd("a0", DATE, reset_descendants=reset_descendants) is (
            State.COMPLETED
        )
        with pytest.raises(JobAlreadyQueued):
            stolos.scheduler.readd("a0", DATE)
        ran = drain(stolos)
        assert ran == (first if reset_descendants else [("a0", DATE)])
        assert set(states_of(stolos, first).values()) == {State.COMPLETED}
        record = stolos.queue.get("a0", DATE)
        assert record is not None and record.attempts == 1
        check_order(stolos, ran)

    # --- leases -----------------------------------------------------------------------

    def test_no_lost_wake_up_when_a_parent_completes_during_bubble_up(
        self, make_stolos: MakeStolos
    ) -> None:
        stolos = make_stolos(chain(2))
        stolos.queue.enqueue("a1", DATE)
        child = stolos.queue.claim("w1", LONG_LEASE, ["a1"])  # w1 reads: a0 incomplete
        assert child is not None and child.job_id == DATE
        stolos.scheduler.submit([("a0", DATE)])
        assert drain(stolos, worker="w2") == [("a0", DATE)]  # a0 completes meanwhile
        assert stolos.queue.park(child, message="waiting for a0") is State.QUEUED
        assert drain(stolos, worker="w1") == [("a1", DATE)]
        check_order(stolos, [("a0", DATE), ("a1", DATE)])

    def test_a_worker_that_dies_during_bubble_down_leaves_it_to_the_next_claim(
        self, make_stolos: MakeStolos, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        stolos = make_stolos(chain(2))
        stolos.scheduler.submit([("a0", DATE)])
        parent = stolos.scheduler.claim("w1", SHORT_LEASE)
        assert parent is not None

        def die(*args: object, **kwargs: object) -> None:
            raise KeyboardInterrupt("the worker dies before waking the children")

        with monkeypatch.context() as patch, pytest.raises(KeyboardInterrupt):
            patch.setattr(stolos.queue, "wake", die)
            stolos.scheduler.succeeded(parent)
        record = stolos.queue.get("a0", DATE)
        assert record is not None and (record.state, record.effects_pending) == (
            State.COMPLETED,
            True,
        )
        wait_until(stolos, parent.lease.expires)
        assert drain(stolos, worker="w2") == [("a1", DATE)]  # the bubble-down was repeated
        for key in [("a0", DATE), ("a1", DATE)]:
            record = stolos.queue.get(*key)
            assert record is not None
            assert (record.state, record.effects_pending, record.lease_owner) == (
                State.COMPLETED,
                False,
                None,
            )
            states = [t.state for t in stolos.queue.history(*key)]
            assert states.count(State.COMPLETED) == 1

    def test_a_lease_that_expires_mid_run_counts_as_an_attempt(
        self, make_stolos: MakeStolos
    ) -> None:
        stolos = make_stolos({"a": app(max_retry=2)})
        stolos.scheduler.submit([("a", DATE)])
        lost = stolos.scheduler.claim("w1", SHORT_LEASE)
        assert lost is not None
        wait_until(stolos, lost.lease.expires)
        assert drain(stolos, worker="w2") == [("a", DATE)]
        with pytest.raises(LeaseLost):
            stolos.scheduler.succeeded(lost)
        record = stolos.queue.get("a", DATE)
        assert record is not None and (record.state, record.attempts) == (State.COMPLETED, 2)
        completed_by = [
            t.worker for t in stolos.queue.history("a", DATE) if t.state is State.COMPLETED
        ]
        assert completed_by == ["w2"]

    def test_a_job_whose_every_lease_expires_fails_after_its_attempts(
        self, make_stolos: MakeStolos
    ) -> None:
        stolos = make_stolos({"a": app(max_retry=1)})
        stolos.scheduler.submit([("a", DATE)])
        lost = stolos.scheduler.claim("w1", SHORT_LEASE)
        assert lost is not None
        wait_until(stolos, lost.lease.expires)
        assert drain(stolos, worker="w2") == []
        record = stolos.queue.get("a", DATE)
        assert record is not None and record.state is State.FAILED
        assert record.last_error and "lease" in record.last_error
