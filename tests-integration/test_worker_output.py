"""What a worker tells the outside world: observer plugins (isolated when they raise) and
one log line per job transition, as text or JSON."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from stolos_env import StolosEnv

from stolos.queue import State

OBSERVER = """
import os

from stolos.hookspecs import hookimpl


def note(line):
    with open(os.environ["OBSERVED"], "a") as out:
        out.write(line + "\\n")


@hookimpl
def stolos_before_job(job):
    note(f"before {job.app_name} {job.job_id} {job.attempt}")


@hookimpl
def stolos_on_job_error(job, error):
    note(f"error {job.app_name} {job.job_id} {job.attempt}")
    raise RuntimeError(f"observer bug on error of {job.app_name}")


@hookimpl
def stolos_after_job(job, state, duration):
    note(f"after {job.app_name} {job.job_id} {job.attempt} {state}")
    raise RuntimeError(f"observer bug after {job.app_name}")
"""


def install_observer(env: StolosEnv) -> Path:
    """A throwaway distribution with an observer, on the ``PYTHONPATH`` of every
    command, as ``pip install`` would put it; returns the file the observer writes."""
    site = env.root / "site"
    info = site / "throwaway_observer-0.1.dist-info"
    info.mkdir(parents=True)
    (site / "throwaway_observer.py").write_text(OBSERVER)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: throwaway_observer\nVersion: 0.1\n"
    )
    (info / "entry_points.txt").write_text("[stolos]\nobserver = throwaway_observer\n")
    env.env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), env.env.get("PYTHONPATH")]))
    observed = env.root / "observed"
    env.env["OBSERVED"] = str(observed)
    return observed


def observer_errors(stderr: str, log_format: str) -> dict[str, str]:
    """Each observer error the worker logged: its message -> the error it names."""
    if log_format == "json":
        entries = [json.loads(line) for line in stderr.splitlines()]
        logged = [(e["message"], e.get("exception", "")) for e in entries]
    else:  # "<time> <level> <message>", then perhaps a traceback, up to the next entry
        logged = []
        for entry in re.split(r"\n(?=\d{4}-\d\d-\d\dT)", stderr):
            message, _, error = entry.split(" ", 2)[2].partition("\n")
            logged.append((message, error))
    return {message: error for message, error in logged if message.startswith("observer ")}


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_an_observer_that_raises_breaks_no_job_and_its_error_is_logged(
    stolos_env: StolosEnv, log_format: str
) -> None:
    observed = install_observer(stolos_env)
    stolos_env.write_tasks(
        {
            "ok": {"job_id": "{n}", "bash_cmd": "true"},
            "bad": {"job_id": "{n}", "max_retry": 1, "bash_cmd": "exit 1"},
        }
    )
    stolos_env.run("submit", "ok", "1")
    stolos_env.run("submit", "bad", "1")

    done = stolos_env.run("worker", "--exit-when-idle", "--log-format", log_format)

    queue = stolos_env.api().queue
    assert queue.get("ok", "1").state is State.COMPLETED  # type: ignore[union-attr]
    assert queue.get("bad", "1").state is State.FAILED  # type: ignore[union-attr]
    assert sorted(observed.read_text().splitlines()) == [
        "after bad 1 1 failed",
        "after ok 1 1 completed",
        "before bad 1 1",
        "before ok 1 1",
        "error bad 1 1",
    ]
    errors = observer_errors(done.stderr, log_format)
    assert sorted(errors) == [
        f"observer observer of {event} raised; ignored" for event in ("after_job", "on_job_error")
    ]
    # what went wrong, not only that something did
    assert (
        "RuntimeError: observer bug after"
        in errors["observer observer of after_job raised; ignored"]
    )
    assert (
        "RuntimeError: observer bug on error of bad"
        in errors["observer observer of on_job_error raised; ignored"]
    )


# --- log lines ----------------------------------------------------------------------------

TASKS = {
    "ok": {"job_id": "{n}", "bash_cmd": "true"},
    "flaky": {"job_id": "{n}", "max_retry": 2, "bash_cmd": "mkdir failed-once || exit 0; exit 1"},
    "bad": {"job_id": "{n}", "max_retry": 1, "bash_cmd": "exit 1"},
}


def run_logged(env: StolosEnv, log_format: str) -> str:
    env.write_tasks(TASKS)
    for app in TASKS:
        env.run("submit", app, "1")
    return env.run("worker", "--exit-when-idle", "--log-format", log_format).stderr


def test_json_logs_have_one_object_per_line_and_per_transition(stolos_env: StolosEnv) -> None:
    stderr = run_logged(stolos_env, "json")

    entries: list[dict[str, Any]] = [json.loads(line) for line in stderr.splitlines()]
    transitions = [e for e in entries if "state" in e]
    queue = stolos_env.api().queue
    for app in TASKS:
        logged = [(e["state"], e["attempt"]) for e in transitions if e["app"] == app]
        recorded = [(t.state.value, t.attempt) for t in queue.history(app, "1")]
        assert logged == recorded[1:], app  # all but the submission, written by the worker
    assert {e["job_id"] for e in transitions} == {"1"}
    workers = {e["worker"] for e in transitions}
    assert len(workers) == 1
    finished = [e for e in transitions if e["state"] != "running"]
    assert len(finished) == 4
    assert all(isinstance(e["duration"], float) and e["duration"] >= 0 for e in finished)
    assert all(e["level"] in ("info", "warning") and e["message"] for e in transitions)


def test_text_logs_name_the_job_attempt_and_duration(stolos_env: StolosEnv) -> None:
    stderr = run_logged(stolos_env, "text")

    for app, attempt, words in [
        ("ok", 1, "completed"),
        ("flaky", 1, "attempt failed (will retry)"),
        ("flaky", 2, "completed"),
        ("bad", 1, "attempt failed (failed for good)"),
    ]:
        prefix = f"{app} 1 attempt {attempt} ("
        [line] = [x for x in stderr.splitlines() if prefix in x and words in x]
        duration = line.split(prefix, 1)[1].split("s)", 1)[0]
        assert float(duration) >= 0
