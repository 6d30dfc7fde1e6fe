"""Job management: ``stolos submit``, ``status``, ``explain`` and ``reset``.

Submitting and re-adding are all or nothing: every app and job_id is parsed and validated
before anything is written, so a batch with one bad job_id submits nothing.  A job that
already exists is left unchanged and reported as such, with exit code 0; so is a re-add
of a job that is already queued or running.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from typing import Any

import click

from stolos.cli.context import get_stolos, table
from stolos.engine import Stolos
from stolos.errors import InvalidJobId, JobAlreadyQueued
from stolos.queue import JobKey, JobRecord, State

STATE_NAMES = [s.value for s in State]
ERROR_WIDTH = 60


# --- shared by ``stolos submit``, ``stolos reset`` and ``stolos-submit`` -----------------


def submit_jobs(
    stolos: Stolos,
    pairs: Iterable[JobKey],
    *,
    readd: bool = False,
    priority: int | None = None,
    queue: bool = True,
    reset_descendants: bool = True,
) -> list[str]:
    """Submit (or with ``readd``, re-add) every job, all or nothing; one line per job
    saying what happened to it."""
    scheduler = stolos.scheduler
    try:
        pairs = scheduler.validate_jobs(pairs)
    except InvalidJobId as exc:
        exc.message += "; nothing was submitted"
        raise
    if not readd:
        return [
            f"{r.app} {r.job_id}: "
            + (
                _created(stolos, r.app, r.job_id, r.state)
                if r.created
                else f"already {r.state.value}, unchanged"
            )
            for r in scheduler.submit(pairs, priority=priority, queue=queue)
        ]
    lines = []
    for app, job_id in pairs:
        try:
            previous = scheduler.readd(
                app, job_id, priority=priority, reset_descendants=reset_descendants
            )
        except JobAlreadyQueued:
            record = stolos.queue.get(app, job_id)
            lines.append(
                f"{app} {job_id}: already {record.state.value if record else '?'}, unchanged"
            )
            continue
        record = stolos.queue.get(app, job_id)
        was = previous.value if previous else "never submitted"
        now = _created(stolos, app, job_id, record.state) if record else "?"
        lines.append(f"{app} {job_id}: re-added (was {was}), {now}")
    return lines


def _created(stolos: Stolos, app: str, job_id: str, state: State) -> str:
    if state is State.SKIPPED:
        record = stolos.queue.get(app, job_id)
        return f"skipped ({record.last_error if record else 'valid_if_or'})"
    if state is State.PENDING:
        return "pending (known, not queued)"
    return str(state.value)


# --- formatting ---------------------------------------------------------------------------


def iso(seconds: float | None) -> str | None:
    """A backend timestamp as ISO 8601 in UTC (``None`` stays ``None``)."""
    if seconds is None:
        return None
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).isoformat(timespec="milliseconds")


def _short(text: str | None) -> str:
    if not text:
        return ""
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= ERROR_WIDTH else line[: ERROR_WIDTH - 3] + "..."


def job_dict(app: str, job_id: str, record: JobRecord | None) -> dict[str, Any]:
    """One job as ``stolos status --json`` shows it (``state`` null: never submitted)."""
    return {
        "app": app,
        "job_id": job_id,
        "state": record.state.value if record else None,
        "attempts": record.attempts if record else 0,
        "last_error": record.last_error if record else None,
        "log_path": record.log_path if record else None,
        "updated_at": iso(record.updated_at) if record else None,
    }


# --- commands -----------------------------------------------------------------------------


@click.command(
    epilog="""\b
Examples:
  stolos submit preprocess 20140601_1 20140601_2
  stolos submit --priority 10 train 20140601_1_model
  stolos submit --readd preprocess 20140601_1   # run it (and its descendants) again
  stolos submit --no-queue preprocess 20140601_3  # known, queued when its parents complete
"""
)
@click.argument("app")
@click.argument("job_ids", nargs=-1, required=True)
@click.option(
    "--readd",
    is_flag=True,
    help="Queue the jobs again even if finished (resets attempts and descendants).",
)
@click.option(
    "--priority",
    type=int,
    default=None,
    help="Lower runs first (default 100); FIFO within a priority.",
)
@click.option(
    "--no-queue", "no_queue", is_flag=True, help="Record the jobs as pending without queueing them."
)
def submit(
    app: str, job_ids: tuple[str, ...], readd: bool, priority: int | None, no_queue: bool
) -> None:
    """Submit JOB_IDS of APP: all or nothing.

    Every job_id is validated first; one bad job_id submits nothing and exits 1.  A job
    that already exists is left unchanged and reported ("already completed"), exit 0.  A
    job that fails valid_if_or is recorded as skipped.  When a queued job's parents are
    incomplete, the worker that takes it queues them first (bubble up).
    """
    if readd and no_queue:
        raise click.UsageError("--readd always queues; it cannot be combined with --no-queue")
    lines = submit_jobs(
        get_stolos(),
        [(app, j) for j in job_ids],
        readd=readd,
        priority=priority,
        queue=not no_queue,
    )
    click.echo("\n".join(lines))


@click.command(
    epilog="""\b
Examples:
  stolos status                          # jobs per app and state
  stolos status preprocess 20140601_1    # one job: state, attempts, last error, log
  stolos status --state failed           # every failed job
  stolos status --json | jq '.counts'
"""
)
@click.argument("app", required=False)
@click.argument("job_ids", nargs=-1)
@click.option(
    "--state",
    "states",
    multiple=True,
    type=click.Choice(STATE_NAMES),
    help="Only jobs in this state (repeatable); lists the jobs.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='{"counts": {app: {state: n}}, "jobs": [{app, job_id, state, attempts, '
    "last_error, log_path, updated_at}]}",
)
def status(
    app: str | None, job_ids: tuple[str, ...], states: tuple[str, ...], as_json: bool
) -> None:
    """Job counts per app and state, or, with JOB_IDS or --state, one line per job:
    state, attempts, last error and log file.

    States: pending (known, not queued), queued, running, waiting (parked until its
    parents complete), completed, failed (out of attempts), skipped (valid_if_or, or a
    skipped parent), upstream_failed (an ancestor failed).
    """
    stolos = get_stolos()
    if app is not None:
        stolos.app(app)
    wanted = {State(s) for s in states} or None
    counts = _counts(stolos, app)
    listing = bool(job_ids or wanted)
    jobs = _jobs(stolos, app, job_ids, wanted) if as_json or listing else []
    if as_json:
        click.echo(json.dumps({"counts": counts, "jobs": jobs}, indent=2))
    elif listing:
        rows = [
            [
                j["app"],
                j["job_id"],
                j["state"] or "never submitted",
                j["attempts"],
                _short(j["last_error"]),
                j["log_path"] or "",
            ]
            for j in jobs
        ]
        click.echo(
            table(rows, ["APP", "JOB_ID", "STATE", "ATTEMPTS", "LAST_ERROR", "LOG"])
            if rows
            else "no such jobs"
        )
    else:
        used = [s for s in STATE_NAMES if any(c[s] for c in counts.values())]
        rows = [[name, *(c[s] for s in used), sum(c.values())] for name, c in counts.items()]
        click.echo(table(rows, ["APP", *used, "TOTAL"]))


def _counts(stolos: Stolos, app: str | None) -> dict[str, dict[str, int]]:
    """Every selected app (configured or present in the backend) with every state."""
    stored = stolos.queue.counts(app)
    names = [app] if app is not None else list(dict.fromkeys([*stolos.config, *sorted(stored)]))
    return {name: {s: stored.get(name, {}).get(State(s), 0) for s in STATE_NAMES} for name in names}


def _jobs(
    stolos: Stolos, app: str | None, job_ids: Sequence[str], states: set[State] | None
) -> list[dict[str, Any]]:
    if app is not None and job_ids:
        records = [(j, stolos.queue.get(app, j)) for j in job_ids]
        return [
            job_dict(app, j, r)
            for j, r in records
            if states is None or (r is not None and r.state in states)
        ]
    return [job_dict(r.app, r.job_id, r) for r in stolos.queue.list_jobs(app, states)]


@click.command(
    epilog="""\b
Examples:
  stolos explain train 20140601_1
  stolos explain train 20140601_1 --json
"""
)
@click.argument("app")
@click.argument("job_id")
@click.option(
    "--limit",
    type=int,
    default=20,
    show_default=True,
    help="Incomplete parents listed per dependency group.",
)
@click.option("--json", "as_json", is_flag=True, help="The explanation as JSON.")
def explain(app: str, job_id: str, limit: int, as_json: bool) -> None:
    """Why a job is or is not running: its state, attempts and last error, whether it
    passes valid_if_or, each dependency group with its incomplete parents and their
    states, its recent history, and what you can do."""
    report = get_stolos().scheduler.explain(app, job_id, limit=limit)
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        click.echo(_render_explanation(report))


def _render_explanation(r: dict[str, Any]) -> str:
    lines = [
        f"{r['app']} {r['job_id']}: {r['state'] or 'never submitted'} "
        f"(attempts {r['attempts']} of {r['max_attempts']})"
    ]
    if r["invalid_job_id"]:
        lines.append(f"  invalid job_id: {r['invalid_job_id']}")
    for label, key in (
        ("last error", "last_error"),
        ("log", "log_path"),
        ("running on", "lease_owner"),
    ):
        if r[key]:
            lines.append(f"  {label}: {r[key]}")
    if r["not_before"]:
        lines.append(f"  next attempt not before: {iso(r['not_before'])}")
    verdict = r["valid_if_or"]
    if verdict["configured"]:
        lines.append(
            "  valid_if_or: " + ("passes" if verdict["passes"] else f"fails ({verdict['reason']})")
        )
    if not r["groups"] and not r["invalid_job_id"]:
        lines.append("  parents: none")
    for g in r["groups"]:
        lines.append(
            f"  group {g['name']}: {g['parents']} parent(s), {g['complete']} complete, "
            f"{g['incomplete']} incomplete"
        )
        for p in g["incomplete_parents"]:
            lines.append(f"    {p['app']} {p['job_id']}: {p['state'] or 'never submitted'}")
        hidden = g["incomplete"] - len(g["incomplete_parents"])
        if hidden > 0:
            lines.append(f"    ... and {hidden} more")
    if r["history"]:
        lines.append("  history (latest last):")
        for t in r["history"]:
            who = f" by {t['worker']}" if t["worker"] else ""
            what = f": {t['message']}" if t["message"] else ""
            lines.append(f"    {iso(t['at'])} {t['state']} (attempt {t['attempt']}){who}{what}")
    lines.append(f"  advice: {r['advice']}")
    return "\n".join(lines)


@click.command(
    epilog="""\b
Examples:
  stolos reset preprocess 20140601_1                   # again, then its descendants
  stolos reset --no-descendants preprocess 20140601_1  # only this job
"""
)
@click.argument("app")
@click.argument("job_ids", nargs=-1, required=True)
@click.option(
    "--no-descendants",
    "no_descendants",
    is_flag=True,
    help="Leave finished descendants as they are (upstream_failed or skipped ones "
    "are still put back).",
)
def reset(app: str, job_ids: tuple[str, ...], no_descendants: bool) -> None:
    """Queue JOB_IDS of APP again from scratch, whatever they finished as (attempts
    reset); their finished descendants run again after them unless --no-descendants.

    All or nothing on validation.  A job already queued or running is left as it is and
    reported ("already queued"), exit 0.
    """
    lines = submit_jobs(
        get_stolos(), [(app, j) for j in job_ids], readd=True, reset_descendants=not no_descendants
    )
    click.echo("\n".join(lines))


COMMANDS = [submit, status, explain, reset]
