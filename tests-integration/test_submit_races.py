"""Concurrent submitters: ``stolos submit`` processes released at the same moment onto one
fresh SQLite file (so they also race to create it) create each job exactly once."""

from __future__ import annotations

import random

from stolos_env import StolosEnv

from stolos.queue import State

SUBMITTERS = 8


def test_one_job_submitted_by_many_at_once_is_created_once(stolos_env: StolosEnv) -> None:
    stolos_env.write_tasks({"app": {"job_id": "{n}", "bash_cmd": "true"}})

    results = stolos_env.run_together(*[["submit", "app", "same"]] * SUBMITTERS)

    assert [r.returncode for r in results] == [0] * SUBMITTERS, [r.stderr for r in results]
    said = sorted(r.stdout.strip() for r in results)
    assert said == ["app same: already queued, unchanged"] * (SUBMITTERS - 1) + ["app same: queued"]
    queue = stolos_env.api().queue
    assert queue.queue_size("app") == 1
    assert [t.state for t in queue.history("app", "same")] == [State.QUEUED]


def test_overlapping_batches_submitted_at_once_create_each_job_once(
    stolos_env: StolosEnv,
) -> None:
    """Each submitter sends the same 40 job_ids in its own order."""
    stolos_env.write_tasks({"app": {"job_id": "{n}", "bash_cmd": "true"}})
    job_ids = [str(n) for n in range(40)]
    batches = [random.Random(seed).sample(job_ids, len(job_ids)) for seed in range(SUBMITTERS)]

    results = stolos_env.run_together(*[["submit", "app", *batch] for batch in batches])

    assert [r.returncode for r in results] == [0] * SUBMITTERS, [r.stderr for r in results]
    created = [
        line.removesuffix(": queued").split(" ", 1)[1]
        for r in results
        for line in r.stdout.splitlines()
        if line.endswith(": queued")
    ]
    assert sorted(created) == sorted(job_ids)
    queue = stolos_env.api().queue
    assert queue.queue_size("app") == len(job_ids)
    assert all(len(queue.history("app", j)) == 1 for j in job_ids)


def test_a_finished_job_readded_by_many_at_once_is_queued_again_once(
    stolos_env: StolosEnv,
) -> None:
    stolos_env.write_tasks({"app": {"job_id": "{n}", "bash_cmd": "true"}})
    stolos_env.run("submit", "app", "1")
    stolos_env.run("worker", "--exit-when-idle")

    results = stolos_env.run_together(*[["submit", "--readd", "app", "1"]] * SUBMITTERS)

    assert [r.returncode for r in results] == [0] * SUBMITTERS, [r.stderr for r in results]
    said = sorted(r.stdout.strip() for r in results)
    assert said == ["app 1: already queued, unchanged"] * (SUBMITTERS - 1) + [
        "app 1: re-added (was completed), queued"
    ]
    queue = stolos_env.api().queue
    assert queue.queue_size("app") == 1
    transitions = [t.state for t in queue.history("app", "1")]
    assert transitions == [State.QUEUED, State.RUNNING, State.COMPLETED, State.QUEUED]
    record = queue.get("app", "1")
    assert record is not None and record.attempts == 0
