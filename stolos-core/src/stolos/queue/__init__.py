"""The queue-backend contract, its records, and the embedded SQLite backend."""

from stolos.queue.contract import JobKey, QueueBackend
from stolos.queue.records import (
    COMPAT,
    DEFAULT_PRIORITY,
    FINISHED,
    EnqueueRequest,
    JobRecord,
    Lease,
    State,
    Transition,
    WakeRequest,
)

__all__ = [
    "COMPAT",
    "DEFAULT_PRIORITY",
    "FINISHED",
    "EnqueueRequest",
    "JobKey",
    "JobRecord",
    "Lease",
    "QueueBackend",
    "State",
    "Transition",
    "WakeRequest",
]
