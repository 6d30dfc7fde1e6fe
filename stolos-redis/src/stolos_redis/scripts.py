"""The queue's Lua scripts: one per operation, each atomic on the keys of one app.

Every script is ``lua/common.lua`` (key layout, server clock, shared steps) followed by
``lua/<name>.lua``.  Scripts are registered on the client with ``register_script`` and
run with EVALSHA; the server loads a script again when it answers NOSCRIPT (after a
restart or ``SCRIPT FLUSH``).  :meth:`Scripts.run_many` sends many script calls in one
pipeline (one round trip) and retries only the calls the server did not know.

Each :class:`ScriptCall` carries a call id made once per backend method call: when the
connection fails after the server ran a script, the call is sent again with the same id
and the script answers as it did the first time instead of, say, reporting a lost lease.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from redis.exceptions import NoScriptError

from stolos_redis.keys import AppKeys

NAMES = ("enqueue", "readd", "wake", "mark", "claim", "renew", "park", "finish", "retry", "release")


def _source(name: str) -> str:
    lua = resources.files("stolos_redis") / "lua"
    return (lua / "common.lua").read_text("utf-8") + (lua / f"{name}.lua").read_text("utf-8")


SOURCES = {name: _source(name) for name in NAMES}


def new_call_id() -> str:
    """A fresh id for one backend method call (see ``lua/common.lua``)."""
    return secrets.token_hex(8)


@dataclass(frozen=True)
class ScriptCall:
    """One script run on one app: its name, its call id, and its own arguments."""

    name: str
    keys: AppKeys
    args: Sequence[str | int]
    call_id: str = field(default_factory=new_call_id)

    @property
    def argv(self) -> list[str | int]:
        return [self.keys.base, self.call_id, *self.args]


class Scripts:
    """The scripts registered on one client."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self._scripts = {name: client.register_script(source) for name, source in SOURCES.items()}

    def run(self, call: ScriptCall) -> Any:
        """One script call, one round trip (three the first time the server sees the script)."""
        return self._scripts[call.name](keys=[call.keys.meta], args=call.argv)

    def run_many(
        self, calls: Sequence[ScriptCall], *, first: Callable[[Any], None] | None = None
    ) -> list[Any]:
        """Many script calls in one pipeline; their replies in order.  ``first(pipe)``
        queues commands that go ahead of the scripts (their replies are dropped; they are
        sent again with the calls a reload repeats, so they must be idempotent)."""
        replies: list[Any] = [None] * len(calls)
        pending = list(range(len(calls)))
        while pending:
            pipe = self.client.pipeline(transaction=False)
            if first is not None:
                first(pipe)
            leading = len(pipe)
            for i in pending:
                call = calls[i]
                pipe.evalsha(self._scripts[call.name].sha, 1, call.keys.meta, *call.argv)
            results = pipe.execute(raise_on_error=False)
            for result in results[:leading]:
                if isinstance(result, Exception):
                    raise result
            unknown = []
            for i, result in zip(pending, results[leading:], strict=True):
                if isinstance(result, NoScriptError):
                    unknown.append(i)
                elif isinstance(result, Exception):
                    raise result
                else:
                    replies[i] = result
            for name in {calls[i].name for i in unknown}:
                script = self._scripts[name]
                script.sha = self.client.script_load(script.script)
            pending = unknown
        return replies
