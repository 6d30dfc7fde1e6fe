"""Several worker processes over one SQLite file: every job runs to completion exactly
once and no child starts before all of its parents completed (read from the history)."""

from __future__ import annotations

import pytest

from stolos.queue import State

N = 400  # extract and transform jobs each; with the fan-in and the fan-out: 1,001 jobs
FANOUT = 200

PIPELINE = {
    "extract": {"job_id": "{n}", "job_type": "noop", "autofill_values": {"n": f"0:{N}"}},
    "transform": {
        "job_id": "{n}",
        "job_type": "noop",
        "depends_on": {"app_name": ["extract"]},
        "autofill_values": {"n": f"0:{N}"},
    },
    "summary": {  # fan-in: every transform job
        "job_id": "{day}",
        "job_type": "noop",
        "depends_on": {"app_name": ["transform"], "n": "all"},
        "autofill_values": {"day": ["d1"]},
    },
    "publish": {  # fan-out: many jobs behind the one summary
        "job_id": "{day}_{n}",
        "job_type": "noop",
        "depends_on": {"app_name": ["summary"]},
        "autofill_values": {"n": f"0:{FANOUT}"},
    },
}


def first(history: list, state: State) -> float | None:
    return next((t.at for t in history if t.state is state), None)


@pytest.mark.parametrize("workers", [2, 4])
def test_workers_complete_every_job_once_and_never_early(env, workers: int) -> None:
    env.write_tasks(PIPELINE)
    # submit the leaves only: bubble up queues summary, transform and extract
    env.run("submit", "publish", *[f"d1_{i}" for i in range(FANOUT)])
    procs = [env.start("worker", "--exit-when-idle", "-c", "2") for _ in range(workers)]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err

    stolos = env.stolos()
    queue = stolos.queue
    jobs = queue.list_jobs()
    assert len(jobs) == 2 * N + 1 + FANOUT
    assert {j.state for j in jobs} == {State.COMPLETED}
    completed_at = {}
    for job in jobs:
        history = queue.history(job.app, job.job_id)
        assert [t.state for t in history].count(State.COMPLETED) == 1, (job, history)
        completed_at[(job.app, job.job_id)] = first(history, State.COMPLETED)
    for job in jobs:
        history = queue.history(job.app, job.job_id)
        # the last start is the one that ran (earlier claims parked on incomplete parents)
        started = max(t.at for t in history if t.state is State.RUNNING)
        for parent in stolos.get_parents(job.app, job.job_id):
            assert completed_at[(parent.app_name, parent.job_id)] <= started, (job, parent)
