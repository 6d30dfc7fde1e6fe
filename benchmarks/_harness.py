"""Shared pieces of the engine benchmarks: a private workspace per run (configuration,
validations, database, logs), real ``stolos`` processes timed from start to exit, final
states checked through the API, and a plain-text table.

The queue backend comes from the environment a workspace is given, so a benchmark of
another backend reuses everything here with its own ``STOLOS_QUEUE_BACKEND`` and options.

``stolos`` processes start as an installed package does, with compiled bytecode cached
(whatever ``PYTHONDONTWRITEBYTECODE`` says; an editable checkout would otherwise compile
its modules at every start), in a directory of this process's own that is removed at
exit.  The first process of a run pays the compilation: warm up before timing.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stolos import Stolos
from stolos.queue import State

JobKey = tuple[str, str]

_BYTECODE = tempfile.TemporaryDirectory(prefix="stolos-bench-pycache-")


@dataclass(frozen=True)
class Elapsed:
    """Wall and CPU seconds of a run.  CPU time varies less than wall time on a machine
    that other work shares, so it is the figure to compare across runs."""

    wall: float
    cpu: float

    def __add__(self, other: Elapsed) -> Elapsed:
        return Elapsed(self.wall + other.wall, self.cpu + other.cpu)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Workspace:
    """A temporary directory holding one benchmark run's configuration, validations
    module, SQLite file and job logs, and the ``STOLOS_*`` environment that points at
    them.  ``backend_env`` replaces the SQLite settings (another queue backend)."""

    def __init__(
        self,
        tasks: Mapping[str, Any],
        validations: Mapping[str, str],
        backend_env: Mapping[str, str] | None = None,
    ) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="stolos-bench-"))
        (self.dir / "tasks.json").write_text(json.dumps(tasks))
        table = ", ".join(f"{name!r}: {func}" for name, func in validations.items())
        (self.dir / "validations.py").write_text(f"JOB_ID_VALIDATIONS = {{{table}}}\n")
        self.environ = {
            **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
            "PYTHONPYCACHEPREFIX": _BYTECODE.name,
            "STOLOS_TASKS_JSON": str(self.dir / "tasks.json"),
            "STOLOS_JOB_ID_VALIDATIONS": str(self.dir / "validations.py"),
            "STOLOS_LOG_DIR": str(self.dir / "logs"),
            **(
                backend_env
                or {
                    "STOLOS_QUEUE_BACKEND": "sqlite",
                    "STOLOS_QB_SQLITE_PATH": str(self.dir / "stolos.db"),
                }
            ),
        }
        self.log = self.dir / "worker.log"

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)

    def stolos(self) -> Stolos:
        return Stolos(environ=self.environ)

    def submit(self, pairs: Sequence[JobKey]) -> float:
        """Submit through the API in this process; seconds spent in ``submit`` alone
        (the configuration is loaded and the backend connected before the clock starts)."""
        stolos = self.stolos()
        try:
            stolos.config  # noqa: B018 - load and validate outside the timing
            stolos.queue  # noqa: B018 - connect outside the timing
            start = time.perf_counter()
            stolos.scheduler.submit(pairs)
            return time.perf_counter() - start
        finally:
            stolos.close()

    def run(self, *args: str) -> Elapsed:
        """Run ``python -m stolos ARGS`` to its exit; its wall time from start to exit and
        its CPU time (with the job processes it waited for).  Its log lines go to
        ``worker.log``; a non-zero exit raises with the log's tail."""
        with self.log.open("ab") as log:
            cpu = children_cpu()
            start = time.perf_counter()
            code = subprocess.call(
                [sys.executable, "-m", "stolos", *args],
                env=self.environ,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
            elapsed = Elapsed(time.perf_counter() - start, children_cpu() - cpu)
        if code != 0:
            tail = self.log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"stolos {' '.join(args)} exited {code}:\n{tail}")
        return elapsed

    def counts(self) -> dict[str, dict[State, int]]:
        stolos = self.stolos()
        try:
            counts: dict[str, dict[State, int]] = stolos.queue.counts()
            return counts
        finally:
            stolos.close()

    def wrong_states(self, expected: Mapping[str, int]) -> str | None:
        """``None`` when each app of ``expected`` has exactly that many jobs, all
        completed, and no other app has jobs; otherwise what differs."""
        counts = self.counts()
        wanted = {app: {State.COMPLETED: n} for app, n in expected.items()}
        if counts == wanted:
            return None
        wrong = {
            app: {state.value: n for state, n in by_state.items()}
            for app, by_state in counts.items()
            if by_state != wanted.get(app)
        }
        missing = sorted(set(wanted) - set(counts))
        return f"unexpected final states: {wrong}" + (f", no jobs for {missing}" if missing else "")


def sizes(args: Any, defaults: Mapping[str, int], quick: Mapping[str, int]) -> dict[str, int]:
    """Workload sizes: the defaults (or the ``--quick`` ones), each overridden by its flag."""
    chosen = dict(quick if args.quick else defaults)
    for key in chosen:
        if getattr(args, key) is not None:
            chosen[key] = getattr(args, key)
    return chosen


def machine() -> str:
    """Cores, CPU model and Python version, for the header of every benchmark."""
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"{os.cpu_count()} cores ({model}), Python {platform.python_version()}"
        f" ({platform.python_implementation()}), SQLite {_sqlite_version()}, {platform.system()}"
    )


def _sqlite_version() -> str:
    import sqlite3

    return sqlite3.sqlite_version


def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """Left-aligned columns separated by two spaces, with a rule under the header."""
    rows = [list(header), *(list(r) for r in rows)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [line.format(*rows[0]).rstrip(), line.format(*("-" * w for w in widths))]
    lines += [line.format(*row).rstrip() for row in rows[1:]]
    return "\n".join(lines)
