"""Where the queue keeps what: the key layout.

Every key of one app starts with ``<prefix>{<tag>}:``, the app's *base*.  The braces make
``<tag>`` the Redis Cluster hash tag, so all keys of one app live in one slot (one Lua
script may touch them all) while different apps spread over the Cluster.  The tag is the
app name itself when it is plainly readable, otherwise ``#`` and a digest of the name (a
name may contain braces, which would break the hash tag, and ``#`` never starts a
readable tag, so the two forms cannot collide).

Per app (``B`` is the base)::

    B job:<job_id>     hash    the job record (see ``FIELDS`` in records.py)
    B hist:<job_id>    list    the job's transitions, oldest first, one JSON object each
    B queue          zset  queued jobs: score = priority, member = "<stamp>:<job_id>"
    B delayed        zset  queued jobs not claimable yet: score = not_before
    B leases         zset  leased jobs (running, or finished with effects pending): score = expiry
    B state:<state>  zset  job_ids in that state, all scores 0 (so ordered by job_id)
    B meta           hash  counters: ``token`` (fencing tokens), ``stamp`` (queue order)

and one key outside any app: ``<prefix>apps``, the set of app names that have jobs.

Scripts receive the base and build the other names themselves, so the layout is written
twice: here and in ``lua/common.lua``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from stolos.errors import OptionError
from stolos.queue.records import State

READABLE_TAG = re.compile(r"[A-Za-z0-9_.\-]{1,64}")


def app_tag(app: str) -> str:
    """The hash tag of ``app``'s keys: the name if readable, else ``#<digest>``."""
    if READABLE_TAG.fullmatch(app):
        return app
    return "#" + hashlib.sha256(app.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class AppKeys:
    """The key names of one app."""

    app: str
    base: str

    def job(self, job_id: str) -> str:
        return f"{self.base}job:{job_id}"

    def history(self, job_id: str) -> str:
        return f"{self.base}hist:{job_id}"

    def state(self, state: State) -> str:
        return f"{self.base}state:{state.value}"

    @property
    def queue(self) -> str:
        return f"{self.base}queue"

    @property
    def delayed(self) -> str:
        return f"{self.base}delayed"

    @property
    def leases(self) -> str:
        return f"{self.base}leases"

    @property
    def meta(self) -> str:
        return f"{self.base}meta"


class Layout:
    """The key names under one prefix."""

    def __init__(self, prefix: str) -> None:
        if "{" in prefix or "}" in prefix:
            raise OptionError(
                f"the Redis key prefix {prefix!r} must not contain braces: they would "
                "replace the per-app Cluster hash tag",
                key="qb_redis_prefix",
            )
        self.prefix = prefix

    @property
    def registry(self) -> str:
        """The set of app names that have jobs."""
        return f"{self.prefix}apps"

    def app(self, app: str) -> AppKeys:
        return AppKeys(app, f"{self.prefix}{{{app_tag(app)}}}:")
