"""Run the example pipeline end to end on the embedded SQLite backend, and check the outcome.

Only the last job of each day, ``publish <date>``, is submitted.  Bubble up queues every
ancestor it is missing (report, the four clients' clean and ingest jobs), bubble down
queues the ``features`` fan-out once a client's clean data exists, ``valid_if_or`` skips
the one model that does not apply to client 4, and each day's ``publish`` fails once and
succeeds on its retry.  Every job's final state must equal ``expected_states.json``, and
the files the jobs wrote must hold the expected numbers.

Everything is written under ``example-data/`` at the repository root (database, job logs,
the pipeline's files), wiped at the start of each run so that the result is reproducible.
Needs ``stolos-core``, ``stolos-config-json`` and ``stolos-bash`` installed in the Python
that runs it (``bash examples/demo.sh`` sets that up).  Exit code 0 only if all matches.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
WORK = ROOT / "example-data"
DATES = ("20260101", "20260102")
SUBMITTED_APP = "publish"  # the last app of each day; bubble up queues all the others
# ingest writes 10 rows per unit of client id and clean keeps half of them:
# 5 * (1 + 2 + 3 + 4) clean rows per day.
EXPECTED_ROWS_PER_DAY = 50
WORKER_TIMEOUT_SECONDS = 300


def environment() -> dict[str, str]:
    """The ``STOLOS_*`` settings of the demo, over the caller's environment."""
    return {
        **os.environ,
        "STOLOS_CONFIGURATION_BACKEND": "json",
        "STOLOS_TASKS_JSON": str(EXAMPLES / "tasks.json"),
        "STOLOS_JOB_ID_VALIDATIONS": str(EXAMPLES / "job_id_validations.py"),
        "STOLOS_QUEUE_BACKEND": "sqlite",
        "STOLOS_QB_SQLITE_PATH": str(WORK / "stolos.db"),
        "STOLOS_LOG_DIR": str(WORK / "logs"),
        "STOLOS_EXAMPLE_DATA": str(WORK),
    }


def stolos(*args: str, capture: bool = False, timeout: float | None = None) -> str:
    """Run one ``stolos`` command from the repository root; exit 1 if it fails."""
    command = [sys.executable, "-m", "stolos", *args]
    print(f"\n$ stolos {' '.join(args)}", flush=True)
    try:
        done = subprocess.run(
            command,
            cwd=ROOT,
            env=environment(),
            text=True,
            timeout=timeout,
            stdout=subprocess.PIPE if capture else None,
        )
    except subprocess.TimeoutExpired:
        sys.exit(f"demo: `stolos {' '.join(args)}` did not finish within {timeout} s")
    if done.returncode != 0:
        sys.exit(f"demo: `stolos {' '.join(args)}` failed with exit code {done.returncode}")
    return done.stdout or ""


def run_pipeline() -> dict[str, Any]:
    """Validate, submit, work until idle; the final ``stolos status --json``."""
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir()
    stolos("validate")
    stolos("submit", SUBMITTED_APP, *DATES)
    stolos("worker", "--concurrency", "2", "--exit-when-idle", timeout=WORKER_TIMEOUT_SECONDS)
    status: dict[str, Any] = json.loads(stolos("status", "--json", capture=True))
    return status


def state_mismatches(jobs: Sequence[dict[str, Any]]) -> list[str]:
    """Every difference between the jobs' states and ``expected_states.json``."""
    expected: dict[str, dict[str, str]] = json.loads(
        (EXAMPLES / "expected_states.json").read_text()
    )
    actual = {(job["app"], job["job_id"]): job["state"] for job in jobs}
    wanted = {
        (app, job_id): state for app, states in expected.items() for job_id, state in states.items()
    }
    problems = [
        f"{app} {job_id}: expected {state}, got {actual.get((app, job_id), 'no such job')}"
        for (app, job_id), state in wanted.items()
        if actual.get((app, job_id)) != state
    ]
    problems += [
        f"{app} {job_id}: not expected at all, got {state}"
        for (app, job_id), state in actual.items()
        if (app, job_id) not in wanted
    ]
    return problems


def output_mismatches() -> list[str]:
    """Every difference between the files the jobs wrote and what the pipeline must make."""
    problems = []
    for date in DATES:
        report = WORK / "report" / f"{date}.txt"
        published = WORK / "published" / f"{date}.txt"
        if not report.exists():
            problems.append(f"{report} is missing")
            continue
        expected_total = f"total {EXPECTED_ROWS_PER_DAY}"
        total = report.read_text().splitlines()[-1]
        if total != expected_total:
            problems.append(f"{report}: last line {total!r}, expected {expected_total!r}")
        # publish.sh only copies the report on a second attempt, after the first one failed.
        if not published.exists() or published.read_text() != report.read_text():
            problems.append(f"{published} is not a copy of {report}")
    return problems


def print_summary(status: dict[str, Any]) -> None:
    """A table of every job, in the order of the apps in tasks.json, then counts per app."""
    order = {app: i for i, app in enumerate(json.loads((EXAMPLES / "tasks.json").read_text()))}
    jobs = sorted(
        status["jobs"], key=lambda job: (order.get(job["app"], len(order)), job["job_id"])
    )
    print(f"\n{'app':<10} {'job_id':<20} {'state':<10} attempts")
    for job in jobs:
        print(f"{job['app']:<10} {job['job_id']:<20} {job['state']:<10} {job['attempts']}")
    for app, counts in status["counts"].items():
        print(f"{app}: " + ", ".join(f"{n} {state}" for state, n in sorted(counts.items()) if n))


def main() -> int:
    status = run_pipeline()
    print_summary(status)
    problems = state_mismatches(status["jobs"]) + output_mismatches()
    if problems:
        print(f"\ndemo: FAILED, {len(problems)} mismatch(es):")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    print(
        f"\ndemo: OK, all {len(status['jobs'])} jobs reached their expected state; "
        f"job logs and data in {WORK.relative_to(ROOT)}/"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
