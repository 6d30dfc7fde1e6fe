"""Conformance suites that plugins run against their own implementations.

Import this module from tests only: it needs pytest.
"""

import pytest

# Plain asserts in the suites report their values, as they would in a test module.
pytest.register_assert_rewrite("stolos.testing.conformance", "stolos.testing.scenarios")

from stolos.testing.conformance import FakeClock, QueueBackendConformance  # noqa: E402
from stolos.testing.scenarios import SchedulerScenarios  # noqa: E402

__all__ = ["FakeClock", "QueueBackendConformance", "SchedulerScenarios"]
