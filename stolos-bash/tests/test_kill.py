"""A worker that loses its lease kills the whole process group of a running command."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from stolos.errors import JobFailed

GUARD_SECONDS = 20  # how long to wait for something that normally happens at once


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + GUARD_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting: {what}")
        time.sleep(0.02)


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting to be reaped counts as dead)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def test_kill_stops_the_command_and_its_children(make_job: Any, workdir: Path) -> None:
    bash, job = make_job(
        "sleep 30 & echo $$ $! > pids.tmp && mv pids.tmp pids; sleep 30; wait; echo finished"
    )
    failures: list[JobFailed] = []

    def attempt() -> None:
        try:
            bash.run(job)
        except JobFailed as exc:
            failures.append(exc)

    thread = threading.Thread(target=attempt)
    thread.start()
    pids_file = workdir / "pids"
    wait_until(pids_file.exists, "the command to start")
    pids = [int(p) for p in pids_file.read_text().split()]
    assert all(alive(pid) for pid in pids)

    job.kill()

    thread.join(GUARD_SECONDS)
    assert not thread.is_alive()
    assert len(failures) == 1 and "SIGKILL" in str(failures[0])
    for pid in pids:
        wait_until(lambda: not alive(pid), f"process {pid} to die")  # noqa: B023
    assert "finished" not in Path(job.log_path).read_text()
