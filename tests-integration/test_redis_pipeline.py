"""Workers on Redis, end to end: real ``stolos worker`` processes against the session's Redis
server (stolos-redis's ``redis_server`` fixture), every test under a key prefix of its own,
judged by what the queue recorded (states, attempts, history; times are the Redis server's
clock) and by what the jobs left on disk, never by how long anything took.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from stolos_env import StolosEnv, wait_until
from test_submit_races import (  # noqa: F401  (collected again here, so they run on Redis)
    test_a_finished_job_readded_by_many_at_once_is_queued_again_once,
    test_one_job_submitted_by_many_at_once_is_created_once,
    test_overlapping_batches_submitted_at_once_create_each_job_once,
)

from stolos.queue import State, Transition
from stolos_redis.testing import RedisServer

pytestmark = pytest.mark.redis

WORKER_TIMEOUT_SECONDS = 280  # bounds a run of thousands of jobs on a loaded machine


def states(transitions: list[Transition]) -> list[str]:
    return [t.state.value for t in transitions]


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def wait_for_exit(env: StolosEnv, worker: subprocess.Popen[bytes]) -> None:
    """The worker exits 0 (its log is shown otherwise)."""
    code = worker.wait(timeout=WORKER_TIMEOUT_SECONDS)
    assert code == 0, f"worker exited {code}:\n{env.worker_log(worker)[-3000:]}"


def stop(env: StolosEnv, workers: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM every worker; each finishes what it runs and exits 0."""
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
    for worker in workers:
        wait_for_exit(env, worker)


def count_completed(env: StolosEnv, app: str | None = None) -> int:
    """How many jobs (of ``app``, or of every app) are completed."""
    counts = env.api().queue.counts(app)
    return sum(per_state.get(State.COMPLETED, 0) for per_state in counts.values())


def worker_pid(name: str | None) -> int:
    """The process id in a worker's name (``host:pid:suffix``)."""
    assert name is not None
    return int(name.split(":")[-2])


# --- four workers over 10,000 jobs ---------------------------------------------------------

EXTRACTS = 4000
PUBLISHED = 1999
DAY = "20140601"
PIPELINE = {
    "extract": {"job_id": "{n}", "job_type": "noop", "autofill_values": {"n": f"0:{EXTRACTS}"}},
    "transform": {
        "job_id": "{n}",
        "job_type": "noop",
        "depends_on": {"app_name": ["extract"]},
        "autofill_values": {"n": f"0:{EXTRACTS}"},
    },
    "summary": {  # fan-in: every transform job
        "job_id": "{day}",
        "job_type": "noop",
        "depends_on": {"app_name": ["transform"], "n": "all"},
        "autofill_values": {"day": [DAY]},
    },
    "publish": {  # fan-out: every publish job waits for the one summary
        "job_id": "{day}_{k}",
        "job_type": "noop",
        "depends_on": {"app_name": ["summary"]},
        "autofill_values": {"k": f"0:{PUBLISHED}"},
    },
}
JOBS = 2 * EXTRACTS + 1 + PUBLISHED
SUBMITTED = {
    "leaves": ("publish", [f"{DAY}_{k}" for k in range(PUBLISHED)]),  # bubble up the rest
    "roots": ("extract", [str(n) for n in range(EXTRACTS)]),  # bubble down the rest
}


@pytest.mark.parametrize("submitted", list(SUBMITTED))
def test_four_workers_run_ten_thousand_jobs_each_once_and_never_early(
    stolos_env: StolosEnv, submitted: str
) -> None:
    assert JOBS == 10_000
    validations = stolos_env.root / "validations.py"
    validations.write_text('JOB_ID_VALIDATIONS = {"n": int, "k": int}\n')
    stolos_env.env["STOLOS_JOB_ID_VALIDATIONS"] = str(validations)
    stolos_env.write_tasks(PIPELINE)
    app, job_ids = SUBMITTED[submitted]
    stolos_env.run("submit", app, *job_ids)

    # Without --exit-when-idle: a worker that finds nothing queued leaves even while
    # another's running job is about to queue more, and four workers should share it all.
    workers = [stolos_env.start_worker("-c", "2") for _ in range(4)]
    wait_until(
        lambda: count_completed(stolos_env) == JOBS,
        f"{JOBS} completed jobs",
        timeout=WORKER_TIMEOUT_SECONDS,
    )
    stop(stolos_env, workers)

    api = stolos_env.api()
    jobs = api.queue.list_jobs()
    assert len(jobs) == JOBS
    assert {job.state for job in jobs} == {State.COMPLETED}
    histories = {(job.app, job.job_id): api.queue.history(job.app, job.job_id) for job in jobs}
    completed_at = {}
    for key, history in histories.items():
        [completed_at[key]] = [t.at for t in history if t.state is State.COMPLETED]
    completed_by = {t.worker for h in histories.values() for t in h if t.state is State.COMPLETED}
    assert {worker_pid(name) for name in completed_by} == {w.pid for w in workers}
    for (app, job_id), history in histories.items():
        # the last start is the one that ran (earlier claims parked on incomplete parents)
        started = max(t.at for t in history if t.state is State.RUNNING)
        for parent in api.get_parents(app, job_id):
            done = completed_at[(parent.app_name, parent.job_id)]
            assert done <= started, f"{app} {job_id} started at {started}, before {parent}"


# --- a worker killed mid-job ---------------------------------------------------------------

LEASE = "2"  # seconds: a killed worker's lease expires fast
SLOW_JOBS = 12
SLOW = "echo {n} $$ >> started; sleep 1; echo {n} >> done"
"""A job that records its process group (a job leads its own session), runs a second and
records that it finished."""


def test_the_job_of_a_worker_killed_mid_job_runs_again_and_every_job_completes_once(
    stolos_env: StolosEnv,
) -> None:
    stolos_env.write_tasks({"slow": {"job_id": "{n}", "bash_cmd": SLOW}})
    job_ids = [str(n) for n in range(SLOW_JOBS)]
    stolos_env.run("submit", "slow", *job_ids)
    workers = [stolos_env.start_worker("--lease-timeout", LEASE) for _ in range(3)]
    doomed = workers[0]
    queue = stolos_env.api().queue

    def a_job_of_the_doomed_worker() -> tuple[str, int] | None:
        """A job the doomed worker runs now: its job_id and process group."""
        finished = set(lines(stolos_env.root / "done"))
        for line in lines(stolos_env.root / "started"):
            job_id, pgid = line.split()
            record = queue.get("slow", job_id)
            if (
                job_id not in finished
                and record is not None
                and record.state is State.RUNNING
                and worker_pid(record.lease_owner) == doomed.pid
            ):
                return job_id, int(pgid)
        return None

    job_id, pgid = wait_until(a_job_of_the_doomed_worker, "a job of the doomed worker to start")
    # The whole host is taken to die: the worker, and its job in its own session.
    os.killpg(doomed.pid, signal.SIGKILL)
    os.killpg(pgid, signal.SIGKILL)
    assert doomed.wait() == -signal.SIGKILL
    workers.append(stolos_env.start_worker("--lease-timeout", LEASE))
    wait_until(lambda: count_completed(stolos_env, "slow") == SLOW_JOBS, "every job to complete")
    stop(stolos_env, workers[1:])

    for other in job_ids:
        transitions = queue.history("slow", other)
        assert states(transitions).count("completed") == 1, (other, transitions)
    transitions = queue.history("slow", job_id)
    assert states(transitions) == ["queued", "running", "queued", "running", "completed"]
    requeue = transitions[2]
    assert requeue.message is not None and "expired" in requeue.message
    assert requeue.attempt == 1  # the lost attempt counts
    assert worker_pid(transitions[1].worker) == doomed.pid != worker_pid(transitions[4].worker)
    assert sorted(lines(stolos_env.root / "done"), key=int) == job_ids  # each exactly once
    started = [line.split()[0] for line in lines(stolos_env.root / "started")]
    assert sorted(started, key=int) == sorted([*job_ids, job_id], key=int)


# --- Redis restarted under running workers -------------------------------------------------

SHORT_JOBS = 300
QUICK_JOBS = 2000
DOWNTIME_SECONDS = 1.5
RESTART_LEASE = "10"  # outlives the downtime plus the client's backoff: no lease expires


@contextlib.contextmanager
def redis_down(server: RedisServer) -> Iterator[None]:
    """Shut the server down (its append-only file complete) for the body, then start it
    again on the same port and file: up again afterwards whatever happened, for the
    tests that follow on the session's server."""
    server.stop()
    try:
        yield
    finally:
        server.start()


def test_workers_ride_out_a_redis_restart_losing_and_repeating_nothing(
    stolos_env: StolosEnv, redis_server: RedisServer
) -> None:
    stolos_env.write_tasks(
        {
            "short": {"job_id": "{n}", "bash_cmd": "sleep 0.05; echo {n} >> done"},
            "quick": {"job_id": "{n}", "job_type": "noop"},  # claims as fast as can be
        }
    )
    job_ids = [str(n) for n in range(SHORT_JOBS)]
    quick_ids = [str(n) for n in range(QUICK_JOBS)]
    stolos_env.run("submit", "short", *job_ids)
    stolos_env.run("submit", "quick", *quick_ids)
    lease = ("--lease-timeout", RESTART_LEASE)
    workers = [stolos_env.start_worker("-a", "short", "-c", "2", *lease) for _ in range(2)]
    workers.append(stolos_env.start_worker("-a", "quick", "-c", "2", *lease))
    queue = stolos_env.api().queue
    wait_until(lambda: count_completed(stolos_env, "short") >= 50, "some jobs to complete")

    with redis_down(redis_server):
        time.sleep(DOWNTIME_SECONDS)
    wait_until(
        lambda: count_completed(stolos_env) == SHORT_JOBS + QUICK_JOBS, "every job to complete"
    )
    stop(stolos_env, workers)

    every = [("short", job_id) for job_id in job_ids] + [("quick", job_id) for job_id in quick_ids]
    histories = {key: queue.history(*key) for key in every}
    for key, transitions in histories.items():
        # once each: no claim, finish or release whose reply the shutdown swallowed
        # left a job leased to nobody or repeated a step
        assert states(transitions) == ["queued", "running", "completed"], (key, transitions)
    assert sorted(lines(stolos_env.root / "done"), key=int) == job_ids  # each ran once
    # The outage is the longest silence in the record once the workers had started: jobs
    # completed before and after it, and some ran across it, their outcome written once
    # Redis was back.
    short = [histories[("short", job_id)] for job_id in job_ids]
    moments = sorted(t.at for transitions in short for t in transitions[1:])
    silences = zip(moments[:-1], moments[1:], strict=True)
    down, up = max(silences, key=lambda pair: pair[1] - pair[0])
    assert up - down >= DOWNTIME_SECONDS
    assert moments[0] < down and up < moments[-1]
    across = [t for t in short if t[1].at <= down and t[2].at >= up]
    assert across, "no job was running when Redis went down"
