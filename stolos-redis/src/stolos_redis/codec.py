"""Between Redis strings and the queue's records.

A job record is a hash whose fields are written by the Lua scripts::

    state priority attempts wake owner token expires not_before effects error log
    created updated member closed closed_as

``member`` (the job's place in its queue) and ``closed`` / ``closed_as`` (the last lease
its holder closed, to answer a repeated park or retry) are internal.  A field that is
absent means "none".  Times are seconds since the epoch on the Redis server's clock.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from stolos.queue.records import DEFAULT_PRIORITY, JobRecord, Lease, State, Transition


def optional(value: str | None) -> str:
    """How an optional string travels to a script: ``""`` for none, else ``"=" + value``."""
    return "" if value is None else "=" + value


def _float(value: str | None) -> float | None:
    return None if value is None else float(value)


def job_record(app: str, job_id: str, fields: Mapping[str, str]) -> JobRecord:
    return JobRecord(
        app=app,
        job_id=job_id,
        state=State(fields["state"]),
        priority=int(fields.get("priority", DEFAULT_PRIORITY)),
        attempts=int(fields.get("attempts", 0)),
        wake=fields.get("wake") == "1",
        lease_owner=fields.get("owner"),
        lease_token=int(fields.get("token", 0)),
        lease_expires=_float(fields.get("expires")),
        not_before=_float(fields.get("not_before")),
        effects_pending=fields.get("effects") == "1",
        last_error=fields.get("error"),
        log_path=fields.get("log"),
        created_at=float(fields.get("created", 0.0)),
        updated_at=float(fields.get("updated", 0.0)),
    )


def lease(app: str, worker: str, reply: Sequence[str]) -> Lease:
    """The lease a claim script returned: job_id, token, attempt, expires, state, resume."""
    job_id, token, attempt, expires, state, resume = reply
    return Lease(
        app=app,
        job_id=job_id,
        token=int(token),
        worker=worker,
        attempt=int(attempt),
        expires=float(expires),
        state=State(state),
        resume=resume == "1",
    )


def transition(entry: str) -> Transition:
    data = json.loads(entry)
    return Transition(
        at=float(data["at"]),
        state=State(data["state"]),
        worker=data.get("worker"),
        attempt=int(data.get("attempt", 0)),
        message=data.get("message"),
    )
