"""Shared fixtures for cross-distribution scenarios: real ``stolos`` processes on real backends.

``stolos_env`` gives a test its own directory with a fresh SQLite database path, a log
directory and a ``tasks.json`` path, and runs the ``stolos`` command of the installed
distributions as real subprocesses with those ``STOLOS_*`` settings.  A test that targets
another backend changes ``stolos_env.env`` (e.g. ``STOLOS_QUEUE_BACKEND``) before running
anything.  Background workers are killed, with their jobs' processes, at teardown.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

COMMAND_TIMEOUT_SECONDS = 120


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
        }
        self.workers: list[subprocess.Popen[bytes]] = []

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
        return process

    def kill_workers(self) -> None:
        """SIGKILL every worker still running, with every process of its group."""
        for process in self.workers:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture
def stolos_env(tmp_path: Path) -> Iterator[StolosEnv]:
    """A fresh :class:`StolosEnv` in ``tmp_path``; its workers are killed at teardown."""
    environment = StolosEnv(tmp_path)
    try:
        yield environment
    finally:
        environment.kill_workers()
