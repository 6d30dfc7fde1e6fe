"""``stolos run``, the original one-shot runner: at most one job of one app, then exit."""

from __future__ import annotations

import pytest
from stolos_env import StolosEnv

from stolos.queue import State

TASKS = {
    "app": {"job_id": "{n}", "bash_cmd": "echo {job_id} >> runs"},
    "broken": {"job_id": "{n}", "bash_cmd": "echo {job_id} >> runs; exit 3"},
}


@pytest.fixture
def env(stolos_env: StolosEnv) -> StolosEnv:
    stolos_env.write_tasks(TASKS)
    return stolos_env


def runs(env: StolosEnv) -> list[str]:
    path = env.root / "runs"
    return path.read_text().split() if path.exists() else []


def test_it_runs_one_queued_job_and_exits(env: StolosEnv) -> None:
    env.run("submit", "app", "1", "2")

    env.run("run", "-a", "app")

    queue = env.api().queue
    assert runs(env) == ["1"]
    assert [(j.job_id, j.state, j.attempts) for j in queue.list_jobs("app")] == [
        ("1", State.COMPLETED, 1),
        ("2", State.QUEUED, 0),
    ]


def test_the_app_can_come_from_the_environment(env: StolosEnv) -> None:
    env.run("submit", "app", "1")
    env.env["STOLOS_APP_NAME"] = "app"

    env.run("run")

    assert runs(env) == ["1"]


def test_with_nothing_queued_it_exits_0_having_done_nothing(env: StolosEnv) -> None:
    done = env.run("run", "-a", "app")

    assert "no runnable job of app" in done.stderr
    assert runs(env) == []
    assert env.api().queue.list_jobs() == []


def test_a_new_job_id_is_run_before_the_queued_jobs(env: StolosEnv) -> None:
    env.run("submit", "app", "1")

    env.run("run", "-a", "app", "--job_id", "9")

    queue = env.api().queue
    assert runs(env) == ["9"]
    assert [(j.job_id, j.state) for j in queue.list_jobs("app")] == [
        ("1", State.QUEUED),
        ("9", State.COMPLETED),
    ]


@pytest.mark.parametrize("known", ["queued", "completed"])
def test_a_known_job_id_is_refused_and_left_alone(env: StolosEnv, known: str) -> None:
    env.run("submit", "app", "1")
    if known == "completed":
        env.run("run", "-a", "app")
    queue = env.api().queue
    before = (queue.get("app", "1"), queue.history("app", "1"))

    refused = env.run("run", "-a", "app", "--job_id", "1", check=False)

    assert refused.returncode == 1
    assert "app" in refused.stderr and "already known" in refused.stderr
    assert "stolos reset" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert (queue.get("app", "1"), queue.history("app", "1")) == before


def test_bypassing_the_scheduler_runs_the_command_and_records_nothing(env: StolosEnv) -> None:
    done = env.run("run", "-a", "app", "--job_id", "7", "--bypass_scheduler")

    assert runs(env) == ["7"]
    assert "ran without the scheduler" in done.stdout
    queue = env.api().queue
    assert queue.get("app", "7") is None
    assert queue.list_jobs() == []


def test_a_failing_command_run_bypassing_the_scheduler_exits_1_with_a_message(
    env: StolosEnv,
) -> None:
    failed = env.run("run", "-a", "broken", "--job_id", "7", "--bypass_scheduler", check=False)

    assert failed.returncode == 1
    assert "exited with code 3" in failed.stderr and "Traceback" not in failed.stderr
    assert runs(env) == ["7"]
    assert env.api().queue.get("broken", "7") is None


def test_bypassing_the_scheduler_needs_a_job_id(env: StolosEnv) -> None:
    refused = env.run("run", "-a", "app", "--bypass_scheduler", check=False)

    assert refused.returncode == 1
    assert "--bypass_scheduler needs --job_id" in refused.stderr
    assert runs(env) == []
