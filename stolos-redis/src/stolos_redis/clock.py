"""The Redis server's clock as seen from this process, without a round trip per reading.

Scripts read the server's ``TIME`` themselves; this estimate only serves decisions made
on the client, such as which app's claim to try first.  It is the local clock plus an
offset measured with one ``TIME`` command and measured again every ``refresh`` seconds,
so it is off by about half a round trip (plus drift between readings).
"""

from __future__ import annotations

import time
from typing import Any

REFRESH_SECONDS = 60.0


class ServerClock:
    """Estimates the Redis server's time (seconds since the epoch)."""

    def __init__(self, refresh: float = REFRESH_SECONDS) -> None:
        self.refresh = refresh
        self._offset = 0.0
        self._measured_at: float | None = None

    def now(self, client: Any) -> float:
        """The estimated server time; ``client`` is used when a new reading is due."""
        if self._measured_at is None or time.monotonic() - self._measured_at > self.refresh:
            seconds, micros = client.time()
            self._offset = seconds + micros / 1e6 - time.time()
            self._measured_at = time.monotonic()
        return time.time() + self._offset
