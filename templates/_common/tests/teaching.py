"""Failure messages that teach, shared by every project's tests: say what was called, what came
back, what was expected, and the rule behind it."""

from collections.abc import Callable
from typing import Any

import pytest


def got_vs_expected(call: str, got: Any, expected: Any, rule: str = "") -> str:
    """The standard failure message: the call, what it gave, what was expected, why."""
    message = f"{call}\n  got:      {got}\n  expected: {expected}"
    if rule:
        message += f"\n  rule: {rule}"
    return message


def raises(
    kind: type[BaseException], call: str, fn: Callable[[], Any], why: str
) -> Any:
    """Run fn(); return the `kind` exception it raises, or fail saying what it gave."""
    try:
        got = fn()
    except kind as err:
        return err
    pytest.fail(
        f"{call}\n  returned {got!r}\n  expected: {kind.__name__} ({why})",
        pytrace=False,
    )
