"""A pytest plugin that writes how long each test took, by node id, to $CLIMB_TEST_DURATIONS (JSON).

mutmut sets each mutant's timeout from the durations of its tests; `climb_kit.contributor.mutation` uses this
when mutmut could not time the tests itself (see `write_stats_without_hits`). Load it with
`pytest -p climb_kit.contributor.test_durations`.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict

_SECONDS: dict[str, float] = defaultdict(float)


def pytest_runtest_logreport(report) -> None:
    _SECONDS[report.nodeid] += report.duration  # setup, call and teardown together


def pytest_sessionfinish(session) -> None:
    target = os.environ.get("CLIMB_TEST_DURATIONS")
    if target:
        with open(target, "w", encoding="utf-8") as out:
            json.dump(dict(_SECONDS), out, indent=1)
