"""Dependency resolution speed: parents()/children() per second, and streaming a huge
fan-in.

What it measures, in one process:

- ``parents()`` and ``children()`` calls per second on a resolver that has answered
  before (the scheduler's case: one resolver per worker, a query per job run), over
  every job of the example pipeline for one date;
- the same queries with a new resolver per call: what the original paid on every call,
  since it re-read the configuration and rebuilt the app graph each time (the peer
  figure; the ratio is the gain of computing per-app and per-group data once);
- the time and peak memory (tracemalloc) to stream the 100,000 parents of a job whose
  group is ``"all"`` over an autofill range ``"0:100000"``, against collecting them into
  a list.

The configuration is ``examples/tasks.json`` with ``examples/job_id_validations.py``, or,
when the example pipeline is absent, the original's example configuration kept with the
resolver's tests.  Run: ``python benchmarks/resolve.py``.
"""

from __future__ import annotations

import itertools
import json
import os
import platform
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from stolos.config.model import TasksConfig
from stolos.dag import DependencyResolver
from stolos.errors import StolosError
from stolos.jobid import Validators, load_validations_module

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_TASKS = ROOT / "examples" / "tasks.json"
EXAMPLE_VALIDATIONS = ROOT / "examples" / "job_id_validations.py"
FALLBACK_TASKS = ROOT / "stolos-core" / "tests" / "dag" / "original_examples.json"
FALLBACK_TEMPLATE = "{date}_{client_id}_{collection_name}"
# Values for identifiers that have no autofill values, to build one job per app.
SAMPLES = {"date": 20260101, "client_id": 1, "collection_name": "profile", "testID": "testID1"}
BIG = 100_000
REPEATS = 5


def load() -> tuple[str, dict[str, Any], Validators, str | None]:
    if EXAMPLE_TASKS.exists():
        validators = Validators(load_validations_module(str(EXAMPLE_VALIDATIONS)))
        return "examples/tasks.json", json.loads(EXAMPLE_TASKS.read_text()), validators, None
    validators = Validators({"date": int, "client_id": int})
    raw = json.loads(FALLBACK_TASKS.read_text())
    return "the original's example configuration", raw, validators, FALLBACK_TEMPLATE


def resolver_for(raw: dict[str, Any], validators: Validators, template: str | None) -> Any:
    return DependencyResolver(TasksConfig(raw, "bench", default_template=template), validators)


def pipeline_jobs(resolver: DependencyResolver) -> list[tuple[str, str]]:
    """Every job of every app for one date: the cross product of each app's autofill
    values; an identifier without takes the values other apps declare, else a sample."""
    known: dict[str, list[Any]] = {}
    for name in resolver.config:
        for k, values in resolver.config[name].autofill_values.items():
            if values:
                known.setdefault(k, resolver.autofill_values(name, k))
    jobs = []
    for name in resolver.config:
        app = resolver.config[name]
        template = app.template
        axes = [
            resolver.autofill_values(name, k)
            if app.autofill_values.get(k)
            else known.get(k, [SAMPLES.get(k, "x")])
            for k in template.identifiers
        ]
        for row in itertools.product(*axes):
            jobs.append((name, template.format(dict(zip(template.identifiers, row, strict=True)))))
    return [job for job in jobs if _answers(resolver, *job)]


def _answers(resolver: DependencyResolver, app: str, job_id: str) -> bool:
    """Whether both queries succeed (the fallback configuration has apps whose sample
    job_ids do not validate)."""
    try:
        list(resolver.parents(app, job_id))
        list(resolver.children(app, job_id))
    except StolosError:
        return False
    return True


def best_seconds(run: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def per_call(
    jobs: list[tuple[str, str]], query: Callable[[str, str], Iterator[Any]], rounds: int
) -> float:
    def run() -> None:
        for _ in range(rounds):
            for app, job_id in jobs:
                for _ in query(app, job_id):
                    pass

    return best_seconds(run) / (rounds * len(jobs))


def stream_seconds(make: Callable[[], Iterator[Any]], collect: bool) -> float:
    if collect:
        return best_seconds(lambda: list(make()))
    return best_seconds(lambda: sum(1 for _ in make()))


def stream_peak(make: Callable[[], Iterator[Any]], collect: bool) -> int:
    """Peak bytes allocated while streaming (traced in a run of its own: tracing slows
    allocation down several times)."""
    tracemalloc.start()
    try:
        if collect:
            assert len(list(make())) == BIG
        else:
            assert sum(1 for _ in make()) == BIG
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError


def main() -> None:
    source, raw, validators, template = load()
    resolver = resolver_for(raw, validators, template)
    jobs = pipeline_jobs(resolver)
    rows: list[tuple[str, str, str]] = []

    warm_parents = per_call(jobs, resolver.parents, rounds=200)
    warm_children = per_call(jobs, resolver.children, rounds=200)
    cold_parents = per_call(
        jobs, lambda a, j: resolver_for(raw, validators, template).parents(a, j), rounds=5
    )
    cold_children = per_call(
        jobs, lambda a, j: resolver_for(raw, validators, template).children(a, j), rounds=5
    )
    for name, warm, cold in (
        ("parents()", warm_parents, cold_parents),
        ("children()", warm_children, cold_children),
    ):
        rows.append(
            (f"{name}, one resolver", f"{warm * 1e6:.1f} µs/call", f"{1 / warm:,.0f} calls/s")
        )
        rows.append(
            (
                f"{name}, new resolver per call (peer)",
                f"{cold * 1e6:.1f} µs/call",
                f"{cold / warm:.0f}x slower",
            )
        )

    big = {
        "wide": {"job_id": "{date}_{client_id}", "autofill_values": {"client_id": f"0:{BIG}"}},
        "fan_in": {"job_id": "{date}", "depends_on": {"app_name": ["wide"], "client_id": "all"}},
    }
    big_resolver = resolver_for(big, Validators({"date": int, "client_id": int}), None)
    list(big_resolver.parents("fan_in", "20260101"))  # compile the group first

    def fan_in() -> Iterator[Any]:
        return big_resolver.parents("fan_in", "20260101")

    stream_time, stream_mem = stream_seconds(fan_in, False), stream_peak(fan_in, False)
    list_time, list_mem = stream_seconds(fan_in, True), stream_peak(fan_in, True)
    rows.append(
        (
            f'stream {BIG:,} parents of an "all" job',
            f"{stream_time * 1e3:.0f} ms",
            f"peak {human_bytes(stream_mem)}",
        )
    )
    rows.append(
        (
            "collect them into a list (peer)",
            f"{list_time * 1e3:.0f} ms",
            f"peak {human_bytes(list_mem)} ({list_mem / stream_mem:,.0f}x)",
        )
    )

    print(
        f"Dependency resolution over {source}: {len(resolver.config)} apps, "
        f"{len(jobs)} jobs queried"
    )
    print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, best of {REPEATS} runs")
    print()
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    header = ("measure", "time", "rate / peer ratio")
    widths = [max(w, len(h)) for w, h in zip(widths, header, strict=True)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    print(line.format(*header))
    print(line.format(*("-" * w for w in widths)))
    for row in rows:
        print(line.format(*row))


if __name__ == "__main__":
    main()
