"""Fixtures for worker tests that run real ``stolos`` processes over a SQLite file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from stolos import Stolos


class Env:
    """A private configuration, database and log directory, and ways to run ``stolos``."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.tasks = tmp / "tasks.json"
        validations = tmp / "validations.py"
        validations.write_text("JOB_ID_VALIDATIONS = {'n': int}\n")
        self.environ = {
            **os.environ,
            "STOLOS_TASKS_JSON": str(self.tasks),
            "STOLOS_JOB_ID_VALIDATIONS": str(validations),
            "STOLOS_QUEUE_BACKEND": "sqlite",
            "STOLOS_QB_SQLITE_PATH": str(tmp / "stolos.db"),
            "STOLOS_LOG_DIR": str(tmp / "logs"),
        }
        self.procs: list[subprocess.Popen[str]] = []

    def write_tasks(self, tasks: Mapping[str, Any]) -> None:
        self.tasks.write_text(json.dumps(tasks))

    def stolos(self) -> Stolos:
        return Stolos(environ=self.environ)

    def run(
        self, *args: str, check: bool = True, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [sys.executable, "-m", "stolos", *args],
            env=self.environ,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"stolos {' '.join(args)} exited {proc.returncode}:\n{proc.stderr}"
            )
        return proc

    def start(self, *args: str) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [sys.executable, "-m", "stolos", *args],
            env=self.environ,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.procs.append(proc)
        return proc

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            proc.communicate()


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    environment = Env(tmp_path)
    yield environment
    environment.close()
