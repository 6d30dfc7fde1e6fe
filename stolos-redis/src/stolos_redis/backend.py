"""The ``redis`` queue backend: the queue-backend contract on Redis, one Lua script per step.

Each method that changes one job is one script, atomic on the keys of that job's app
(see :mod:`stolos_redis.keys`), run in one round trip: ``enqueue``, ``readd``, ``renew``,
``park``, ``finish``, ``retry``, ``release``, and ``claim`` on one app.  Methods on many
jobs (``enqueue_many``, ``wake``, ``mark``, ``get_states``) send one script call (or
command) per app in one pipeline: one round trip whatever the number of jobs (per 5,000
jobs for ``enqueue_many``).  Every lease write names its fencing token, a per-app
counter; every time is the Redis server's (``TIME`` inside the scripts), so workers on
different machines share one clock.

Every call goes through :meth:`Connection.call`: while Redis is unreachable it retries
for ``qb_redis_retry_seconds``, so the scripts are written to be repeated safely (a
repeated finish, park or retry whose first reply was lost succeeds as the first did).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from itertools import islice
from typing import Any, TypeVar

from stolos.errors import LeaseLost, StolosError
from stolos.queue.contract import JobKey, QueueBackend
from stolos.queue.records import (
    DEFAULT_PRIORITY,
    FINISHED,
    EnqueueRequest,
    JobRecord,
    Lease,
    State,
    Transition,
    WakeRequest,
)
from stolos_redis import codec
from stolos_redis.clock import ServerClock
from stolos_redis.connection import Connection, connect
from stolos_redis.keys import Layout
from stolos_redis.scripts import ScriptCall, Scripts, new_call_id

T = TypeVar("T")

BATCH = 500
"""Jobs per script call of ``enqueue_many``, ``wake`` and ``mark``: bounds how long one
script holds Redis."""
PIPELINE = 5_000
"""Jobs per pipeline (one round trip) of ``enqueue_many``: bounds what the client holds
and what a pipeline sent again repeats."""
MAX_PRIORITY = 2**53
"""Priorities are exact queue scores: integers of magnitude below 2**53."""
STAMP_DIGITS = 16


def _chunks(items: Sequence[T], size: int) -> Iterator[list[T]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def _seconds(value: float) -> str:
    return repr(float(value))


class RedisQueueBackend(QueueBackend):
    """Job records and per-app priority queues in Redis (or a Redis Cluster)."""

    name = "redis"

    def __init__(
        self,
        connection: Connection,
        *,
        prefix: str = "stolos:",
        lease_timeout: float | None = None,
    ) -> None:
        self.connection = connection
        self.default_lease_timeout = lease_timeout
        self.layout = Layout(prefix)
        self._scripts: Scripts | None = None
        self._clock = ServerClock()

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> RedisQueueBackend:
        """The backend described by resolved ``qb_redis_*`` options."""
        connection = connect(
            url=options.get("qb_redis_url"),
            host=options["qb_redis_host"],
            port=options["qb_redis_port"],
            db=options["qb_redis_db"],
            socket_timeout=options["qb_redis_socket_timeout"],
            retry_seconds=options["qb_redis_retry_seconds"],
            cluster=options["qb_redis_cluster"],
        )
        return cls(
            connection,
            prefix=options["qb_redis_prefix"],
            lease_timeout=options["qb_redis_lock_timeout"],
        )

    # --- plumbing -----------------------------------------------------------------------

    def _run(self, what: str, operation: Callable[[Scripts], T]) -> T:
        """Run ``operation`` with the scripts of the current client, retried as one unit."""

        def bound() -> T:
            client = self.connection.client
            if self._scripts is None or self._scripts.client is not client:
                self._scripts = Scripts(client)
            return operation(self._scripts)

        return self.connection.call(bound, what=what)

    def _script(self, what: str, app: str, args: Sequence[str | int]) -> Any:
        call = ScriptCall(what, self.layout.app(app), args)
        return self._run(what, lambda scripts: scripts.run(call))

    def _creating(self, what: str, app: str, args: Sequence[str | int]) -> Any:
        """A script that may create a job of ``app``, sent with the registry update."""
        call = ScriptCall(what, self.layout.app(app), args)
        register = self._registering([app])
        return self._run(what, lambda scripts: scripts.run_many([call], first=register)[0])

    def _registering(self, apps: Iterable[str]) -> Callable[[Any], None]:
        """Queues the update of the app registry that goes with scripts that may create
        jobs of ``apps``.  The registry is in another slot than any app's keys, so it is
        a separate, idempotent step; it rides in the scripts' pipeline, ahead of them,
        every time, so a registry entry lost with a crashed server is written again."""
        names = sorted(set(apps))
        return lambda pipe: pipe.sadd(self.layout.registry, *names)

    def _apps(self, scripts: Scripts) -> list[str]:
        return sorted(scripts.client.smembers(self.layout.registry))

    @staticmethod
    def _priority(app: str, job_id: str, priority: int) -> str:
        if (
            isinstance(priority, bool)
            or not isinstance(priority, int)
            or not (-MAX_PRIORITY < priority < MAX_PRIORITY)
        ):
            raise StolosError(
                f"job {job_id!r}: priority {priority!r} must be an integer between "
                f"-2**53 and 2**53",
                app=app,
                key="priority",
            )
        return str(priority)

    @staticmethod
    def _held(lease: Lease, reply: Sequence[Any]) -> Sequence[Any]:
        if reply[0] == "lost":
            raise LeaseLost(
                f"job {lease.job_id!r}: lease {lease.token} of {lease.worker} is no longer "
                f"held: {reply[1]}",
                app=lease.app,
            )
        return reply

    # --- submission ---------------------------------------------------------------------

    def enqueue(
        self,
        app: str,
        job_id: str,
        *,
        priority: int = DEFAULT_PRIORITY,
        queue: bool = True,
        skip_reason: str | None = None,
        worker: str | None = None,
    ) -> tuple[bool, State]:
        request = EnqueueRequest(app, job_id, priority, queue, skip_reason)
        return self.enqueue_many([request], worker=worker)[0]

    def enqueue_many(
        self, requests: Sequence[EnqueueRequest], *, worker: str | None = None
    ) -> list[tuple[bool, State]]:
        """One round trip per ``PIPELINE`` jobs: a pipeline of the app registry update
        and one ``enqueue`` script call per app and per ``BATCH`` jobs.  Every priority
        is checked before anything is sent.

        A pipeline sent again after its reply was lost answers ``created`` for the jobs
        its first send created (the call id on their records), unless another call
        changed such a job in between (a worker claimed it): that job then answers
        ``(False, its state now)``, as for a job that existed before."""
        per_job = [
            [
                r.job_id,
                self._priority(r.app, r.job_id, r.priority),
                "1" if r.queue else "0",
                codec.optional(r.skip_reason),
            ]
            for r in requests
        ]
        common = [codec.optional(worker)]
        answers: list[Any] = []
        for start in range(0, len(requests), PIPELINE):
            apps = [r.app for r in requests[start : start + PIPELINE]]
            jobs = per_job[start : start + PIPELINE]
            register = self._registering(apps)
            answers += self._per_app("enqueue", apps, common, jobs, first=register)
        return [(bool(created), State(state)) for created, state in answers]

    def readd(
        self,
        app: str,
        job_id: str,
        *,
        priority: int = DEFAULT_PRIORITY,
        skip_reason: str | None = None,
        worker: str | None = None,
    ) -> State | None:
        args = [
            job_id,
            self._priority(app, job_id, priority),
            codec.optional(skip_reason),
            codec.optional(worker),
        ]
        before = self._creating("readd", app, args)
        return State(before) if before else None

    def wake(self, requests: Sequence[WakeRequest], *, worker: str | None = None) -> list[State]:
        per_job = [
            [r.job_id, self._priority(r.app, r.job_id, r.priority), codec.optional(r.skip_reason)]
            for r in requests
        ]
        apps = [r.app for r in requests]
        register = self._registering(apps)
        answers = self._per_app("wake", apps, [codec.optional(worker)], per_job, first=register)
        return [State(answer) for answer in answers]

    def mark(
        self,
        keys: Sequence[JobKey],
        state: State,
        *,
        only_from: Iterable[State],
        message: str | None = None,
        worker: str | None = None,
    ) -> list[bool]:
        if state is State.RUNNING:
            raise ValueError("mark cannot make a job running: only claim gives a lease")
        allowed = ",".join(State(s).value for s in only_from)
        if not allowed:
            return [False] * len(keys)
        common = [State(state).value, allowed, codec.optional(message), codec.optional(worker)]
        answers = self._per_app(
            "mark", [app for app, _ in keys], common, [[job_id] for _, job_id in keys]
        )
        return [answer == 1 for answer in answers]

    def _per_app(
        self,
        name: str,
        apps: Sequence[str],
        common: Sequence[str],
        per_job: Sequence[Sequence[str]],
        *,
        first: Callable[[Any], None] | None = None,
    ) -> list[Any]:
        """Run script ``name`` on many jobs (job ``i`` belongs to ``apps[i]``): one call per
        app and per ``BATCH`` jobs, with the ``common`` arguments and then each job's
        ``per_job`` arguments, all calls in one pipeline (after ``first``, see
        :meth:`Scripts.run_many`).  Returns each job's answer."""
        by_app: dict[str, list[int]] = {}
        for i, app in enumerate(apps):
            by_app.setdefault(app, []).append(i)
        calls: list[ScriptCall] = []
        owners: list[list[int]] = []
        for app, indexes in by_app.items():
            for chunk in _chunks(indexes, BATCH):
                args = [*common, *(arg for i in chunk for arg in per_job[i])]
                calls.append(ScriptCall(name, self.layout.app(app), args))
                owners.append(chunk)
        if not calls:
            return []
        replies = self._run(name, lambda scripts: scripts.run_many(calls, first=first))
        answers: list[Any] = [None] * len(apps)
        for chunk, reply in zip(owners, replies, strict=True):
            for i, answer in zip(chunk, reply, strict=True):
                answers[i] = answer
        return answers

    # --- claiming and finishing ---------------------------------------------------------

    def claim(
        self, worker: str, lease_seconds: float, apps: Sequence[str] | None = None
    ) -> Lease | None:
        """One round trip for one app.  For several apps (or all: one more round trip to
        read the registry), one pipelined look at every app's queue heads and leases
        ranks them, then apps are tried best first, usually once.

        Sent again after a connection failure, the claim first asks every app for the
        job it may already have leased (same call id), so a lost reply never leaves a
        job leased to nobody, waiting for its lease to expire with an attempt counted."""
        if apps is not None and not apps:
            return None
        call_id = new_call_id()  # the same each time the claim is sent
        sent: list[bool] = []

        def try_app(scripts: Scripts, app: str, find: bool) -> Lease | None:
            args = [worker, _seconds(lease_seconds), "1" if find else "0"]
            reply = scripts.run(ScriptCall("claim", self.layout.app(app), args, call_id))
            return codec.lease(app, worker, reply) if reply else None

        def claim_first(scripts: Scripts) -> Lease | None:
            candidates = list(dict.fromkeys(apps)) if apps is not None else self._apps(scripts)
            if sent:  # sent again: the first reply may have been lost
                for app in candidates:
                    if found := try_app(scripts, app, find=True):
                        return found
            sent.append(True)
            if len(candidates) > 1:
                candidates = self._by_urgency(scripts, candidates)
            for app in candidates:
                if lease := try_app(scripts, app, find=False):
                    return lease
            return None

        return self._run("claim", claim_first)

    def _by_urgency(self, scripts: Scripts, apps: Sequence[str]) -> list[str]:
        """Apps with an expired lease first, then by queue head (priority, then age, by
        the server-clock stamp that starts every queue member); apps with nothing to
        claim are left out.  A delayed job that became due ranks after every head (its
        priority is only known once its app's claim script moves it into the queue).
        "Expired" and "due" use the estimated server time (:mod:`stolos_redis.clock`): an
        error of milliseconds only defers an app to the next claim."""
        now = self._clock.now(scripts.client)
        pipe = scripts.client.pipeline(transaction=False)
        for app in apps:
            keys = self.layout.app(app)
            pipe.zrange(keys.leases, 0, 0, withscores=True)
            pipe.zrange(keys.delayed, 0, 0, withscores=True)
            pipe.zrange(keys.queue, 0, 0, withscores=True)
        replies = pipe.execute()
        ranked: list[tuple[tuple[int, float, str], str]] = []
        for i, app in enumerate(apps):
            leases, delayed, head = replies[3 * i : 3 * i + 3]
            if leases and leases[0][1] <= now:
                ranked.append(((0, 0.0, ""), app))
            elif head:
                member, priority = head[0]
                ranked.append(((1, priority, member[:STAMP_DIGITS]), app))
            elif delayed and delayed[0][1] <= now:
                ranked.append(((2, 0.0, ""), app))
        return [app for _, app in sorted(ranked)]

    def renew(self, lease: Lease, lease_seconds: float) -> Lease:
        reply = self._script(
            "renew", lease.app, [lease.job_id, str(lease.token), _seconds(lease_seconds)]
        )
        return replace(lease, expires=float(self._held(lease, reply)[1]))

    def park(self, lease: Lease, *, message: str | None = None) -> State:
        reply = self._script(
            "park", lease.app, [lease.job_id, str(lease.token), codec.optional(message)]
        )
        return State(self._held(lease, reply)[1])

    def finish(
        self,
        lease: Lease,
        state: State,
        *,
        message: str | None = None,
        log_path: str | None = None,
        release: bool = False,
    ) -> Lease:
        if state not in FINISHED:
            raise ValueError(f"finish needs a finished state, not {State(state).value!r}")
        args = [
            lease.job_id,
            str(lease.token),
            state.value,
            codec.optional(message),
            codec.optional(log_path),
            "1" if release else "0",
        ]
        self._held(lease, self._script("finish", lease.app, args))
        return replace(lease, state=state)

    def retry(
        self,
        lease: Lease,
        *,
        not_before: float | None,
        message: str | None = None,
        log_path: str | None = None,
    ) -> None:
        args = [
            lease.job_id,
            str(lease.token),
            codec.optional(None if not_before is None else _seconds(not_before)),
            codec.optional(message),
            codec.optional(log_path),
        ]
        self._held(lease, self._script("retry", lease.app, args))

    def release(self, lease: Lease) -> None:
        self._script("release", lease.app, [lease.job_id, str(lease.token)])

    # --- reading ------------------------------------------------------------------------

    def now(self) -> float:
        seconds, micros = self._run("now", lambda s: s.client.time())
        return float(seconds) + float(micros) / 1e6

    def get(self, app: str, job_id: str) -> JobRecord | None:
        key = self.layout.app(app).job(job_id)
        fields = self._run("get", lambda s: s.client.hgetall(key))
        return codec.job_record(app, job_id, fields) if fields else None

    def get_states(self, keys: Sequence[JobKey]) -> dict[JobKey, State]:
        keys = list(keys)
        if not keys:
            return {}

        def read(scripts: Scripts) -> list[str | None]:
            pipe = scripts.client.pipeline(transaction=False)
            for app, job_id in keys:
                pipe.hget(self.layout.app(app).job(job_id), "state")
            return list(pipe.execute())

        states = self._run("get_states", read)
        found = zip(keys, states, strict=True)
        return {key: State(state) for key, state in found if state is not None}

    def history(self, app: str, job_id: str) -> list[Transition]:
        key = self.layout.app(app).history(job_id)
        entries = self._run("history", lambda s: s.client.lrange(key, 0, -1))
        return [codec.transition(entry) for entry in entries]

    def list_jobs(
        self,
        app: str | None = None,
        states: Iterable[State] | None = None,
        limit: int | None = None,
    ) -> list[JobRecord]:
        """Reads the per-state indexes (sorted by job_id) of each app, then the records:
        two round trips (three for all apps), never a scan of the key space."""
        wanted = (
            list(dict.fromkeys(State(s) for s in states)) if states is not None else list(State)
        )
        if not wanted:
            return []

        def read(scripts: Scripts) -> list[JobRecord]:
            apps = [app] if app is not None else self._apps(scripts)
            pipe = scripts.client.pipeline(transaction=False)
            for name in apps:
                keys = self.layout.app(name)
                for state in wanted:
                    if limit is None:
                        pipe.zrangebylex(keys.state(state), "-", "+")
                    else:
                        pipe.zrangebylex(keys.state(state), "-", "+", start=0, num=limit)
            found = iter(pipe.execute())
            selected: list[tuple[str, str]] = []
            for name in apps:
                ids = sorted(job_id for _ in wanted for job_id in next(found))
                selected += [(name, job_id) for job_id in ids]
            selected = selected[:limit] if limit is not None else selected
            return self._records(scripts, selected, set(wanted))

        return self._run("list_jobs", read)

    def _records(
        self, scripts: Scripts, keys: Sequence[JobKey], states: set[State]
    ) -> list[JobRecord]:
        """The records of ``keys`` in one round trip, keeping those still in ``states``."""
        pipe = scripts.client.pipeline(transaction=False)
        for app, job_id in keys:
            pipe.hgetall(self.layout.app(app).job(job_id))
        records = [
            codec.job_record(app, job_id, fields)
            for (app, job_id), fields in zip(keys, pipe.execute(), strict=True)
            if fields
        ]
        return [record for record in records if record.state in states]

    def counts(self, app: str | None = None) -> dict[str, dict[State, int]]:
        def read(scripts: Scripts) -> dict[str, dict[State, int]]:
            apps = [app] if app is not None else self._apps(scripts)
            pipe = scripts.client.pipeline(transaction=False)
            for name in apps:
                keys = self.layout.app(name)
                for state in State:
                    pipe.zcard(keys.state(state))
            sizes = iter(pipe.execute())
            result: dict[str, dict[State, int]] = {}
            for name in apps:
                per_state = {state: n for state in State if (n := next(sizes))}
                if per_state:
                    result[name] = per_state
            return result

        return self._run("counts", read)

    def queue_size(self, app: str, *, queued: bool = True, taken: bool = True) -> int:
        keys = self.layout.app(app)

        def read(scripts: Scripts) -> int:
            pipe = scripts.client.pipeline(transaction=False)
            pipe.zcard(keys.queue)
            pipe.zcard(keys.delayed)
            pipe.zcard(keys.state(State.RUNNING))
            in_queue, delayed, running = pipe.execute()
            return (in_queue + delayed if queued else 0) + (running if taken else 0)

        return self._run("queue_size", read)

    def close(self) -> None:
        self.connection.close()
        self._scripts = None
