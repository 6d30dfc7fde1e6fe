"""Stolos on Redis side by side with RQ (python-rq) on the same Redis server, in one run.

The script starts one fresh ``redis-server`` on a free port (``stolos_redis.testing``'s
launcher; no persistence: ``--save ''``, ``appendonly no``), empties it before every
measurement, and stops it (by PID) at the end, even when a run fails.  Every workload
runs once with Stolos and once with RQ; each worker is a real process timed from start
to exit, and each submission runs in this process with its client already connected:

1. ``noop``: N jobs that do nothing, submitted in this process, then drained by ONE
   worker process.  Stolos: ``scheduler.submit(pairs)`` through the API, then
   ``python -m stolos worker --exit-when-idle`` over an app with ``job_type: noop``.
   RQ: ``Queue.enqueue`` of a no-op function (defined in a module written to a temporary
   directory on ``PYTHONPATH``), then ``rq worker --burst`` with ``SimpleWorker`` (jobs
   run in the worker process).  Submit, drain and the two together are timed apart.
2. ``subprocess``: each job runs in a child process.  Stolos: a ``bash`` app running
   ``true`` (``bash -c true``); RQ: its default ``Worker``, which forks a work horse per
   job, running the no-op function.  2,000 jobs by default (``--subprocess-jobs``): a
   forking RQ worker does 30 to 60 jobs/s here, so 10,000 would add minutes to a run.
3. ``chain``: N/2 pairs, 2 stages, N jobs.  Stolos: app ``B`` (``{n}``) depends on app
   ``A`` (same ``{n}``); only the ``A`` jobs are submitted and each ``A`` completion
   queues its ``B`` (bubble down), which checks its parent when claimed.  RQ: each ``B``
   enqueued with ``depends_on`` its ``A``, so RQ defers it until ``A`` finishes.  Submit
   and drain timed together.
4. ``submit``: N job_ids submitted in this process.  Stolos ``scheduler.submit(pairs)``
   (one call for all) against RQ ``Queue.enqueue`` (one call per job) and RQ
   ``Queue.enqueue_many`` (one pipeline for all); the Stolos figure is the same run on
   both rows.

Per job, for each system, from the server's own counters read before and after each
step (``INFO``):

- ``cmds``: Redis commands executed, the sum of ``calls`` over ``INFO commandstats``
  (commands run inside a Lua script count one each, as does the ``EVALSHA`` itself);
- ``RT``: round trips, counted as the socket reads the server processed
  (``total_reads_processed``): one per command or pipeline a client sends and waits
  for.  A pipeline larger than the server's 16 KiB read buffer is read in several
  pieces, so RQ's ``enqueue_many`` row counts reads, not its single round trip;
- ``bytes``: growth of ``used_memory`` per job: what each queued, then finished, job
  leaves in Redis (Stolos keeps every record and its history; RQ keeps a finished job and
  its result for ``result_ttl``, 500 s by default);
- CPU: of the client (the submitting process, or the worker process with the job
  processes it waited for) and of Redis (``INFO cpu``).  On a machine shared with other
  work CPU time varies far less than wall time, so it is the steadier comparison.

Both workers log each job at INFO to a file.  RQ 3.0's burst worker can wait up to 60 s
at exit for the thread that listens for its commands (rq/rq#1613): the RQ workers here
listen with a 0.2 s timeout, as RQ 1.x did, so that wait stays out of RQ's figures.

The aim: ahead of RQ in every row, and at most 3 round trips per job end to end.  Every
run must end with every job completed (Stolos: ``counts()``; RQ: its finished-job
registry), or the script exits non-zero.

Run: ``python benchmarks/redis_vs_rq.py [--jobs N] [--subprocess-jobs N] [--chain-jobs N]
[--quick]`` in a venv with stolos-core, stolos-config-json, stolos-bash, stolos-redis and
``benchmarks/requirements.txt``; needs ``redis-server`` on the PATH (or
``STOLOS_REDIS_SERVER``).
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import astuple, dataclass
from importlib.metadata import version
from pathlib import Path
from types import ModuleType
from typing import Any

import redis
from _harness import Elapsed, Workspace, children_cpu, machine, sizes, table
from rq import Queue

from stolos_redis.testing import LocalRedisServer, RedisServer, local_redis_binary

DEFAULTS = {"jobs": 10_000, "subprocess_jobs": 2_000, "chain_jobs": 2_000}
QUICK = {key: value // 10 for key, value in DEFAULTS.items()}
AIM_ROUND_TRIPS = 3
RQ_MODULE = "rq_bench_jobs"
RQ_MODULE_SOURCE = '''"""The RQ side of benchmarks/redis_vs_rq.py: its job, and its workers."""

import rq


def noop():
    return None


class PromptExit:
    """RQ 3.0 listens for worker commands with a 60 s read timeout, and a burst worker's
    exit can wait that long for the listening thread (rq/rq#1613); listening with a
    0.2 s timeout, as RQ 1.x did, keeps that wait out of the figures."""

    def subscribe(self):
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub_thread = self.pubsub.run_in_thread(
            sleep_time=0.2, daemon=True, exception_handler=self._pubsub_exception_handler
        )


class SimpleWorker(PromptExit, rq.SimpleWorker):
    """Runs each job in the worker process."""


class Worker(PromptExit, rq.Worker):
    """Forks a work horse for each job (RQ's default)."""
'''
WORKER_LOG = "rq-worker.log"


# --- the server and its counters --------------------------------------------------------


@dataclass(frozen=True)
class Usage:
    """What one step cost: wall and CPU seconds of the client process (and its children),
    then the server's own counters: its CPU seconds, commands executed, socket reads
    (round trips), bytes of memory in use."""

    wall: float = 0.0
    cpu: float = 0.0
    server_cpu: float = 0.0
    commands: int = 0
    round_trips: int = 0
    memory: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(*(a + b for a, b in zip(astuple(self), astuple(other), strict=True)))

    def __sub__(self, other: Usage) -> Usage:
        return Usage(*(a - b for a, b in zip(astuple(self), astuple(other), strict=True)))


class Server:
    """The benchmark's own Redis server, and what it counted during one step."""

    def __init__(self, launcher: RedisServer) -> None:
        self.launcher = launcher
        self.client = launcher.client()
        self.client.config_set("appendonly", "no")  # the launcher starts it with an AOF
        self.url = launcher.url

    def flush(self) -> None:
        self.client.flushall()

    def counters(self) -> Usage:
        info = self.client.info("commandstats", "stats", "memory", "cpu")
        return Usage(
            server_cpu=info["used_cpu_user"] + info["used_cpu_sys"],
            commands=sum(v["calls"] for k, v in info.items() if k.startswith("cmdstat_")),
            round_trips=info["total_reads_processed"],
            memory=info["used_memory"],
        )

    def measure(self, timed: Callable[[], Elapsed]) -> Usage:
        """Run ``timed`` (which measures its own wall and CPU time) between two reads of
        the server's counters; its times, with the counters' difference."""
        before = self.counters()
        elapsed = timed()
        return Usage(elapsed.wall, elapsed.cpu) + (self.counters() - before)

    def version(self) -> str:
        return str(self.client.info("server")["redis_version"])


def in_this_process(action: Callable[[], object]) -> Elapsed:
    """Wall and CPU seconds of ``action`` run in this process."""
    cpu = time.process_time()
    start = time.perf_counter()
    action()
    return Elapsed(time.perf_counter() - start, time.process_time() - cpu)


@contextmanager
def redis_server(directory: Path) -> Iterator[Server]:
    """A fresh server for the whole run, stopped however the run ends (SIGTERM included)."""
    binary = local_redis_binary()
    if binary is None:
        raise SystemExit("redis-server is not installed (or set STOLOS_REDIS_SERVER)")
    launcher = LocalRedisServer(binary, directory)
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    launcher.start()
    try:
        yield Server(launcher)
    finally:
        launcher.stop()
        signal.signal(signal.SIGTERM, previous)


# --- one side's figures -------------------------------------------------------------------


@dataclass
class Figures:
    """One system's measurement of one workload."""

    jobs: int
    usage: Usage
    error: str | None = None

    def __add__(self, other: Figures) -> Figures:
        return Figures(self.jobs, self.usage + other.usage, self.error or other.error)

    @property
    def rate(self) -> float:
        return self.jobs / self.usage.wall

    def per_job(self, amount: float) -> float:
        return amount / self.jobs


@dataclass
class Row:
    workload: str
    stolos: Figures
    rq: Figures


# --- Stolos -------------------------------------------------------------------------------


class StolosSide:
    """Stolos runs: a workspace per workload whose queue backend is the server's Redis."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.environ = {
            "STOLOS_QUEUE_BACKEND": "redis",
            "STOLOS_QB_REDIS_URL": server.url,
            "STOLOS_QB_REDIS_PREFIX": "bench:",
        }

    def workspace(self, tasks: dict[str, Any]) -> Workspace:
        self.server.flush()
        return Workspace(tasks, {"n": "int"}, self.environ)

    def submit(self, space: Workspace, pairs: list[tuple[str, str]]) -> Usage:
        """``scheduler.submit(pairs)`` in this process: the workspace times the call alone;
        the CPU time includes loading the configuration."""

        def timed() -> Elapsed:
            cpu = time.process_time()
            wall = space.submit(pairs)
            return Elapsed(wall, time.process_time() - cpu)

        return self.server.measure(timed)

    def submit_and_drain(
        self, tasks: dict[str, Any], submit: list[tuple[str, str]], expected: dict[str, int]
    ) -> tuple[Figures, Figures]:
        """Submit ``submit`` through the API, then one worker process until idle."""
        jobs = sum(expected.values())
        with self.workspace(tasks) as space:
            submitted = self.submit(space, submit)
            drained = self.server.measure(lambda: space.run("worker", "--exit-when-idle"))
            error = space.wrong_states(expected)
        return Figures(jobs, submitted, error), Figures(jobs, drained, error)

    def independent(self, app: dict[str, Any], jobs: int) -> tuple[Figures, Figures]:
        return self.submit_and_drain(
            {"job": {"job_id": "{n}", **app}},
            [("job", str(i)) for i in range(jobs)],
            {"job": jobs},
        )

    def chain(self, pairs: int) -> Figures:
        tasks = {
            "A": {"job_id": "{n}", "job_type": "noop"},
            "B": {"job_id": "{n}", "job_type": "noop", "depends_on": {"app_name": ["A"]}},
        }
        submitted, drained = self.submit_and_drain(
            tasks, [("A", str(i)) for i in range(pairs)], {"A": pairs, "B": pairs}
        )
        return submitted + drained

    def submit_only(self, jobs: int) -> Figures:
        with self.workspace({"job": {"job_id": "{n}", "job_type": "noop"}}) as space:
            usage = self.submit(space, [("job", str(i)) for i in range(jobs)])
            queued = space.counts().get("job", {})
        error = None if sum(queued.values()) == jobs else f"submitted {jobs}, found {queued}"
        return Figures(jobs, usage, error)


# --- RQ -----------------------------------------------------------------------------------


class RQSide:
    """RQ runs: queues on the server's Redis, jobs of a module written to ``directory``."""

    def __init__(self, server: Server, directory: Path) -> None:
        self.server = server
        self.directory = directory
        (directory / f"{RQ_MODULE}.py").write_text(RQ_MODULE_SOURCE)
        sys.path.insert(0, str(directory))
        self.jobs: ModuleType = importlib.import_module(RQ_MODULE)
        self.connection = redis.Redis.from_url(server.url)
        self.environ = {**os.environ, "PYTHONPATH": str(directory)}

    def queue(self, name: str) -> Queue:
        self.server.flush()
        self.connection.ping()  # connected before any clock starts
        return Queue(name, connection=self.connection)

    def enqueue(self, action: Callable[[], object]) -> Usage:
        """Enqueue in this process."""
        return self.server.measure(lambda: in_this_process(action))

    def enqueue_each(self, queue: Queue, jobs: int, *, ids: bool = False) -> Usage:
        def enqueue() -> None:
            for i in range(jobs):
                queue.enqueue(self.jobs.noop, job_id=str(i) if ids else None)

        return self.enqueue(enqueue)

    def work(self, queue: Queue, worker_class: str) -> Usage:
        """``rq worker --burst`` in its own process until the queue is empty."""
        log = self.directory / WORKER_LOG
        command = [sys.executable, "-m", "rq.cli", "worker", "--burst"]
        command += ["--worker-class", f"{RQ_MODULE}.{worker_class}"]
        command += ["--url", self.server.url, queue.name]

        def timed() -> Elapsed:
            with log.open("ab") as out:
                cpu = children_cpu()
                start = time.perf_counter()
                code = subprocess.call(
                    command, env=self.environ, stdin=subprocess.DEVNULL, stdout=out, stderr=out
                )
                elapsed = Elapsed(time.perf_counter() - start, children_cpu() - cpu)
            if code != 0:
                tail = log.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"rq worker exited {code}:\n{tail}")
            return elapsed

        return self.server.measure(timed)

    @staticmethod
    def wrong_states(queue: Queue, jobs: int) -> str | None:
        finished = queue.finished_job_registry.count
        failed = queue.failed_job_registry.count
        if finished == jobs and not failed and not len(queue):
            return None
        return f"finished {finished} of {jobs}, failed {failed}, still queued {len(queue)}"

    def independent(self, jobs: int, worker_class: str) -> tuple[Figures, Figures]:
        queue = self.queue("bench")
        submitted = self.enqueue_each(queue, jobs)
        drained = self.work(queue, worker_class)
        error = self.wrong_states(queue, jobs)
        return Figures(jobs, submitted, error), Figures(jobs, drained, error)

    def chain(self, pairs: int) -> Figures:
        queue = self.queue("bench")

        def enqueue() -> None:
            for i in range(pairs):
                first = queue.enqueue(self.jobs.noop, job_id=f"A-{i}")
                queue.enqueue(self.jobs.noop, job_id=f"B-{i}", depends_on=first)

        usage = self.enqueue(enqueue) + self.work(queue, "SimpleWorker")
        return Figures(2 * pairs, usage, self.wrong_states(queue, 2 * pairs))

    @staticmethod
    def queued(queue: Queue, jobs: int) -> str | None:
        return None if len(queue) == jobs else f"{len(queue)} of {jobs} jobs queued"

    def submit_each(self, jobs: int) -> Figures:
        queue = self.queue("bench")
        return Figures(jobs, self.enqueue_each(queue, jobs, ids=True), self.queued(queue, jobs))

    def submit_many(self, jobs: int) -> Figures:
        queue = self.queue("bench")
        data = [Queue.prepare_data(self.jobs.noop, job_id=str(i)) for i in range(jobs)]
        usage = self.enqueue(lambda: queue.enqueue_many(data))
        return Figures(jobs, usage, self.queued(queue, jobs))


# --- the run ------------------------------------------------------------------------------


def progress(message: str) -> None:
    print(f"... {message}", file=sys.stderr, flush=True)


def run(chosen: dict[str, int], server: Server, directory: Path) -> list[Row]:
    stolos, rq = StolosSide(server), RQSide(server, directory)
    n, n_sub, pairs = chosen["jobs"], chosen["subprocess_jobs"], chosen["chain_jobs"] // 2
    rows = []

    progress(f"noop x{n:,}")
    s_submit, s_drain = stolos.independent({"job_type": "noop"}, n)
    r_submit, r_drain = rq.independent(n, "SimpleWorker")
    rows += [
        Row(f"1. noop x{n:,}: submit", s_submit, r_submit),
        Row("   drain: 1 worker (RQ SimpleWorker)", s_drain, r_drain),
        Row("   submit + drain", s_submit + s_drain, r_submit + r_drain),
    ]

    progress(f"subprocess x{n_sub:,}")
    s_submit, s_drain = stolos.independent({"job_type": "bash", "bash_cmd": "true"}, n_sub)
    r_submit, r_drain = rq.independent(n_sub, "Worker")
    rows += [
        Row(f"2. subprocess x{n_sub:,}: drain (bash -c true / RQ fork)", s_drain, r_drain),
        Row("   submit + drain", s_submit + s_drain, r_submit + r_drain),
    ]

    progress(f"chain x{2 * pairs:,}")
    chain = f"3. chain A->B, {2 * pairs:,} jobs: submit + drain"
    rows.append(Row(chain, stolos.chain(pairs), rq.chain(pairs)))

    progress(f"submit x{n:,}")
    s_submit = stolos.submit_only(n)
    rows += [
        Row(f"4. submit {n:,} job_ids: vs RQ enqueue", s_submit, rq.submit_each(n)),
        Row("   vs RQ enqueue_many", s_submit, rq.submit_many(n)),
    ]
    return rows


# --- the report ---------------------------------------------------------------------------


def traffic(row: Row) -> list[str]:
    s, r = row.stolos, row.rq
    return [
        row.workload,
        f"{s.rate:,.0f}",
        f"{r.rate:,.0f}",
        f"{s.rate / r.rate:.2f}x",
        f"{s.per_job(s.usage.commands):.1f}",
        f"{r.per_job(r.usage.commands):.1f}",
        f"{s.per_job(s.usage.round_trips):.2f}",
        f"{r.per_job(r.usage.round_trips):.2f}",
        f"{s.per_job(s.usage.memory):,.0f}",
        f"{r.per_job(r.usage.memory):,.0f}",
    ]


TRAFFIC = [
    "workload",
    "Stolos jobs/s",
    "RQ jobs/s",
    "ratio",
    "Stolos cmds/job",
    "RQ cmds/job",
    "Stolos RT/job",
    "RQ RT/job",
    "Stolos bytes/job",
    "RQ bytes/job",
]


def cpu_per_job(figures: Figures) -> tuple[float, float]:
    """Client and server CPU µs per job."""
    usage = figures.usage
    return figures.per_job(usage.cpu) * 1e6, figures.per_job(usage.server_cpu) * 1e6


def cpu(row: Row) -> list[str]:
    s_client, s_server = cpu_per_job(row.stolos)
    r_client, r_server = cpu_per_job(row.rq)
    return [
        row.workload,
        f"{s_client:,.0f}",
        f"{r_client:,.0f}",
        f"{s_server:,.0f}",
        f"{r_server:,.0f}",
        f"{(r_client + r_server) / (s_client + s_server):.2f}x",
    ]


CPU = ["workload", "Stolos client", "RQ client", "Stolos Redis", "RQ Redis", "ratio"]


def summary(rows: list[Row]) -> str:
    behind = [row.workload.strip() for row in rows if row.stolos.rate < row.rq.rate]
    noop = rows[2].stolos  # submit + drain of the noop jobs
    trips = noop.per_job(noop.usage.round_trips)
    verdict = "within" if trips <= AIM_ROUND_TRIPS else "over"
    return (
        f"Summary: Stolos is ahead of RQ in {len(rows) - len(behind)} of {len(rows)} rows"
        + (f" (behind: {'; '.join(behind)})" if behind else "")
        + f"; a noop job costs Stolos {trips:.2f} round trips end to end, {verdict} the aim"
        f" of {AIM_ROUND_TRIPS}."
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, help="noop and submit jobs (default 10,000)")
    parser.add_argument("--subprocess-jobs", type=int, help="jobs in a child process (2,000)")
    parser.add_argument("--chain-jobs", type=int, help="jobs of the A->B chain (2,000)")
    parser.add_argument("--quick", action="store_true", help="a tenth of every size")
    args = parser.parse_args()
    chosen = sizes(args, DEFAULTS, QUICK)

    with tempfile.TemporaryDirectory(prefix="stolos-redis-rq-") as tmp:
        (Path(tmp) / "redis").mkdir()
        with redis_server(Path(tmp) / "redis") as server:
            print("Stolos on Redis against RQ: one worker process each, one Redis server")
            print(f"machine: {machine()}")
            print(
                f"Redis {server.version()} (no persistence), redis-py {version('redis')}, "
                f"RQ {version('rq')}"
            )
            print(flush=True)
            rows = run(chosen, server, Path(tmp))

    print("1. Throughput and Redis traffic per job")
    print("   ratio = Stolos jobs/s / RQ jobs/s; cmds = commands Redis executed (inside")
    print("   scripts too); RT = round trips (socket reads Redis processed: RQ's")
    print("   enqueue_many is one pipeline, read in 16 KiB pieces); bytes = used_memory growth")
    print()
    print(table(TRAFFIC, [traffic(row) for row in rows]))
    print()
    print("2. CPU µs per job: the client process (a worker with its job processes), and Redis")
    print("   ratio = RQ's total / Stolos's total (steadier than wall time on a shared machine)")
    print()
    print(table(CPU, [cpu(row) for row in rows]))
    print()
    print(summary(rows))
    failures = [
        (row.workload, figures.error)
        for row in rows
        for figures in (row.stolos, row.rq)
        if figures.error
    ]
    for workload, error in failures:
        print(f"FAILED {workload.strip()}: {error}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
