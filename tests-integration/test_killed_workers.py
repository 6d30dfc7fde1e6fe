"""Workers SIGKILLed at random moments while they run a pipeline with a fan-in: every job
still completes exactly once, and no job's command ever starts before all of its parents
completed (the commands stamp their own start; orphans of killed workers included)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time

from stolos_env import StolosEnv, wait_until

from stolos.queue import FINISHED, State, Transition

CLIENTS = [1, 2, 3, 4]
DATES = ["20260101", "20260102"]
JOB = 'echo "$(date +%s.%N) {app_name} {job_id}" >> started; sleep 0.3'
PIPELINE = {
    "ingest": {"job_id": "{date}_{client}", "autofill_values": {"client": CLIENTS}},
    "clean": {
        "job_id": "{date}_{client}",
        "depends_on": {"app_name": ["ingest"]},
        "autofill_values": {"client": CLIENTS},
    },
    "report": {"job_id": "{date}", "depends_on": {"app_name": ["clean"], "client": "all"}},
    "publish": {"job_id": "{date}", "depends_on": {"app_name": ["report"]}},
}
EXPECTED = {
    *(
        (app, f"{date}_{client}")
        for app in ("ingest", "clean")
        for date in DATES
        for client in CLIENTS
    ),
    *((app, date) for app in ("report", "publish") for date in DATES),
}
WORKERS = 3
KILLS = 6
WORKER_ARGS = ("--lease-timeout", "1", "-c", "2")


def changes_into(history: list[Transition], state: State) -> int:
    """How many times the job's state became ``state``.  A worker that takes over a
    finished job whose effects its finisher left unconfirmed records the finished state
    again (with a "resumed" message): the job did not finish twice."""
    states = [t.state for t in history]
    return sum(
        1
        for i, current in enumerate(states)
        if current is state and (i == 0 or states[i - 1] is not state)
    )


def test_workers_killed_mid_job_lose_no_job_and_run_none_early(stolos_env: StolosEnv) -> None:
    validations = stolos_env.root / "validations.py"
    validations.write_text("JOB_ID_VALIDATIONS = {'date': int, 'client': int}\n")
    stolos_env.env["STOLOS_JOB_ID_VALIDATIONS"] = str(validations)
    stolos_env.write_tasks({app: {**keys, "bash_cmd": JOB} for app, keys in PIPELINE.items()})
    stolos_env.run("submit", "publish", *DATES)  # bubble up queues the rest
    queue = stolos_env.api().queue
    rng = random.Random(7)

    workers: dict[int, subprocess.Popen[bytes]] = {}
    for _ in range(WORKERS):
        worker = stolos_env.start_worker(*WORKER_ARGS)
        workers[worker.pid] = worker

    def holders() -> list[int]:
        """The live workers holding a job (a worker's name is ``host:pid:suffix``)."""
        running = queue.list_jobs(states=[State.RUNNING])
        pids = {int(j.lease_owner.split(":")[-2]) for j in running if j.lease_owner}
        return sorted(pids & set(workers))

    for _ in range(KILLS):
        victim = workers.pop(rng.choice(wait_until(holders, "a worker holding a job")))
        time.sleep(rng.uniform(0, 0.3))
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait()
        worker = stolos_env.start_worker(*WORKER_ARGS)
        workers[worker.pid] = worker

    def finished() -> bool:
        return all(
            (record := queue.get(app, job_id)) is not None and record.state in FINISHED
            for app, job_id in EXPECTED
        )

    wait_until(finished, "every job to finish", timeout=180)
    stolos_env.kill_workers()

    jobs = queue.list_jobs()
    assert {(j.app, j.job_id) for j in jobs} == EXPECTED
    assert {j.state for j in jobs} == {State.COMPLETED}
    histories = {(j.app, j.job_id): queue.history(j.app, j.job_id) for j in jobs}
    for key, history in histories.items():
        assert changes_into(history, State.COMPLETED) == 1, (key, history)
    lost = [t for h in histories.values() for t in h if "expired" in (t.message or "")]
    assert lost, "no kill caught a worker holding a lease"

    completed_at = {
        key: next(t.at for t in history if t.state is State.COMPLETED)
        for key, history in histories.items()
    }
    stolos = stolos_env.api()
    starts = [line.split() for line in (stolos_env.root / "started").read_text().splitlines()]
    assert {(app, job_id) for _, app, job_id in starts} == EXPECTED
    for stamp, app, job_id in starts:
        for parent in stolos.get_parents(app, job_id):
            assert completed_at[(parent.app_name, parent.job_id)] <= float(stamp), (
                app,
                job_id,
                parent,
            )
