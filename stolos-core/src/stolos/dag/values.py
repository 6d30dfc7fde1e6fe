"""Collections of identifier values: configured lists and autofill ranges.

A :class:`Values` keeps the configured order (job_ids are generated in that order) and
answers ``in`` with Python's ``==`` semantics, fast: a range answers in O(1) without
being expanded, a long list through a set.  :func:`lazy_product` enumerates combinations
without materializing a range, so an ``"all"`` over ``"0:100000"`` streams.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator, Sequence
from typing import Any

from stolos.errors import ConfigError

# Lists at least this long answer ``in`` through a set.
_SET_THRESHOLD = 8


class Values:
    """An ordered, duplicate-free sequence of identifier values (a tuple or a range)."""

    __slots__ = ("items", "_lookup")

    def __init__(self, items: Sequence[Any]) -> None:
        self.items: tuple[Any, ...] | range = (
            items if isinstance(items, range) else _distinct(items)
        )
        self._lookup: frozenset[Any] | None = None
        if isinstance(self.items, tuple) and len(self.items) >= _SET_THRESHOLD:
            with contextlib.suppress(TypeError):  # unhashable values: compare one by one
                self._lookup = frozenset(self.items)

    def __contains__(self, value: Any) -> bool:
        items = self.items
        if isinstance(items, range):
            if isinstance(value, int):
                return value in items
            if isinstance(value, float):
                return value.is_integer() and int(value) in items
            if isinstance(value, (str, bytes)) or value is None:
                return False  # never equal to an int; spares a scan of the range
            return value in items
        if self._lookup is not None:
            try:
                return value in self._lookup
            except TypeError:
                pass
        return value in items

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.items)

    def __repr__(self) -> str:
        return f"Values({self.items!r})"


def _distinct(items: Sequence[Any]) -> tuple[Any, ...]:
    """``items`` without exact repeats (same type and value), in order.  ``1``, ``1.0``
    and ``True`` stay apart: they format into different job_ids."""
    seen: set[tuple[type, Any]] = set()
    out = []
    for item in items:
        try:
            key = (type(item), item)
            if key in seen:
                continue
            seen.add(key)
        except TypeError:
            pass
        out.append(item)
    return tuple(out)


def parse_autofill(value: Any, *, app: str, identifier: str) -> Values:
    """An ``autofill_values`` entry: a list, or ``"start:stop[:step]"`` meaning
    ``range(start, stop[, step])`` (a single ``"stop"`` means ``range(stop)``, as in the
    original)."""
    if isinstance(value, str):
        try:
            return Values(range(*(int(part) for part in value.split(":", 2))))
        except (ValueError, TypeError):
            pass
    elif isinstance(value, (list, tuple)):
        return Values(value)
    raise ConfigError(
        f"autofill values must be a list or a range string 'start:stop[:step]', not {value!r}",
        app=app,
        key=f"autofill_values.{identifier}",
    )


def lazy_product(axes: Sequence[Sequence[Any]]) -> Iterator[tuple[Any, ...]]:
    """The cross product of ``axes`` in lexicographic order, without copying a range axis
    into memory (``itertools.product`` would turn each axis into a tuple first)."""
    if all(isinstance(axis, tuple) for axis in axes):
        return itertools.product(*axes)
    return _nested_product(axes)


def _nested_product(axes: Sequence[Sequence[Any]]) -> Iterator[tuple[Any, ...]]:
    if not axes:
        yield ()
        return
    first, rest = axes[0], axes[1:]
    if not rest:
        for value in first:
            yield (value,)
        return
    for value in first:
        for tail in _nested_product(rest):
            yield (value, *tail)
