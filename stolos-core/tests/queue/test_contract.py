"""What the contract gives a backend for free: ``enqueue_many`` as one ``enqueue`` per job.

A backend that implements only the abstract methods must pass the conformance tests of
``enqueue_many`` too; the SQLite backend stands in for it here, with its own batched
``enqueue_many`` replaced by the contract's default.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from stolos.queue import EnqueueRequest, QueueBackend, State
from stolos.queue.sqlite import SQLiteBackend
from stolos.testing import QueueBackendConformance


class OneByOne(SQLiteBackend):
    """The SQLite backend without its own ``enqueue_many``."""

    def enqueue_many(
        self, requests: Sequence[EnqueueRequest], *, worker: str | None = None
    ) -> list[tuple[bool, State]]:
        return QueueBackend.enqueue_many(self, requests, worker=worker)


class TestTheDefaultEnqueueMany:
    @pytest.fixture
    def backend_factory(self, tmp_path: Path) -> Iterator[Callable[[], OneByOne]]:
        opened: list[OneByOne] = []

        def open_client() -> OneByOne:
            opened.append(OneByOne(str(tmp_path / "stolos.db")))
            return opened[-1]

        yield open_client
        for backend in opened:
            backend.close()

    @pytest.fixture
    def backend(self, backend_factory: Callable[[], OneByOne]) -> OneByOne:
        return backend_factory()

    concurrent_clients = QueueBackendConformance.concurrent_clients
    concurrent_jobs = QueueBackendConformance.concurrent_jobs

    test_creates_absent_jobs = (
        QueueBackendConformance.test_enqueue_many_creates_absent_jobs_as_enqueue_does
    )
    test_changes_no_existing_job = (
        QueueBackendConformance.test_enqueue_many_leaves_existing_jobs_and_answers_in_order
    )
    test_queue_order = QueueBackendConformance.test_enqueue_many_queues_as_one_by_one
    test_duplicates = QueueBackendConformance.test_enqueue_many_creates_a_job_named_twice_once
    test_nothing = QueueBackendConformance.test_enqueue_many_of_nothing_does_nothing
    test_concurrent_batches = (
        QueueBackendConformance.test_each_job_is_created_once_by_concurrent_batches
    )
