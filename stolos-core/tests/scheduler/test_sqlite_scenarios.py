"""The scheduler scenarios on the embedded SQLite backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stolos import Stolos
from stolos.testing.scenarios import MakeStolos, SchedulerScenarios, stolos_for


class TestSQLiteScenarios(SchedulerScenarios):
    @pytest.fixture
    def make_stolos(self, tmp_path: Path) -> Iterator[MakeStolos]:
        made: list[Stolos] = []

        def make(tasks: dict[str, Any], **options: Any) -> Stolos:
            stolos = stolos_for(
                tasks,
                tmp_path,
                queue_backend="sqlite",
                qb_sqlite_path=str(tmp_path / f"stolos-{len(made)}.db"),
                **options,
            )
            made.append(stolos)
            return stolos

        yield make
        for stolos in made:
            stolos.close()
