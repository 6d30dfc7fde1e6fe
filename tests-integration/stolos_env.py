"""Real ``stolos`` processes on real backends, for cross-distribution scenarios.

:class:`StolosEnv` (the ``stolos_env`` fixture of ``conftest.py``) gives a test its own
directory with a fresh SQLite database path, a log directory and a ``tasks.json`` path,
and runs the ``stolos`` command of the installed distributions as real subprocesses with
those ``STOLOS_*`` settings.  A test that targets another backend changes
``stolos_env.env`` (e.g. ``STOLOS_QUEUE_BACKEND``) before running anything.  Background
workers are killed at teardown, and so is every process a job started: each process a
test starts carries ``STOLOS_INTEGRATION_ROOT`` in its environment, inherited by every
job, even one that outlived its worker in its own session.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from stolos import Stolos

COMMAND_TIMEOUT_SECONDS = 120
WAIT_TIMEOUT_SECONDS = 60  # a bound on waiting for what normally happens within seconds
MARKER = "STOLOS_INTEGRATION_ROOT"  # names the test that started a process (and its jobs)

START_TOGETHER = """\
import runpy, sys
from pathlib import Path

import stolos.cli.main  # before the start line, so that the commands start together

ready, start_line = Path(sys.argv[1]), sys.argv[2]
ready.touch()
open(start_line).close()  # a FIFO: blocks until the test opens it for writing
sys.argv = ["stolos", *sys.argv[3:]]
runpy.run_module("stolos", run_name="__main__", alter_sys=True)
"""


def wait_until(
    condition: Callable[[], Any], what: str, timeout: float = WAIT_TIMEOUT_SECONDS
) -> Any:
    """Poll ``condition`` until it returns something true, and return that; fail the
    test naming ``what`` if ``timeout`` seconds pass first."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout}s waiting for {what}")
        time.sleep(0.05)


def _proc_stat(pid: int) -> list[str] | None:
    """The fields of ``/proc/PID/stat`` after the command name, ``None`` if gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return stat.rpartition(")")[2].split()


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting to be reaped counts as dead)."""
    fields = _proc_stat(pid)
    return fields is not None and fields[0] != "Z"


def group_alive(pgid: int) -> bool:
    """True while any live (non-zombie) process belongs to process group ``pgid``."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _proc_stat(int(entry.name))
            if fields is not None and fields[0] != "Z" and int(fields[2]) == pgid:
                return True
    return False


class StolosEnv:
    """One isolated Stolos installation state: configuration, database, logs, workers."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.tasks_json = root / "tasks.json"
        self.db_path = root / "stolos.db"
        self.log_dir = root / "logs"
        self.env: dict[str, str] = {
            **os.environ,
            "STOLOS_CONFIGURATION_BACKEND": "json",
            "STOLOS_TASKS_JSON": str(self.tasks_json),
            "STOLOS_QUEUE_BACKEND": "sqlite",
            "STOLOS_QB_SQLITE_PATH": str(self.db_path),
            "STOLOS_LOG_DIR": str(self.log_dir),
            MARKER: str(root),
        }
        self.workers: list[subprocess.Popen[bytes]] = []
        self._logs: dict[int, Path] = {}
        self._api: Stolos | None = None

    def write_tasks(self, config: Mapping[str, Any] | str) -> Path:
        """Write the configuration (a mapping, or raw text for malformed-file scenarios)."""
        text = config if isinstance(config, str) else json.dumps(config, indent=2)
        self.tasks_json.write_text(text)
        return self.tasks_json

    def command(self, *args: str) -> list[str]:
        """The argv of a ``stolos`` command, run by this test's Python environment."""
        return [sys.executable, "-m", "stolos", *args]

    def run(
        self, *args: str, check: bool = True, timeout: float = COMMAND_TIMEOUT_SECONDS
    ) -> subprocess.CompletedProcess[str]:
        """Run ``stolos ARGS`` to completion in this test's directory; output is captured.

        With ``check`` (the default) a non-zero exit fails the test, showing the output.
        """
        done = subprocess.run(
            self.command(*args),
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and done.returncode != 0:
            raise AssertionError(
                f"stolos {' '.join(args)} exited {done.returncode}\n"
                f"--- stdout\n{done.stdout}--- stderr\n{done.stderr}"
            )
        return done

    def run_together(self, *commands: Sequence[str]) -> list[subprocess.CompletedProcess[str]]:
        """Run several ``stolos`` commands (each a list of arguments) at the same moment,
        as separate processes; returns when all have exited.

        Each process imports Stolos, then waits at a start line (a FIFO it opens for
        reading) until every one is there; opening the FIFO for writing releases them all.
        """
        gathering = self.root / f"start-{len(list(self.root.glob('start-*')))}"
        gathering.mkdir()
        start_line = gathering / "start-line"
        os.mkfifo(start_line)
        ready = [gathering / f"ready-{i}" for i in range(len(commands))]
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", START_TOGETHER, str(flag), str(start_line), *args],
                cwd=self.root,
                env=self.env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for flag, args in zip(ready, commands, strict=True)
        ]
        wait_until(lambda: all(f.exists() for f in ready), "every command at the start line")
        fd = os.open(start_line, os.O_WRONLY)  # held open until all have passed the line
        try:
            outputs = [p.communicate(timeout=COMMAND_TIMEOUT_SECONDS) for p in processes]
        finally:
            os.close(fd)
        return [
            subprocess.CompletedProcess(p.args, p.returncode, out, err)
            for p, (out, err) in zip(processes, outputs, strict=True)
        ]

    def status(self, *args: str) -> dict[str, Any]:
        """The parsed output of ``stolos status --json ARGS``."""
        result: dict[str, Any] = json.loads(self.run("status", "--json", *args).stdout)
        return result

    def start_worker(self, *args: str) -> subprocess.Popen[bytes]:
        """Start ``stolos worker ARGS`` in the background, in its own process group.

        Its output goes to ``worker-<n>.log`` in the test's directory.
        """
        log_path = self.root / f"worker-{len(self.workers)}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                self.command("worker", *args),
                cwd=self.root,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.workers.append(process)
        self._logs[process.pid] = log_path
        return process

    def worker_log(self, process: subprocess.Popen[bytes]) -> str:
        """What a worker started by :meth:`start_worker` has written so far."""
        return self._logs[process.pid].read_text(errors="replace")

    def api(self) -> Stolos:
        """A :class:`stolos.Stolos` on this test's configuration and database, to read
        states and histories through the public API (one per test, closed at teardown)."""
        if self._api is None:
            self._api = Stolos(environ=self.env)
        return self._api

    def processes(self) -> list[int]:
        """The pids of every live process this test started, directly or not: workers,
        commands and the processes of their jobs (found by their environment)."""
        marker = f"{MARKER}={self.root}".encode()
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            with contextlib.suppress(OSError):
                if marker in (entry / "environ").read_bytes().split(b"\0") and alive(
                    int(entry.name)
                ):
                    found.append(int(entry.name))
        return found

    def kill_workers(self) -> None:
        """SIGKILL every worker still running, with every process of its group."""
        for process in self.workers:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def close(self) -> None:
        """Kill the workers, then every process left over (jobs in their own sessions
        outlive a killed worker), and close the API object."""
        self.kill_workers()
        for pid in self.processes():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if self._api is not None:
            self._api.close()
