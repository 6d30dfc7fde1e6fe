"""Workers under faults, end to end: real ``stolos worker`` processes running real ``bash``
jobs over one SQLite file, judged by what the queue recorded (states, attempts, history)
and by what the jobs left on disk, never by how long anything took.

Job commands run in the test's directory (the worker's working directory).  Each writes
its ``$$`` to ``pgids``: a job process leads its own session, so that is the process
group the worker kills, and :func:`group_alive` tells whether any of it still runs.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
from pathlib import Path

from stolos_env import StolosEnv, alive, group_alive, wait_until

from stolos.queue import JobRecord, State, Transition

LEASE = "1"  # seconds: leases expire fast, so that a lost worker is noticed fast


def record(env: StolosEnv, app: str, job_id: str) -> JobRecord:
    found = env.api().queue.get(app, job_id)
    assert found is not None, f"{app} {job_id} was never recorded"
    return found


def history(env: StolosEnv, app: str, job_id: str) -> list[Transition]:
    return env.api().queue.history(app, job_id)


def states(transitions: list[Transition]) -> list[str]:
    return [t.state.value for t in transitions]


def started_groups(env: StolosEnv, count: int = 1) -> list[int]:
    """Wait until ``count`` attempts have started; their process group ids."""
    path = env.root / "pgids"

    def written() -> list[int] | None:
        lines = path.read_text().split() if path.exists() else []
        return [int(pgid) for pgid in lines] if len(lines) >= count else None

    groups: list[int] = wait_until(written, f"{count} attempt(s) to start")
    return groups


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def wait_for_lease_to_expire(env: StolosEnv, app: str, job_id: str) -> None:
    """Until then a worker with ``--exit-when-idle`` sees the job held by someone else."""
    queue = env.api().queue

    def expired() -> bool:
        expires = record(env, app, job_id).lease_expires
        return expires is not None and expires < queue.now()

    wait_until(expired, f"the lease of {app} {job_id} to expire")


def freeze(env: StolosEnv, worker: subprocess.Popen[bytes]) -> None:
    """SIGSTOP ``worker`` at a moment it holds no write lock on the database (frozen inside
    a transaction, it would block every other process instead of just losing its lease)."""

    def frozen_outside_a_write() -> bool:
        os.kill(worker.pid, signal.SIGSTOP)
        wait_until(lambda: _state_of(worker.pid) == "T", "the worker to stop")
        probe = sqlite3.connect(env.db_path, timeout=0)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.rollback()
            return True
        except sqlite3.OperationalError:  # mid-write: let it finish, then try again
            os.kill(worker.pid, signal.SIGCONT)
            return False
        finally:
            probe.close()

    wait_until(frozen_outside_a_write, "a moment the worker holds no write lock")


def _state_of(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]


# --- a worker that dies or freezes -------------------------------------------------------


def test_a_job_whose_worker_was_killed_runs_again_once_its_lease_expires(
    stolos_env: StolosEnv,
) -> None:
    stolos_env.write_tasks(
        {
            "slow": {
                "job_id": "{n}",
                "bash_cmd": "echo $$ >> pgids; echo start >> runs; sleep 2; echo done >> runs",
            }
        }
    )
    stolos_env.run("submit", "slow", "1")
    doomed = stolos_env.start_worker("--lease-timeout", LEASE)
    [first_attempt] = started_groups(stolos_env)
    assert record(stolos_env, "slow", "1").state is State.RUNNING

    stolos_env.kill_workers()
    assert doomed.returncode == -signal.SIGKILL
    # the job's shell dies with its worker (parent-death signal): it never writes "done"
    wait_until(lambda: not alive(first_attempt), "the killed worker's job to die")
    wait_for_lease_to_expire(stolos_env, "slow", "1")
    stolos_env.run("worker", "--exit-when-idle", "--lease-timeout", LEASE)

    job = record(stolos_env, "slow", "1")
    assert (job.state, job.attempts) == (State.COMPLETED, 2)
    transitions = history(stolos_env, "slow", "1")
    assert states(transitions) == ["queued", "running", "queued", "running", "completed"]
    requeue = transitions[2]
    assert requeue.message is not None and "expired" in requeue.message
    assert requeue.attempt == 1  # the lost attempt counts
    assert transitions[1].worker != transitions[3].worker == transitions[4].worker
    assert lines(stolos_env.root / "runs") == ["start", "start", "done"]


def test_a_worker_that_lost_its_lease_kills_its_job_and_writes_nothing(
    stolos_env: StolosEnv,
) -> None:
    """The first attempt hangs until killed; the second (another worker's) finishes at
    once.  The first worker is frozen past its lease, the second worker completes the job,
    then the first wakes up: its heartbeat's renewal is refused and it kills its job's
    process group.  Nothing else can happen first: its job thread waits on that process."""
    stolos_env.write_tasks(
        {
            "slow": {
                "job_id": "{n}",
                "bash_cmd": "echo $$ >> pgids; mkdir first && sleep 120; echo done >> runs",
            }
        }
    )
    stolos_env.run("submit", "slow", "1")
    frozen = stolos_env.start_worker("--lease-timeout", LEASE, "--exit-when-idle")
    [first_attempt] = started_groups(stolos_env)
    freeze(stolos_env, frozen)
    wait_for_lease_to_expire(stolos_env, "slow", "1")

    stolos_env.run("worker", "--exit-when-idle", "--lease-timeout", LEASE)
    done = record(stolos_env, "slow", "1")
    assert (done.state, done.attempts) == (State.COMPLETED, 2)
    transitions = history(stolos_env, "slow", "1")
    assert group_alive(first_attempt)  # its worker is frozen, so nobody killed it yet

    os.kill(frozen.pid, signal.SIGCONT)
    wait_until(lambda: not group_alive(first_attempt), "the first attempt to be killed")
    assert frozen.wait(timeout=60) == 0

    assert record(stolos_env, "slow", "1") == done
    assert history(stolos_env, "slow", "1") == transitions
    assert states(transitions).count("completed") == 1
    assert lines(stolos_env.root / "runs") == ["done"]  # the first attempt never got there
    log = stolos_env.worker_log(frozen)
    killed = log.index("lease lost on slow 1: killed its processes")
    assert log.index("lease lost: the job was killed and nothing is written") > killed


# --- signals -----------------------------------------------------------------------------

GATED_JOB = "echo $$ >> pgids; until [ -e go ]; do sleep 0.05; done; echo {n} >> runs"
"""A job that runs until the test creates ``go``."""


def test_sigterm_lets_the_running_job_finish_and_claims_nothing_more(
    stolos_env: StolosEnv,
) -> None:
    stolos_env.write_tasks({"gated": {"job_id": "{n}", "bash_cmd": GATED_JOB}})
    stolos_env.run("submit", "gated", "1", "2", "3")
    worker = stolos_env.start_worker("--lease-timeout", LEASE)
    started_groups(stolos_env)

    worker.send_signal(signal.SIGTERM)
    wait_until(lambda: "signal SIGTERM" in stolos_env.worker_log(worker), "the signal")
    (stolos_env.root / "go").touch()
    assert worker.wait(timeout=60) == 0

    jobs = {j.job_id: j for j in stolos_env.api().queue.list_jobs("gated")}
    [ran] = lines(stolos_env.root / "runs")
    assert (jobs[ran].state, jobs[ran].attempts) == (State.COMPLETED, 1)
    others = [jobs[n] for n in ("1", "2", "3") if n != ran]
    assert [(j.state, j.attempts) for j in others] == [(State.QUEUED, 0)] * 2
    assert all(states(history(stolos_env, "gated", j.job_id)) == ["queued"] for j in others)


def test_sigterm_stops_an_idle_worker(stolos_env: StolosEnv) -> None:
    stolos_env.write_tasks({"gated": {"job_id": "{n}", "bash_cmd": GATED_JOB}})
    worker = stolos_env.start_worker()
    wait_until(lambda: "serving 1 app" in stolos_env.worker_log(worker), "the worker to start")

    worker.send_signal(signal.SIGTERM)

    assert worker.wait(timeout=60) == 0
    assert "stopped after 0 job(s)" in stolos_env.worker_log(worker)


def test_after_the_grace_period_the_job_is_killed_and_given_back_uncounted(
    stolos_env: StolosEnv,
) -> None:
    stolos_env.write_tasks({"gated": {"job_id": "{n}", "bash_cmd": GATED_JOB}})
    stolos_env.run("submit", "gated", "1")
    worker = stolos_env.start_worker("--grace-period", "0.5", "--lease-timeout", LEASE)
    [attempt] = started_groups(stolos_env)

    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=60) == 0

    job = record(stolos_env, "gated", "1")
    assert (job.state, job.attempts) == (State.QUEUED, 0)
    last = history(stolos_env, "gated", "1")[-1]
    assert (last.state, last.message) == (State.QUEUED, "given back")
    assert not group_alive(attempt)
    assert "grace period over" in stolos_env.worker_log(worker)


def test_a_second_signal_kills_the_running_job_at_once(stolos_env: StolosEnv) -> None:
    stolos_env.write_tasks({"gated": {"job_id": "{n}", "bash_cmd": GATED_JOB}})
    stolos_env.run("submit", "gated", "1")
    worker = stolos_env.start_worker("--grace-period", "3600", "--lease-timeout", LEASE)
    [attempt] = started_groups(stolos_env)

    worker.send_signal(signal.SIGTERM)
    wait_until(lambda: "signal SIGTERM" in stolos_env.worker_log(worker), "the first signal")
    assert worker.poll() is None and group_alive(attempt)  # still within its grace period
    worker.send_signal(signal.SIGINT)
    assert worker.wait(timeout=60) == 0  # far less than the grace period

    job = record(stolos_env, "gated", "1")
    assert (job.state, job.attempts) == (State.QUEUED, 0)
    assert not group_alive(attempt)
    assert "second signal" in stolos_env.worker_log(worker)


# --- attempts that end badly ---------------------------------------------------------------


def test_a_job_that_outlives_its_timeout_is_killed_and_counted(stolos_env: StolosEnv) -> None:
    stolos_env.write_tasks(
        {
            "stuck": {
                "job_id": "{n}",
                "timeout": 1,
                "max_retry": 2,
                "bash_cmd": "echo $$ >> pgids; sleep 120; echo done >> runs",
            }
        }
    )
    stolos_env.run("submit", "stuck", "1")
    stolos_env.run("worker", "--exit-when-idle")

    job = record(stolos_env, "stuck", "1")
    assert (job.state, job.attempts) == (State.FAILED, 2)
    assert job.last_error is not None and "timed out" in job.last_error
    transitions = history(stolos_env, "stuck", "1")
    assert states(transitions) == ["queued", "running", "queued", "running", "failed"]
    assert all("timed out" in (t.message or "") for t in transitions[2::2])
    attempts = started_groups(stolos_env, 2)
    assert [group_alive(pgid) for pgid in attempts] == [False, False]  # sleep included
    assert not (stolos_env.root / "runs").exists()


def test_a_job_process_killed_by_a_signal_is_a_counted_failure(stolos_env: StolosEnv) -> None:
    stolos_env.write_tasks(
        {"crash": {"job_id": "{n}", "max_retry": 3, "bash_cmd": "echo $$ >> pgids; kill -9 $$"}}
    )
    stolos_env.run("submit", "crash", "1")
    stolos_env.run("worker", "--exit-when-idle")

    job = record(stolos_env, "crash", "1")
    assert (job.state, job.attempts) == (State.FAILED, 3)
    assert job.last_error is not None and "SIGKILL" in job.last_error
    assert states(history(stolos_env, "crash", "1")).count("running") == 3
    assert len(started_groups(stolos_env, 3)) == 3


# --- hostile job_ids ------------------------------------------------------------------------

HOSTILE_JOB_IDS = [
    "$(touch pwned); '\"",
    "`touch pwned`; rm -rf keep",
    "x' ; touch pwned ; echo '",
    "a\nb; touch pwned",
    "--help",
]


def test_a_hostile_job_id_reaches_the_command_as_one_literal_word(
    stolos_env: StolosEnv,
) -> None:
    """No validator stands between the job_id and the command: quoting alone must hold."""
    stolos_env.write_tasks(
        {
            "echo": {
                "job_id": "{name}",
                "bash_cmd": (
                    "printf '%s\\0' {name} >> names; printf '%s\\0' {job_id} >> ids; "
                    "printf '%s\\0' \"$STOLOS_JOB_ID\" >> environment"
                ),
            }
        }
    )
    (stolos_env.root / "keep").mkdir()
    (stolos_env.root / "keep" / "file").touch()
    stolos_env.run("submit", "echo", "--", *HOSTILE_JOB_IDS)
    stolos_env.run("worker", "--exit-when-idle")

    assert not list(stolos_env.root.rglob("pwned"))
    assert (stolos_env.root / "keep" / "file").exists()
    for output in ("names", "ids", "environment"):
        written = (stolos_env.root / output).read_text().split("\0")[:-1]
        assert sorted(written) == sorted(HOSTILE_JOB_IDS), output
    for job_id in HOSTILE_JOB_IDS:
        assert record(stolos_env, "echo", job_id).state is State.COMPLETED, job_id
