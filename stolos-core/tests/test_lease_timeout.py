"""Which lease length a worker uses: flag or STOLOS_LEASE_TIMEOUT, else the backend's own."""

from __future__ import annotations

from pathlib import Path

import pytest

from stolos import Stolos


@pytest.mark.parametrize(
    ("overrides", "environ", "expected"),
    [
        ({}, {}, 7.0),  # the backend's option (e.g. STOLOS_QB_REDIS_LOCK_TIMEOUT)
        ({}, {"STOLOS_LEASE_TIMEOUT": "12"}, 12.0),
        ({"lease_timeout": 3}, {"STOLOS_LEASE_TIMEOUT": "12"}, 3.0),
    ],
)
def test_lease_length_precedence(
    tmp_path: Path, overrides: dict, environ: dict, expected: float
) -> None:
    stolos = Stolos(overrides, environ={"STOLOS_QB_SQLITE_PATH": str(tmp_path / "s.db"), **environ})
    stolos.queue.default_lease_timeout = 7.0
    assert stolos.lease_timeout == expected


def test_without_any_setting_the_lease_is_60_seconds(tmp_path: Path) -> None:
    stolos = Stolos(environ={"STOLOS_QB_SQLITE_PATH": str(tmp_path / "s.db")})
    assert stolos.lease_timeout == 60.0
